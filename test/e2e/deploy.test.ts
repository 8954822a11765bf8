/**
 * The deploy stage through the real state machine, from a push: the weights production sees at each step for each
 * preset, every rollback path (unhealthy green, an alarm during a pause, a failing hook, the abort flag), runs that
 * overlap, a duplicated event, the next deployment on the other target group, and a first deployment. The commits
 * are real: the emulator serves CodeCommit and the builds' source from a git repository (test/support/git-codecommit.ts).
 */
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createNodeFunction } from '../../cli/emulator/functions';
import { createLocalStack } from '../../cli/local/local-stack';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  runPipeline,
  startPipeline,
} from '../../cli/local/state-machine';
import { recordKey } from '../../functions/lib/record/deployments';
import { handler as shiftTraffic } from '../../functions/shift-traffic/handler';
import { putTestAlarm } from '../support/deploy-fixture';
import { SAMPLE_APPSPEC, sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, production, pushOf } from '../support/pipeline';

describe('the deploy stage, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

  async function stackWith(parameters: Record<string, string> = {}, serving = true) {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080, serving },
    });
    return stack as LocalStack & { target: BlueGreenFixture };
  }

  /** Serves two commits of the sample repository on its branch, the second with a changed server. */
  function serveTwoCommits() {
    const two = { ...sampleRepository(), message: 'Serve v2' };
    two.files['src/server.js'] = { content: 'console.log("v2");\n' };
    return serve(sampleRepository(), two);
  }

  const run = (
    stack: LocalStack,
    input: unknown,
    executionName: string,
    handlers?: Record<string, LocalHandler>,
  ): Promise<RunResult> =>
    runPipeline({
      input,
      stack,
      executionName,
      waitMs: () => 10,
      handlers,
      onEvent: (e) => {
        if (process.env.DEBUG_RUN && e.type === 'state-failed')
          process.stderr.write(`${JSON.stringify(e)}\n`);
      },
    });

  /** Production wholly on the group that was live, one task set, PRIMARY, the old revision. */
  async function expectBackOnBlue(stack: LocalStack & { target: BlueGreenFixture }) {
    expect(await production(stack.target)).toEqual({
      weights: { [stack.target.targetGroups.blue]: 100, [stack.target.targetGroups.green]: 0 },
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
  }

  /** After any rollback: production back on blue (expectBackOnBlue), and the record ROLLED_BACK with the error. */
  async function expectRolledBack(
    stack: LocalStack & { target: BlueGreenFixture },
    result: RunResult,
    error: string,
  ) {
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe(error);
    expect(result.statesVisited).toContain('Rollback');
    await expectBackOnBlue(stack);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ROLLED_BACK', error: { name: error } });
  }

  it.each([
    ['AllAtOnce', [100]],
    ['CodeDeployDefault.ECSCanary10Percent5Minutes', [10, 100]],
    ['Linear10PercentEvery1Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
  ])(
    'moves production to green with %s, the weights read back after each step being %j',
    async (strategy, expected) => {
      const stack = await stackWith({ TrafficStrategy: strategy });
      const [repo] = await serve(sampleRepository());

      const result = await run(stack, pushOf(repo.commitId), 'deploy');

      expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
      const [record] = await deploymentRecords(stack);
      const green = stack.target.targetGroups.green;
      expect(
        ((record?.steps ?? []) as { observedWeights: Record<string, number> }[]).map(
          (step) => step.observedWeights[green],
        ),
      ).toEqual(expected);
      expect(await production(stack.target)).toEqual({
        weights: { [green]: 100, [stack.target.targetGroups.blue]: 0 },
        primary: record?.taskDefinitionArn,
        taskSets: 1,
      });
    },
  );

  it('rolls back when green never becomes healthy, naming the unhealthy targets', async () => {
    // A deadline of about a second (the template's minimum is a minute; the functions take fractions).
    const stack = await stackWith({ GreenHealthTimeoutMinutes: '0.02' });
    await moto.setTargetHealth({
      targetGroupArn: stack.target.targetGroups.green,
      state: 'unhealthy',
      reason: 'Target.FailedHealthChecks',
      description: 'Health checks failed with these codes: [502]',
    });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, pushOf(repo.commitId), 'unhealthy');

    await expectRolledBack(stack, result, 'GreenUnhealthyError');
    expect(result.error?.cause).toMatch(/Target\.FailedHealthChecks/);
  });

  it('rolls back when an alarm goes off during a canary pause', async () => {
    const cloudwatch = new CloudWatchClient({});
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes', AlarmNames: 'web-5xx' });
    const [repo] = await serve(sampleRepository());
    // The alarm fires once the canary takes 10 %: the next check of the pause sees it.
    const shiftThenAlarm: LocalHandler = async (event) => {
      const out = await shiftTraffic(event as never);
      if ((event as { step: number }).step === 0) {
        await cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: 'web-5xx',
            StateValue: 'ALARM',
            StateReason: '12 errors in 1 minute',
          }),
        );
      }
      return out;
    };

    const result = await run(stack, pushOf(repo.commitId), 'alarm', { ShiftTrafficFunction: shiftThenAlarm });

    await expectRolledBack(stack, result, 'AlarmError');
    expect(result.error?.cause).toMatch(/web-5xx.*12 errors in 1 minute/);
  });

  it('rolls back when a lifecycle hook answers Failed', async () => {
    await createNodeFunction(moto.endpoint, {
      name: 'CodeDeployHook_smoke',
      files: {
        'index.js':
          "exports.handler = async () => ({ status: 'Failed', reason: 'GET /health answered 500' });",
      },
    });
    const stack = await stackWith();
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}Hooks:\n  - AfterAllowTestTraffic: CodeDeployHook_smoke\n`,
    };
    const [repo] = await serve(app);

    const result = await run(stack, pushOf(repo.commitId), 'hook');

    await expectRolledBack(stack, result, 'HookFailedError');
    expect(result.statesVisited).not.toContain('ShiftTraffic');
    expect(result.error?.cause).toMatch(/AfterAllowTestTraffic.*CodeDeployHook_smoke/);
  });

  it('gives the hooks of one event the HookTimeoutSeconds budget, then rolls back naming the hook', async () => {
    await createNodeFunction(moto.endpoint, {
      name: 'CodeDeployHook_slow_tests',
      files: {
        'index.js':
          "exports.handler = () => new Promise((resolve) => setTimeout(() => resolve({ status: 'Succeeded' }), 60000));",
      },
    });
    const stack = await stackWith({ HookTimeoutSeconds: '10' });
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}Hooks:\n  - AfterInstall: CodeDeployHook_slow_tests\n`,
    };
    const [repo] = await serve(app);

    const result = await run(stack, pushOf(repo.commitId), 'slow-hook');

    await expectRolledBack(stack, result, 'HookFailedError');
    expect(result.error?.cause).toMatch(/AfterInstall.*CodeDeployHook_slow_tests/);
    expect(result.error?.cause).toMatch(/10 s/);
    expect(result.statesVisited).not.toContain('ShiftTraffic');
  });

  it('rolls back cleanly when a BeforeInstall hook fails, before green exists', async () => {
    await createNodeFunction(moto.endpoint, {
      name: 'CodeDeployHook_gate',
      files: { 'index.js': "exports.handler = async () => ({ status: 'Failed', reason: 'change freeze' });" },
    });
    const stack = await stackWith();
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}Hooks:\n  - BeforeInstall: CodeDeployHook_gate\n`,
    };
    const [repo] = await serve(app);

    const result = await run(stack, pushOf(repo.commitId), 'gate');

    await expectRolledBack(stack, result, 'HookFailedError');
    expect(result.statesVisited).not.toContain('CreateGreen');
  });

  it('rolls back when an operator sets the abort flag during a pause', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());
    const shiftThenAbort: LocalHandler = async (event) => {
      const out = await shiftTraffic(event as never);
      const { deployment } = event as { deployment: Parameters<typeof recordKey>[0] };
      await doc.send(
        new UpdateCommand({
          TableName: stack.resources.DeploymentsTable,
          Key: recordKey(deployment),
          UpdateExpression: 'SET abortRequested = :a',
          ExpressionAttributeValues: { ':a': { by: 'alice', reason: 'latency' } },
        }),
      );
      return out;
    };

    const result = await run(stack, pushOf(repo.commitId), 'abort', { ShiftTrafficFunction: shiftThenAbort });

    await expectRolledBack(stack, result, 'DeploymentAbortedError');
    expect(result.error?.cause).toMatch(/aborted by alice/);
  });

  it('rolls back when the execution is aborted mid-shift (CleanUp, as EventBridge calls it)', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());
    const result = await abortWhen(
      { input: pushOf(repo.commitId), stack, executionName: 'stopped', waitMs: () => 10 },
      (event) => event.type === 'state-entered' && event.state === 'WaitInPause',
    );

    expect(result.status).toBe('ABORTED');
    await expectBackOnBlue(stack);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'ExecutionAborted' } });
    expect(String(record?.error.message)).toMatch(/rolled back/);
    // The lock is free: the next push deploys.
    const next = await run(stack, pushOf(repo.commitId), 'after-abort');
    expect(next.status).toBe('SUCCEEDED');
  });

  it('serializes two pushes at once; the newest commit ends live', async () => {
    const stack = await stackWith();
    const [older, newer] = await serveTwoCommits();

    const first = startPipeline({
      input: pushOf(older.commitId),
      stack,
      executionName: 'older',
      waitMs: () => 10,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = startPipeline({
      input: pushOf(newer.commitId),
      stack,
      executionName: 'newer',
      waitMs: () => 10,
    });
    const results = await Promise.all([first.result, second.result]);

    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const byCommit = Object.fromEntries((await deploymentRecords(stack)).map((r) => [r.commitId, r]));
    expect(byCommit[newer.commitId]).toMatchObject({ status: 'SUCCEEDED' });
    expect(['SUCCEEDED', 'SUPERSEDED']).toContain(byCommit[older.commitId]?.status);
    const live = await production(stack.target);
    expect(live.primary).toBe(byCommit[newer.commitId]?.taskDefinitionArn);
    expect(live.taskSets).toBe(1);
  });

  it('deploys once for a duplicated event', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());

    const results = await Promise.all([
      run(stack, pushOf(repo.commitId), 'delivery-1'),
      run(stack, pushOf(repo.commitId), 'delivery-2'),
    ]);

    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(results.filter((r) => r.statesVisited.includes('AlreadyHandled'))).toHaveLength(1);
    expect(await deploymentRecords(stack)).toHaveLength(1);
    expect(await moto.listRecordedBuilds()).toHaveLength(1);
  });

  it('uses the other target group as green for the next deployment', async () => {
    const stack = await stackWith();
    const [first, second] = await serveTwoCommits();

    expect((await run(stack, pushOf(first.commitId), 'first')).status).toBe('SUCCEEDED');
    const secondRun = await run(stack, pushOf(second.commitId), 'second');

    expect(secondRun.status).toBe('SUCCEEDED');
    const green = (secondRun.output as { green: { greenTargetGroupArn: string } }).green.greenTargetGroupArn;
    expect(green).toBe(stack.target.targetGroups.blue);
    expect((await production(stack.target)).weights).toEqual({
      [stack.target.targetGroups.blue]: 100,
      [stack.target.targetGroups.green]: 0,
    });
  });

  it('makes the first deployment on a service with no task set yet', async () => {
    const stack = await stackWith({}, false);
    const network = stack.target.networkConfiguration.awsvpcConfiguration;
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: SAMPLE_APPSPEC.replace(
        '        LoadBalancerInfo:',
        `        NetworkConfiguration:\n          AwsvpcConfiguration:\n            Subnets: [${network?.subnets?.join(', ')}]\n            SecurityGroups: [${network?.securityGroups?.join(', ')}]\n            AssignPublicIp: DISABLED\n        LoadBalancerInfo:`,
      ),
    };
    const [repo] = await serve(app);

    const result = await run(stack, pushOf(repo.commitId), 'first-ever');

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    const live = await production(stack.target);
    expect(live.taskSets).toBe(1);
    expect(live.primary).toBe(
      (result.output as { render: { taskDefinitionArn: string } }).render.taskDefinitionArn,
    );
  });
});
