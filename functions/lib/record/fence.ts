/**
 * The fence around every write that changes production or green. Step Functions does not stop a Lambda function
 * that is running when its execution is stopped ("StopExecution ... does not stop running activities or
 * Lambda invocations": https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html), so
 * a task of a stopped execution may still reach its ModifyListener or CreateTaskSet after CleanUp rolled back.
 * Right before each such write, the guard reads (strongly consistent) the service's lock item and the deployment's
 * record, and refuses when:
 * - the deployment no longer holds the service's lock (released by CleanUp or RecordResult, or taken by another);
 * - the record is no longer RUNNING, or carries `stopping` (CleanUp marks it with markStopping before it rolls back);
 * - abort was requested: the write would move toward green, and an aborted deployment only goes back to blue.
 * Rollback's writes are never fenced: moving back to the live group is always allowed.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  asTransient,
  DeploymentAbortedError,
  DeploymentFencedError,
  InvalidInputError,
} from '../shared/errors';
import { getLock, lockTable, type ServiceRef } from './lock-table';
import { describeRequest, operatorRequest } from './operator-requests';
import { type Deployment, recordKey } from './record-model';
import { readRecordNow } from './record-read';

/** Where the fence reads: the deployments table (records and lock items) and the service the lock guards. */
export interface FenceTarget extends ServiceRef {
  dynamodb: DynamoDBClient;
  tableName: string;
}

/** The mark CleanUp leaves on a record before it rolls back (`stopping`). */
export interface StoppingMark {
  at: string;
  reason: string;
  executionId?: string;
}

/**
 * Throws DeploymentAbortedError when the operator asked to abort (the machine catches it into Rollback), or
 * DeploymentFencedError when the deployment may change nothing any more (lost lock, stopped or ended record).
 */
export async function assertMayChange(target: FenceTarget, deployment: Deployment): Promise<void> {
  requireDeployment(deployment);
  const ref = { cluster: target.cluster, service: target.service };
  const [lock, record] = await Promise.all([
    getLock(lockTable(target.dynamodb, target.tableName), ref),
    readRecordNow(target, deployment),
  ]);
  const where = `service ${ref.cluster}/${ref.service}`;
  if (!record) {
    throw new DeploymentFencedError(
      `deployment ${deployment.id} has no record in ${target.tableName}: refusing to change ${where}`,
    );
  }
  // `stoppedAt` alone: a clean-up that marks the record without markStopping.
  const stopping =
    (record.stopping as StoppingMark | undefined) ??
    (typeof record.stoppedAt === 'string' ? { at: record.stoppedAt, reason: 'stopped' } : undefined);
  if (stopping) {
    throw new DeploymentFencedError(
      `deployment ${deployment.id} is being stopped (${stopping.reason}, at ${stopping.at}): its clean-up rolls ` +
        `back ${where}, so this write is refused`,
    );
  }
  if (record.status !== 'RUNNING') {
    throw new DeploymentFencedError(
      `deployment ${deployment.id} already ended (${String(record.status)}): refusing to change ${where}`,
    );
  }
  if (lock?.deploymentId !== deployment.id) {
    throw new DeploymentFencedError(
      `deployment ${deployment.id} no longer holds the lock of ${where} ` +
        `(${lock ? `deployment ${lock.deploymentId} holds it` : 'nobody holds it'}): refusing to change it`,
    );
  }
  throwIfAborted(deployment, record);
}

/** The guard as the deploy core takes it: called right before each write toward green. */
export function fenceFor(target: FenceTarget, deployment: Deployment): () => Promise<void> {
  return () => assertMayChange(target, deployment);
}

/** A deployment whose record has ended may change nothing: what AcquireLock and Rollback answer when sent by hand. */
function endedError(deployment: Deployment, status: unknown, change: string): DeploymentFencedError {
  return new DeploymentFencedError(
    `deployment ${deployment.id} already ended (${String(status)}): refusing to ${change}`,
  );
}

/**
 * AcquireLock's check, for an input a person can also send by hand (an events/ sample, `sam local invoke`): a
 * deployment whose record has ended may not take the lock of a service another deployment may be using
 * (DeploymentFencedError), then the abort check. A deployment without a record is let through (the machine writes
 * it first; a test may not).
 */
export async function assertNotEnded(
  target: Pick<FenceTarget, 'dynamodb' | 'tableName'>,
  deployment: Deployment,
  change: string,
): Promise<void> {
  requireDeployment(deployment);
  const record = (await readRecordNow(target, deployment)) ?? {};
  if (record.status !== undefined && record.status !== 'RUNNING')
    throw endedError(deployment, record.status, change);
  throwIfAborted(deployment, record);
}

