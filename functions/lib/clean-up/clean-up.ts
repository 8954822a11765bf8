/**
 * The CleanUp core: an execution that was aborted or timed out runs none of its states again, so what it left
 * running is stopped here (its build) and its record is closed, letting the commit be deployed again. The
 * service's lock (if it held it) and its place in the queue are released, so waiting deployments can go.
 */
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { getBuild, stopBuild } from '../build/codebuild';
import type { GreenState } from '../deploy/state';
import type { Deployment, DeploymentsTable } from '../record/deployments';
import { releaseLock } from '../record/lock';
import type { LockTable, ServiceRef } from '../record/lock-table';
import { InvalidInputError } from '../shared/errors';

/** The part of the EventBridge "Step Functions Execution Status Change" event CleanUp reads. */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  source?: string;
  detail?: {
    executionArn?: string;
    name?: string;
    status?: string;
    startDate?: number;
    stopDate?: number | null;
  };
}

/** What CleanUp did. */
export interface CleanUpResult {
  deploymentId: string;
  action: 'closed' | 'already-ended' | 'no-record';
  stoppedBuild: string | null;
  /** True when the execution still held the service's lock and CleanUp released it. */
  releasedLock: boolean;
  /** True when the deployment had started green and CleanUp rolled it back. */
  rolledBack?: boolean;
}

/** Cleans up after one aborted or timed-out execution. */
export async function cleanUp(
  event: ExecutionStatusChange,
  deps: {
    codebuild: CodeBuildClient;
    table: DeploymentsTable;
    repository: string;
    lock: ServiceRef & { table: LockTable };
    /**
     * Puts production back on the live target group and removes green, as the machine's Rollback state does. Called
     * when the execution ended after CreateGreen started (the record has `green`).
     */
    rollBack?: (deployment: Deployment, green: GreenState, cause: string) => Promise<unknown>;
  },
): Promise<CleanUpResult> {
  const detail = event?.detail;
  if (
    event?.source !== 'aws.states' ||
    !detail?.name ||
    typeof detail.startDate !== 'number' ||
    !['ABORTED', 'TIMED_OUT', 'FAILED'].includes(detail.status ?? '')
  ) {
    throw new InvalidInputError(
      'CleanUp expects an EventBridge "Step Functions Execution Status Change" event with status ABORTED or TIMED_OUT (see events/clean-up.json)',
    );
  }
  const record = await deps.table.findRecord(deps.repository, detail.name, detail.startDate);
  // Without a record the execution ended before Prepare opened one: it never reached AcquireLock.
  if (!record)
    return { deploymentId: detail.name, action: 'no-record', stoppedBuild: null, releasedLock: false };
  // An ended record may still hold the lock when RecordResult's release failed and the execution then stopped.
  if (record.status !== 'RUNNING') {
    const releasedLock = await release(record.deployment, deps.lock);
    return { deploymentId: detail.name, action: 'already-ended', stoppedBuild: null, releasedLock };
  }

  let stoppedBuild: string | null = null;
  const buildId = record.build?.id;
  if (buildId) {
    const build = await getBuild(deps.codebuild, buildId);
    if (build.buildStatus === 'IN_PROGRESS') {
      await stopBuild(deps.codebuild, buildId);
      stoppedBuild = buildId;
    }
  }
  const ending = {
    ABORTED: { reason: 'the execution was aborted', name: 'ExecutionAborted', status: 'ABORTED' },
    TIMED_OUT: { reason: 'the execution timed out', name: 'ExecutionTimedOut', status: 'ABORTED' },
    // A failure the machine did not catch (a runtime error in a Choice or a path): its states never ended it.
    FAILED: { reason: 'the execution failed outside any catch', name: 'ExecutionFailed', status: 'FAILED' },
  } as const;
  const { reason, name, status } = ending[detail.status as keyof typeof ending];
  // An execution stopped mid-deployment leaves green running and maybe part of the traffic on it.
  let rolledBack = false;
  if (record.green && Object.keys(record.green).length > 0 && deps.rollBack) {
    await deps.rollBack(record.deployment, record.green as unknown as GreenState, reason);
    rolledBack = true;
  }
  await deps.table.finish(record.deployment, status, {
    error: {
      name,
      message: `${reason}${stoppedBuild ? `; build ${stoppedBuild} was stopped` : ''}${rolledBack ? '; production was rolled back to the live target group and green removed' : ''}`,
    },
  });
  const releasedLock = await release(record.deployment, deps.lock);
  return { deploymentId: detail.name, action: 'closed', stoppedBuild, releasedLock, rolledBack };
}

/** Releases the service's lock and queue item of the deployment; true when it held the lock. */
async function release(deployment: Deployment, lock: ServiceRef & { table: LockTable }): Promise<boolean> {
  const { released } = await releaseLock(lock.table, {
    deployment,
    cluster: lock.cluster,
    service: lock.service,
  });
  return released;
}
