/**
 * What an operator reads of a deployment in CloudWatch, through the real state machine: every function's log lines
 * are JSON with the deployment's id, commit and execution (Prepare's too), and the metrics of docs/OBSERVABILITY.md
 * are written as EMF: one duration per stage, one end per deployment by outcome, and for a rollback the time it
 * took and the rollback count. Local runs keep each function's stdout as its log (RunResult.logs).
 */
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  runPipeline,
} from '../../cli/local/state-machine';
import { handler as shiftTraffic } from '../../functions/shift-traffic/handler';
import { putTestAlarm } from '../support/deploy-fixture';
import { sampleRepository } from '../support/fake-codecommit';
import { logEntries } from '../support/function-logs';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, pushOf, servingStack } from '../support/pipeline';

type Entry = Record<string, unknown>;

/** Every JSON line of every function of a run, with the function's logical id. */
function allEntries(result: RunResult): Array<{ fn: string; entry: Entry }> {
  const functions = new Set(result.logs.map((line) => line.split(' ')[0] ?? ''));
  return [...functions].flatMap((fn) => logEntries(result.logs, fn).map((entry) => ({ fn, entry })));
}

/** The EMF documents of a run: the lines with `_aws`. */
function metricDocuments(result: RunResult): Entry[] {
  return allEntries(result)
    .map(({ entry }) => entry)
    .filter((entry) => typeof entry._aws === 'object');
}

/** The values of one metric, with the document each came in. */
function valuesOf(result: RunResult, name: string): Entry[] {
  return metricDocuments(result).filter((doc) => name in doc);
}

describe('structured logs and metrics of a deployment', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWith(parameters: Record<string, string>) {
    await moto.setBuildExecutor();
    return servingStack(parameters);
  }

  const run = (stack: LocalStack, commitId: string, name: string, handlers?: Record<string, LocalHandler>) =>
    runPipeline({ input: pushOf(commitId), stack, executionName: name, waitMs: () => 10, handlers });

  it('tags every line with the deployment and measures each stage and the end', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, repo.commitId, 'observed');

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    const [record] = await deploymentRecords(stack);
    const keys = {
      deploymentId: record?.deploymentId,
      commitId: repo.commitId,
      executionId: record?.executionId,
    };
    expect(keys.deploymentId).toEqual(expect.any(String));
    const lines = allEntries(result).filter(({ entry }) => typeof entry.message === 'string');
    // Every function of the run logged, each line with the keys.
    expect(new Set(lines.map(({ fn }) => fn))).toEqual(
      new Set([
        'PrepareFunction',
        'ArchiveSourceFunction',
        'StartBuildFunction',
        'CheckBuildFunction',
        'RenderTaskDefinitionFunction',
        'AcquireLockFunction',
        'CreateGreenFunction',
        'CheckGreenFunction',
        'AllowTestTrafficFunction',
        'ShiftTrafficFunction',
        'CheckPauseFunction',
        'FinalizeFunction',
        'RecordResultFunction',
      ]),
    );
    for (const { fn, entry } of lines) expect({ fn, ...entry }).toMatchObject({ fn, ...keys });
    expect(logEntries(result.logs, 'PrepareFunction')).toContainEqual(
      expect.objectContaining({
        level: 'INFO',
        message: expect.stringMatching(/^deploying switchyard-sample-app@main [0-9a-f]{40} \(push\)$/),
      }),
    );

    const stages = valuesOf(result, 'StageDuration');
    expect(stages.map((doc) => doc.Stage)).toEqual(['Source', 'Build', 'Green', 'Traffic']);
    for (const doc of stages) {
      expect(doc).toMatchObject({
        Service: `${stack.target.clusterName}/${stack.target.serviceName}`,
        ...keys,
      });
      expect(doc.StageDuration).toBeGreaterThanOrEqual(0);
    }
    const [end, ...moreEnds] = valuesOf(result, 'Deployments');
    expect(moreEnds).toEqual([]);
    expect(end).toMatchObject({ Outcome: 'SUCCEEDED', Deployments: 1, ...keys });
    // The whole deployment lasts at least as long as its stages put together.
    const staged = stages.reduce((sum, doc) => sum + Number(doc.StageDuration), 0);
    expect(Number(end?.DeploymentDuration)).toBeGreaterThanOrEqual(staged - 0.01);
    expect(valuesOf(result, 'Rollbacks')).toEqual([]);
    expect(valuesOf(result, 'TimeToRollback')).toEqual([]);
  });

  it('logs why a deployment rolled back and measures the rollback', async () => {
    const cloudwatch = new CloudWatchClient({});
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes', AlarmNames: 'web-5xx' });
    const [repo] = await serve(sampleRepository());
    const shiftThenAlarm: LocalHandler = async (event) => {
      const out = await shiftTraffic(event as never);
      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'web-5xx',
          StateValue: 'ALARM',
          StateReason: '12 errors in 1 minute',
        }),
      );
      return out;
    };

    const result = await run(stack, repo.commitId, 'observed-rollback', {
      ShiftTrafficFunction: shiftThenAlarm,
    });

    expect(result.status).toBe('FAILED');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ROLLED_BACK', rollbackStartedAt: expect.any(String) });
    const failure = allEntries(result).find(({ entry }) => entry.level === 'ERROR');
    expect(failure?.entry).toMatchObject({
      deploymentId: record?.deploymentId,
      error: { name: 'AlarmError' },
      message: expect.stringMatching(/^AlarmError: .*web-5xx/),
    });
    const [timeToRollback, ...again] = valuesOf(result, 'TimeToRollback');
    expect(again).toEqual([]);
    expect(timeToRollback).toMatchObject({ deploymentId: record?.deploymentId });
    expect(Number(timeToRollback?.TimeToRollback)).toBeGreaterThanOrEqual(0);
    expect(valuesOf(result, 'Deployments')).toEqual([expect.objectContaining({ Outcome: 'ROLLED_BACK' })]);
    expect(valuesOf(result, 'Rollbacks')).toEqual([expect.objectContaining({ Rollbacks: 1 })]);
    expect(valuesOf(result, 'RollbackFailed')).toEqual([]);
    // Green was healthy before the alarm: its stage was measured; the shift never finished, so Traffic was not.
    expect(valuesOf(result, 'StageDuration').map((doc) => doc.Stage)).toEqual(['Source', 'Build', 'Green']);
  });

  it('measures a stopped deployment once, as CleanUp closes it', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());

    const result = await abortWhen(
      { input: pushOf(repo.commitId), stack, executionName: 'observed-stop', waitMs: () => 10 },
      (event) => event.type === 'state-entered' && event.state === 'WaitInPause',
    );

    expect(result.status).toBe('ABORTED');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED' });
    const cleanUp = logEntries(result.logs, 'CleanUpFunction').filter((entry) => 'message' in entry);
    expect(cleanUp.length).toBeGreaterThan(0);
    for (const entry of cleanUp) {
      expect(entry).toMatchObject({ deploymentId: record?.deploymentId, executionId: result.executionArn });
    }
    expect(valuesOf(result, 'Deployments')).toEqual([
      expect.objectContaining({ Outcome: 'ABORTED', Deployments: 1, deploymentId: record?.deploymentId }),
    ]);
    expect(valuesOf(result, 'Rollbacks')).toEqual([expect.objectContaining({ Rollbacks: 1 })]);
  });
});