/** The record's field that dates the first attempt of a rollback (TimeToRollback counts from it). */
export const ROLLBACK_STARTED_FIELD = 'rollbackStartedAt';

/**
 * Rollback's first write, before it moves anything, in one conditional UpdateItem: only while the deployment may
 * still roll back (RUNNING, or ROLLBACK_FAILED: a resumed rollback) it stamps rollbackStartedAt, once (a retry keeps
 * the first attempt's time, which it returns); an ended deployment's Rollback sent again by hand is refused with
 * DeploymentFencedError before it moves a listener another deployment may be using. Without a record nothing is
 * written and nothing refused (undefined). No abort check: an abort is what leads to Rollback.
 */
export async function startRollback(
  target: Pick<FenceTarget, 'dynamodb' | 'tableName'>,
  deployment: Deployment,
  change: string,
  now: Date = new Date(),
): Promise<string | undefined> {
  requireDeployment(deployment);
  try {
    const out = await DynamoDBDocumentClient.from(target.dynamodb).send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: recordKey(deployment),
        UpdateExpression: 'SET #started = if_not_exists(#started, :now)',
        ConditionExpression: 'attribute_exists(#pk) AND #status IN (:running, :rollbackFailed)',
        ExpressionAttributeNames: { '#started': ROLLBACK_STARTED_FIELD, '#pk': 'pk', '#status': 'status' },
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':running': 'RUNNING',
          ':rollbackFailed': 'ROLLBACK_FAILED',
        },
        // ALL_NEW: UPDATED_NEW may leave out an attribute that if_not_exists kept as it was (a retry's).
        ReturnValues: 'ALL_NEW',
      }),
    );
    const started = out.Attributes?.[ROLLBACK_STARTED_FIELD];
    return typeof started === 'string' ? started : undefined;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const record = await readRecordNow(target, deployment);
  if (record) throw endedError(deployment, record.status, change);
  return undefined;
}

/**
 * The abort check alone, for states that change nothing themselves but lead to changes (CheckGreen, RunHooks):
 * DeploymentAbortedError when the record carries `abortRequested`.
 */
export async function assertNotAborted(
  target: Pick<FenceTarget, 'dynamodb' | 'tableName'>,
  deployment: Deployment,
): Promise<void> {
  requireDeployment(deployment);
  throwIfAborted(deployment, (await readRecordNow(target, deployment)) ?? {});
}

/** The operator's abort request of a record, if any (as `switchyard abort` writes it). */
export function abortRequestOf(record: Record<string, unknown>): ReturnType<typeof operatorRequest> {
  return operatorRequest(record.abortRequested);
}

/**
 * Marks a running deployment as being stopped, before CleanUp rolls it back: from then on the fence refuses
 * every write of the deployment's still running tasks. Conditional (only a RUNNING record, the first mark kept),
 * idempotent; true when the record carries the mark afterwards, false when the record is missing or has ended.
 */
export async function markStopping(
  target: Pick<FenceTarget, 'dynamodb' | 'tableName'>,
  deployment: Deployment,
  mark: StoppingMark,
): Promise<boolean> {
  requireDeployment(deployment);
  try {
    await DynamoDBDocumentClient.from(target.dynamodb).send(
      new UpdateCommand({
        TableName: target.tableName,
        Key: recordKey(deployment),
        UpdateExpression: 'SET stopping = if_not_exists(stopping, :mark)',
        ConditionExpression: 'attribute_exists(pk) AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':mark': mark, ':running': 'RUNNING' },
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw asTransient(`UpdateItem ${recordKey(deployment).sk} in ${target.tableName}`, error);
    }
    const record = await readRecordNow(target, deployment);
    return record?.stopping !== undefined && record.status === 'RUNNING';
  }
}

function throwIfAborted(deployment: Deployment, record: Record<string, unknown>): void {
  const abort = abortRequestOf(record);
  if (abort) {
    throw new DeploymentAbortedError(
      `deployment ${deployment.id} was aborted${describeRequest(abort)} (switchyard abort); nothing more moves ` +
        'toward green: rolling back to the live task set',
    );
  }
}

function requireDeployment(deployment: Deployment | undefined): void {
  const missing = ['id', 'repository', 'startedAt'].filter(
    (field) => typeof deployment?.[field as keyof Deployment] !== 'string',
  );
  if (missing.length > 0) {
    throw new InvalidInputError(
      `the fence needs {"deployment": {"id", "repository", "startedAt", ...}} as Prepare returns it; missing or ` +
        `not a string: ${missing.join(', ')}`,
    );
  }
}
