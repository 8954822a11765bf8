/**
 * The deployment metrics (functions/lib/shared/metrics.ts): each is one CloudWatch EMF document in the namespace
 * Switchyard with the dimension Service (and Outcome where it says so), without Powertools' own `service`
 * dimension, so that template.yaml's RollbackFailedAlarm, which names Service alone, sees RollbackFailed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import {
  publishDeploymentEnd,
  publishMetrics,
  publishStageDuration,
  secondsSince,
} from '../../../functions/lib/shared/metrics';

type Emf = {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
} & Record<string, unknown>;

const DEPLOYMENT = {
  id: 'd-1',
  commitId: 'c'.repeat(40),
  executionId: 'arn:exec',
  startedAt: '2026-12-05T10:00:00.000Z',
};
const SCOPE = { cluster: 'apps', service: 'web', deployment: DEPLOYMENT };

/** The EMF documents written to stdout while `run` runs. */
function documentsOf(run: () => void): Emf[] {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    written.push(String(chunk));
    return true;
  });
  try {
    run();
  } finally {
    spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Emf);
}

describe('deployment metrics', () => {
  it('writes one EMF document per call, under Service and the dimensions given, with the deployment as properties', () => {
    const [doc, ...rest] = documentsOf(() => publishStageDuration(SCOPE, 'Build', 83.25678));
    expect(rest).toEqual([]);
    expect(doc?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Switchyard',
        Dimensions: [['Service', 'Stage']],
        Metrics: [{ Name: 'StageDuration', Unit: 'Seconds' }],
      },
    ]);
    expect(doc).toMatchObject({
      Service: 'apps/web',
      Stage: 'Build',
      StageDuration: 83.257,
      deploymentId: 'd-1',
      commitId: DEPLOYMENT.commitId,
      executionId: 'arn:exec',
    });
    expect(doc).not.toHaveProperty('service');
  });

  it('counts every end by outcome, and a rollback, and a failed rollback for the alarm', () => {
    const now = new Date('2026-12-05T10:05:30.000Z');
    const succeeded = documentsOf(() => publishDeploymentEnd(SCOPE, 'SUCCEEDED', { now }));
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service', 'Outcome']]);
    expect(succeeded[0]).toMatchObject({ Outcome: 'SUCCEEDED', Deployments: 1, DeploymentDuration: 330 });

    const rolledBack = documentsOf(() => publishDeploymentEnd(SCOPE, 'ROLLED_BACK', { now }));
    expect(rolledBack.map((doc) => doc._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name))).toEqual([
      ['Deployments', 'DeploymentDuration'],
      ['Rollbacks'],
    ]);
    expect(rolledBack[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['Service']]);

    const failed = documentsOf(() => publishDeploymentEnd(SCOPE, 'ROLLBACK_FAILED', { now }));
    expect(failed[1]).toMatchObject({ Service: 'apps/web', Rollbacks: 1, RollbackFailed: 1 });
    expect(documentsOf(() => publishDeploymentEnd(SCOPE, 'ABORTED', { now }))).toHaveLength(1);
    // A stopped run that CleanUp rolled back ends ABORTED, and counts as a rollback.
    const cleaned = documentsOf(() => publishDeploymentEnd(SCOPE, 'ABORTED', { now, rolledBack: true }));
    expect(cleaned.map((doc) => doc._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name))).toEqual([
      ['Deployments', 'DeploymentDuration'],
      ['Rollbacks'],
    ]);
  });

  it('matches the metric RollbackFailedAlarm watches', () => {
    const template = parseDocument(readFileSync(join(__dirname, '../../../template.yaml'), 'utf8'), {
      customTags: [
        { tag: '!Sub', resolve: (value: string) => value },
        { tag: '!Ref', resolve: (value: string) => `\${${value}}` },
      ],
    }).toJS() as { Resources: Record<string, { Properties: Record<string, unknown> }> };
    const alarm = template.Resources.RollbackFailedAlarm?.Properties as {
      Namespace: string;
      MetricName: string;
      Dimensions: Array<{ Name: string; Value: string }>;
    };
    const [, doc] = documentsOf(() => publishDeploymentEnd(SCOPE, 'ROLLBACK_FAILED'));
    const emitted = doc?._aws.CloudWatchMetrics[0];
    expect(emitted?.Namespace).toBe(alarm.Namespace);
    expect(emitted?.Metrics.map((metric) => metric.Name)).toContain(alarm.MetricName);
    // CloudWatch matches a metric by its exact set of dimensions.
    expect(emitted?.Dimensions).toEqual([alarm.Dimensions.map((dimension) => dimension.Name)]);
    // The stack's values: ClusterName apps, ServiceName web.
    const stack = (value: string) =>
      value.replace(/\$\{ClusterName\}/, 'apps').replace(/\$\{ServiceName\}/, 'web');
    for (const dimension of alarm.Dimensions) expect(doc?.[dimension.Name]).toBe(stack(dimension.Value));
  });

  it('writes nothing for a value that could not be measured, or outside a stack', () => {
    expect(secondsSince(undefined)).toBeNaN();
    expect(secondsSince('not a time')).toBeNaN();
    expect(documentsOf(() => publishStageDuration(SCOPE, 'Green', secondsSince(undefined)))).toEqual([]);
    expect(documentsOf(() => publishStageDuration({ ...SCOPE, cluster: '' }, 'Green', 3))).toEqual([]);
    // A duration and a count in one call: the unmeasured one is left out, the other is written.
    const [doc] = documentsOf(() =>
      publishMetrics(SCOPE, [
        { name: 'Deployments', unit: 'Count', value: 1 },
        { name: 'DeploymentDuration', unit: 'Seconds', value: Number.NaN },
      ]),
    );
    expect(doc?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'Deployments', Unit: 'Count' }]);
  });
});
