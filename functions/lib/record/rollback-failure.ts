/**
 * What RecordRollbackFailure does besides writing ROLLBACK_FAILED on the record: the deployment keeps the service's
 * lock (marked, so that waiters are told why and what to do: lock-rollback-failed.ts). The metric the stack's
 * RollbackFailedAlarm watches (RollbackFailed, dimension Service) is written by RecordResult's handler with the
 * other end-of-deployment metrics (shared/metrics.ts `publishDeploymentEnd`).
 */
import type { Deployment } from './deployments';
import { markLockRollbackFailed, resumeRollbackFix } from './lock-rollback-failed';
import type { LockTable, ServiceRef } from './lock-table';

/**
 * Keeps the lock of a deployment whose rollback failed (marked ROLLBACK_FAILED).
 * Returns whether this deployment held the lock (a deployment without it has no lock to keep).
 */
export async function holdLockAfterRollbackFailure(
  lock: ServiceRef & { table: LockTable },
  deployment: Deployment,
  options: { now?: Date } = {},
): Promise<{ lockKept: boolean; fix: string }> {
  const now = options.now ?? new Date();
  const ref = { cluster: lock.cluster, service: lock.service };
  const lockKept = await markLockRollbackFailed(lock.table, ref, deployment.id, now);
  return { lockKept, fix: resumeRollbackFix(deployment.id) };
}
