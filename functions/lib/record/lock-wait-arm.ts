/**
 * Arming a lock wait (state WaitForLock, AcquireLockFunction invoked with the state's task token: lock-wait.ts).
 * The token goes where each waker looks for it: on the deployment's record (`lockWait`, for `switchyard abort`,
 * which knows the record but not the service) and on its queue item (`waitToken`, for releases and newer pushes).
 * THEN everything a waker would have woken it for is checked again (strongly consistent reads): an abort, its
 * queue place gone, a free lock or a turn that changed. A change that came before the token was in place found
 * nothing to wake; seen here, it ends the wait at once (the arming completes its own token), so no wake is lost
 * between a waker's read and the arming. https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient, InvalidInputError } from '../shared/errors';
import type { OrderedDeployment } from './commit-order';
import { abortRequestOf } from './fence';
import { lockTurnNow } from './lock';
import { type LockTable, queueKey, type ServiceRef, setWaitToken } from './lock-table';
import type { ExecutionMode } from './lock-turn';
import { completeLockWait, type SendTaskSuccess } from './lock-wait';
import { recordKey } from './record-model';

/** What the record keeps of the lock wait in progress (`lockWait`). */
export interface LockWaitMark {
  token: string;
  armedAt: string;
  waitSeconds: number;
}

/** WaitForLock's payload: `{deployment, waitSeconds: $.lock.pollSeconds, taskToken: $$.Task.Token}`. */
export interface LockWaitRequest {
  deployment: OrderedDeployment;
  waitSeconds: number;
  taskToken: string;
}

/** What the arming did: `armed` (the token waits for a waker), or ended the wait itself and why. */
export interface LockWaitArmed {
  armed: boolean;
  endedBecause?: string;
}

/** Leaves the wait's token for the wakers, then ends the wait at once if its turn changed meanwhile. */
export async function armLockWait(
  table: LockTable & { sendTaskSuccess: SendTaskSuccess },
  request: ServiceRef & LockWaitRequest & { mode: ExecutionMode; now?: Date },
): Promise<LockWaitArmed> {
  checkArmRequest(request);
  const { deployment, taskToken, waitSeconds } = request;
  const now = request.now ?? new Date();
  const ref = { cluster: request.cluster, service: request.service };
  const end = async (why: string): Promise<LockWaitArmed> => {
    await completeLockWait(table.sendTaskSuccess, taskToken, `check: ${why}`, now);
    return { armed: false, endedBecause: why };
  };

  const mark: LockWaitMark = { token: taskToken, armedAt: now.toISOString(), waitSeconds };
  const record = await markRecord(table, deployment, mark);
  if (!record) return end('its record is no longer RUNNING');
  if (abortRequestOf(record)) return end('abort requested');
  const queued = await setWaitToken(table, queueKey(ref, deployment), {
    token: taskToken,
    armedAt: now,
    waitSeconds,
  });
  if (!queued) return end('its queue place is gone');
  const turn = await lockTurnNow(table, { ...ref, deployment, mode: request.mode, now });
  if (turn.kind === 'go') return end('the lock is free');
  if (turn.kind === 'superseded') return end(turn.reason);
  return { armed: true };
}

/** Puts `lockWait` on a RUNNING record; the record as it is after the write, or undefined when not RUNNING. */
async function markRecord(
  table: LockTable,
  deployment: OrderedDeployment,
  mark: LockWaitMark,
): Promise<Record<string, unknown> | undefined> {
  const key = recordKey(deployment);
  try {
    const out = await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'SET lockWait = :mark',
        ConditionExpression: '#status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':mark': mark, ':running': 'RUNNING' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw asTransient(`UpdateItem ${key.pk} ${key.sk} in ${table.tableName}`, error);
  }
}

function checkArmRequest(request: LockWaitRequest): void {
  const { deployment, taskToken, waitSeconds } = request;
  const missing = ['id', 'repository', 'commitId', 'executionId', 'startedAt'].filter(
    (field) => typeof (deployment as unknown as Record<string, unknown> | undefined)?.[field] !== 'string',
  );
  if (missing.length > 0) {
    throw new InvalidInputError(
      `WaitForLock needs {"deployment": {...}} as Prepare returns it; missing or not a string: ${missing.join(', ')} (see events/acquire-lock.json)`,
    );
  }
  if (typeof taskToken !== 'string' || taskToken === '') {
    throw new InvalidInputError(
      'WaitForLock needs "taskToken": "$$.Task.Token" in its Payload (statemachine/pipeline.asl.json); got none',
    );
  }
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1) {
    throw new InvalidInputError(
      `WaitForLock needs "waitSeconds" >= 1, the state's HeartbeatSecondsPath ($.lock.pollSeconds); got ${JSON.stringify(waitSeconds)}`,
    );
  }
}
