/**
 * A pause or the bake as one callback wait. WaitInPause / WaitInBake invoke CheckPauseFunction with the state's
 * task token (`arn:aws:states:::lambda:invoke.waitForTaskToken`): it checks alarms, abort and promote at once, and
 * either ends the wait itself (the pause is over, or promoted) or leaves the token on the deployment record
 * (`pauseWait`). The state then waits, with no transition and no invocation, until the token is completed or the
 * state's HeartbeatSeconds (the pause, at most MAX_CHECK_INTERVAL_SECONDS: the slow safety check) runs out. Whoever
 * must react at once completes the token: WakePauseFunction on the configured alarms' "CloudWatch Alarm State
 * Change" event, `switchyard promote` and `switchyard abort`; the machine then checks at once (CheckPause).
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type Deployment, DeploymentsTable } from '../record/deployments';
import { getLock, lockTable } from '../record/lock-table';
import { recordKey } from '../record/record-model';

/** What the record keeps of the wait in progress (`pauseWait`). */
export interface PauseWait {
  token: string;
  armedAt: string;
  waitSeconds: number;
}

/**
 * What the wait state put at `$.pauseWake`: the output of the SendTaskSuccess that ended it (`{status, by,
 * armedAt, at}`), or the Catch's `{Error: "States.HeartbeatTimeout"}` when it ran its whole HeartbeatSeconds (no
 * one sends heartbeats: the heartbeat is the wait's length, and a Retry on States.Timeout cannot re-arm it).
 */
export interface PauseWake {
  status?: string;
  by?: string;
  armedAt?: string;
  at?: string;
  Error?: string;
}

/**
 * The seconds of the pause the wait used: all of `waitSeconds` on a timeout (counted in the machine's own waits,
 * so local runs that compress waits compress pauses); after a wake, the time from arming to the wake, at most
 * `waitSeconds`, so a wake that changes nothing neither shortens nor stretches the pause.
 */
export function waitedSeconds(waitSeconds: number, wake: PauseWake | null | undefined): number {
  if (!wake || wake.Error === 'States.HeartbeatTimeout' || wake.Error === 'States.Timeout')
    return waitSeconds;
  const from = Date.parse(wake.armedAt ?? '');
  const to = Date.parse(wake.at ?? '');
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 0;
  return Math.min(waitSeconds, Math.max(0, Math.floor((to - from) / 1000)));
}

/** Leaves the wait's token on the record, for the wakers. */
export async function armPauseWait(
  deps: { dynamodb: DynamoDBClient; tableName: string },
  deployment: Deployment,
  wait: PauseWait,
): Promise<void> {
  await new DeploymentsTable(deps.dynamodb, deps.tableName).update(deployment, { pauseWait: wait });
}

/**
 * Completes a wait's token with `output`. False when the wait had already ended (TaskTimedOut, TaskDoesNotExist,
 * InvalidToken: it timed out, or another waker was first), which is no error: the machine is checking anyway.
 */
export async function completeWait(sfn: SFNClient, token: string, output: object): Promise<boolean> {
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    return true;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(name)) return false;
    throw error;
  }
}

/** Wakes a record's pause wait, if it has one; `by` says who (alarm name, promote, abort). */
export async function wakeRecord(
  sfn: SFNClient,
  record: Record<string, unknown> | undefined,
  by: string,
  now: Date = new Date(),
): Promise<boolean> {
  const wait = record?.pauseWait as PauseWait | undefined;
  if (!wait?.token || record?.status !== 'RUNNING') return false;
  return completeWait(sfn, wait.token, { status: 'WOKEN', by, armedAt: wait.armedAt, at: now.toISOString() });
}

/** Wakes the pause of the deployment that holds the service's lock (the only one that can be in a pause). */
export async function wakeHolder(
  deps: { dynamodb: DynamoDBClient; sfn: SFNClient; tableName: string },
  service: { cluster: string; service: string; repository: string },
  by: string,
): Promise<{ deploymentId: string | null; woken: boolean }> {
  const holder = await getLock(lockTable(deps.dynamodb, deps.tableName), service);
  if (!holder) return { deploymentId: null, woken: false };
  const key = recordKey({
    repository: service.repository,
    startedAt: holder.startedAt,
    id: holder.deploymentId,
  });
  const { Item } = await DynamoDBDocumentClient.from(deps.dynamodb).send(
    new GetCommand({ TableName: deps.tableName, Key: key, ConsistentRead: true }),
  );
  return { deploymentId: holder.deploymentId, woken: await wakeRecord(deps.sfn, Item, by) };
}
