/**
 * Deployment metrics, written by Powertools for AWS Lambda (TypeScript) Metrics as CloudWatch embedded metric format
 * (EMF) lines on stdout: Lambda sends them to CloudWatch Logs, which turns them into metrics, with no API call and
 * nothing to retry (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html,
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/).
 * Every metric is in the namespace `Switchyard` with the dimension `Service` = `<cluster>/<service>` (and `Outcome` or
 * `Stage` where docs/OBSERVABILITY.md says so); Powertools' own `service` dimension is cleared, so a metric is
 * found by the same dimensions an alarm names (template.yaml's RollbackFailedAlarm: Service alone). The deployment's
 * keys ride along as properties (not dimensions), searchable in the log line.
 * A function writes its metrics after its last AWS call: a retry of its state (after a failed call) does not count
 * twice; only a Lambda timeout between the line and the return could, as for any at-least-once EMF writer.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The namespace of every metric, as the alarms of template.yaml watch it. */
export const METRICS_NAMESPACE = 'Switchyard';

/** The metrics Switchyard writes (docs/OBSERVABILITY.md). */
export type MetricName =
  | 'Deployments'
  | 'DeploymentDuration'
  | 'Rollbacks'
  | 'RollbackFailed'
  | 'StageDuration'
  | 'TimeToRollback';

/** The stages whose durations are measured (docs/OBSERVABILITY.md). */
export type MetricStage = 'Source' | 'Build' | 'Green' | 'Traffic';

/** One value of a metric: a count, or a duration in seconds. */
export interface MetricValue {
  name: MetricName;
  unit: 'Count' | 'Seconds';
  value: number;
}

/** What every metric of a deployment carries. */
export interface MetricScope {
  cluster: string;
  service: string;
  deployment?: { id: string; commitId: string; executionId: string };
}

/** The `Service` dimension: `<cluster>/<service>`. */
export function serviceDimension(scope: Pick<MetricScope, 'cluster' | 'service'>): string {
  return `${scope.cluster}/${scope.service}`;
}

/**
 * Writes one EMF document: `values` under the dimensions Service (from `scope`) and `dimensions`.
 * Values that are not finite (a time that could not be read) are left out; nothing is written without a value.
 */
export function publishMetrics(
  scope: MetricScope,
  values: readonly MetricValue[],
  dimensions: Record<string, string> = {},
): void {
  const kept = values.filter((value) => Number.isFinite(value.value) && value.value >= 0);
  // Without the stack's service (a function called outside the stack, as by a bare `sam local invoke`) there is no
  // Service to file the value under.
  if (kept.length === 0 || !scope.cluster || !scope.service) return;
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE });
  metrics.clearDefaultDimensions();
  metrics.addDimension('Service', serviceDimension(scope));
  for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
  for (const value of kept) {
    const unit = value.unit === 'Count' ? MetricUnit.Count : MetricUnit.Seconds;
    metrics.addMetric(value.name, unit, value.unit === 'Seconds' ? roundSeconds(value.value) : value.value);
  }
  if (scope.deployment) {
    metrics.addMetadata('deploymentId', scope.deployment.id);
    metrics.addMetadata('commitId', scope.deployment.commitId);
    metrics.addMetadata('executionId', scope.deployment.executionId);
  }
  metrics.publishStoredMetrics();
}

/** Seconds to the millisecond. */
function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Seconds from an ISO time to `now`; NaN when the time cannot be read (publishMetrics then leaves it out). */
export function secondsSince(iso: string | undefined, now: Date = new Date()): number {
  const start = iso ? Date.parse(iso) : Number.NaN;
  return (now.getTime() - start) / 1000;
}

/** The duration of one stage of a deployment: StageDuration with the dimension Stage. */
export function publishStageDuration(scope: MetricScope, stage: MetricStage, seconds: number): void {
  publishMetrics(scope, [{ name: 'StageDuration', unit: 'Seconds', value: seconds }], { Stage: stage });
}

/** The scope of the stack's own service, from the environment every function has (template.yaml Globals). */
export function scopeFromEnv(deployment?: MetricScope['deployment']): MetricScope {
  return {
    cluster: process.env.CLUSTER_NAME ?? '',
    service: process.env.SERVICE_NAME ?? '',
    ...(deployment ? { deployment } : {}),
  };
}

/** The statuses that mean a rollback ran: production went back to blue, or tried to. */
const ROLLED_BACK = new Set(['ROLLED_BACK', 'ROLLBACK_FAILED']);

/**
 * The end of a deployment: Deployments = 1 and DeploymentDuration (from the execution's start) with the dimension
 * Outcome; Rollbacks = 1 when a rollback ran (the outcome says so, or `rolledBack`: CleanUp's rollback of a stopped
 * run ends ABORTED); RollbackFailed = 1 when it failed (the stack's RollbackFailedAlarm).
 */
export function publishDeploymentEnd(
  scope: MetricScope & { deployment: NonNullable<MetricScope['deployment']> & { startedAt: string } },
  /** How the deployment ended, as its record says (SUCCEEDED, ROLLED_BACK, ABORTED…). */
  outcome: string,
  options: { now?: Date; rolledBack?: boolean } = {},
): void {
  const now = options.now ?? new Date();
  publishMetrics(
    scope,
    [
      { name: 'Deployments', unit: 'Count', value: 1 },
      { name: 'DeploymentDuration', unit: 'Seconds', value: secondsSince(scope.deployment.startedAt, now) },
    ],
    { Outcome: outcome },
  );
  if (!ROLLED_BACK.has(outcome) && !options.rolledBack) return;
  const values: MetricValue[] = [{ name: 'Rollbacks', unit: 'Count', value: 1 }];
  if (outcome === 'ROLLBACK_FAILED') values.push({ name: 'RollbackFailed', unit: 'Count', value: 1 });
  publishMetrics(scope, values);
}
