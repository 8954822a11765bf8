/**
 * What `switchyard promote` and `switchyard abort` do once the flag is on the record: the deployment reacts at
 * once instead of at its next check. A pause or bake waiting on its callback (functions/lib/deploy/pause-wait.ts)
 * is woken; an abort also stops a build still running, so WaitForBuild ends now and CheckBuild records ABORTED,
 * and wakes a deployment waiting for the service's lock (functions/lib/record/lock-wait.ts), whose AcquireLock
 * then ends it ABORTED.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { wakeRecord } from '../../functions/lib/deploy/pause-wait';
import { completeLockWait } from '../../functions/lib/record/lock-wait';
import type { LockWaitMark } from '../../functions/lib/record/lock-wait-arm';
import { stopBuildFromCli } from './stop-build';

/** What was done to make the flag take effect at once. */
export interface WakeResult {
  wokenFromPause: boolean;
  stoppedBuild: string | null;
  /** Present (true) when an abort woke the deployment from its wait for the service's lock. */
  wokenFromLockWait?: true;
}

/** Wakes `record`'s deployment after `flag` was set on it (read again, so a wait armed meanwhile is seen). */
export async function wakeFlagged(
  clients: { sfn: SFNClient; dynamodb: DynamoDBClient; codebuild?: CodeBuildClient },
  tableName: string,
  record: Record<string, unknown>,
  flag: 'promoteRequested' | 'abortRequested',
  by: string,
): Promise<WakeResult> {
  const key = { pk: record.pk, sk: record.sk };
  const { Item: now } = await DynamoDBDocumentClient.from(clients.dynamodb).send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
  );
  const verb = flag === 'promoteRequested' ? 'promote' : 'abort';
  let stoppedBuild: string | null = null;
  const build = (now?.build ?? record.build) as { id?: string } | undefined;
  if (flag === 'abortRequested' && build?.id && !now?.taskDefinitionArn) {
    // A build that already ended is left as it is (stopBuildFromCli); one still running ends STOPPED.
    await stopBuildFromCli(clients.codebuild ?? new CodeBuildClient({}), build.id);
    stoppedBuild = build.id;
  }
  const wokenFromPause = await wakeRecord(clients.sfn, now, `${verb} by ${by}`);
  // Only an abort changes what a deployment waiting for the lock does; a promote waits for its pause.
  const lockWait = now?.lockWait as LockWaitMark | undefined;
  const fromLock =
    flag === 'abortRequested' && now?.status === 'RUNNING' && typeof lockWait?.token === 'string'
      ? await completeLockWait(
          async (taskToken, output) => {
            await clients.sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
          },
          lockWait.token,
          `${verb} by ${by}`,
        )
      : false;
  return { wokenFromPause, stoppedBuild, ...(fromLock ? { wokenFromLockWait: true as const } : {}) };
}
