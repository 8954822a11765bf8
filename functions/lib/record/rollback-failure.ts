/**
 * What RecordRollbackFailure does besides writing ROLLBACK_FAILED on the record: the deployment keeps the service's
 * lock (marked, so that waiters are told why and what to do: lock-rollback-failed.ts), and one metric data point
 * is published for the stack's RollbackFailedAlarm, as a CloudWatch embedded metric format (EMF) log line: Lambda
 * sends stdout to CloudWatch Logs, which extracts the metric
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html,
 * the document: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 */
import type { Deployment } from './deployments';
import { markLockRollbackFailed, resumeRollbackFix } from './lock-rollback-failed';
import type { LockTable, ServiceRef } from './lock-table';

/** The metric's namespace and name, as template.yaml's RollbackFailedAlarm watches them. */
export const ROLLBACK_FAILED_METRIC = { namespace: 'Switchyard', name: 'RollbackFailed' } as const;

/** One EMF document: RollbackFailed = 1 (Count) with dimension Service = `<cluster>/<service>`. */
export function rollbackFailedMetricLine(ref: ServiceRef, deployment: Deployment, now: Date): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: ROLLBACK_FAILED_METRIC.namespace,
          Dimensions: [['Service']],
          Metrics: [{ Name: ROLLBACK_FAILED_METRIC.name, Unit: 'Count' }],
        },
      ],
    },
    Service: `${ref.cluster}/${ref.service}`,
    [ROLLBACK_FAILED_METRIC.name]: 1,
    // Properties that are not metrics or dimensions stay searchable in the log line.
    deploymentId: deployment.id,
    commitId: deployment.commitId,
    executionId: deployment.executionId,
  });
}

/** Writes one line to stdout as it is: the Lambda runtime's JSON log format wraps console.log, not stdout. */
export function writeStdoutLine(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Keeps the lock of a deployment whose rollback failed (marked ROLLBACK_FAILED) and emits the alarm's metric.
 * Returns whether this deployment held the lock (a deployment without it has no lock to keep).
 */
export async function holdLockAfterRollbackFailure(
  lock: ServiceRef & { table: LockTable },
  deployment: Deployment,
  options: { now?: Date; emit?: (line: string) => void } = {},
): Promise<{ lockKept: boolean; fix: string }> {
  const now = options.now ?? new Date();
  const ref = { cluster: lock.cluster, service: lock.service };
  const lockKept = await markLockRollbackFailed(lock.table, ref, deployment.id, now);
  (options.emit ?? writeStdoutLine)(rollbackFailedMetricLine(ref, deployment, now));
  return { lockKept, fix: resumeRollbackFix(deployment.id) };
}
