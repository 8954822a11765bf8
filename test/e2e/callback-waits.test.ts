/**
 * The waits of issue 13 through the real state machine: a pause or bake is one callback wait that only its own
 * end, an alarm's event (WakePauseFunction, delivered as EventBridge would), promote or abort ends early; the
 * build is waited for by Step Functions (.sync), which an abort ends at once by stopping the build. Every pause
 * here lasts longer than the test may run, so a run that ends was woken: the assertions say by what, and that
 * the machine rolled back or went on at its first check after the wake.
 */

import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createNodeFunction } from '../../cli/emulator/functions';
import { createLocalStack } from '../../cli/local/local-stack';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  runPipeline,
} from '../../cli/local/state-machine';
import { flagRunningDeployment } from '../../cli/stack/actions';
import { wakeFlagged } from '../../cli/stack/wake';
import { handler as checkPause } from '../../functions/check-pause/handler';
import { handler as runHooks } from '../../functions/run-hooks/handler';
import { handler as startBuild } from '../../functions/start-build/handler';
import { putTestAlarm } from '../support/deploy-fixture';
import { SAMPLE_APPSPEC, sampleRepository } from '../support/fake-codecommit';
import { logMessages } from '../support/function-logs';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

/** Longer than the test may run (jest's 60 s): a callback wait that ends in time was woken. */
const LONG_WAIT_MS = 50_000;
const cloudwatch = new CloudWatchClient({});
const dynamodb = new DynamoDBClient({});
const sfn = new SFNClient({});

describe('callback waits and the .sync build, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWith(parameters: Record<string, string>) {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080, serving: true },
    });
    return stack as LocalStack & { target: BlueGreenFixture };
  }

  /** Runs with every callback wait (pause, bake) LONG_WAIT_MS long: only a wake ends one in time. */
  const run = (
    stack: LocalStack,
    commitId: string,
    name: string,
    handlers: Record<string, LocalHandler>,
    long = ['WaitInPause', 'WaitInBake'],
  ) =>
    runPipeline({
      input: pushOf(commitId),
      stack,
      executionName: name,
      waitMs: (state) => (long.includes(state) ? LONG_WAIT_MS : 10),
      handlers,
    });

  /** CheckPauseFunction, with `then` run once, right after the first wait is armed (its token on the record). */
  function onceArmed(then: (event: { deployment: Record<string, unknown> }) => Promise<void>): LocalHandler {
    let done = false;
    return async (event, context) => {
      const out = await checkPause(event as never, context as never);
      if (!done && (out as { armed?: boolean }).armed) {
        done = true;
        await then(event as { deployment: Record<string, unknown> });
      }
      return out;
    };
  }

  /** The states after the first callback wait of a pause. */
  const afterWait = (result: RunResult, wait: string) =>
    result.statesVisited.slice(result.statesVisited.indexOf(wait));

  /** Sets a flag as `switchyard promote` / `abort` do, then wakes the deployment as they do. */
  async function operator(stack: LocalStack, flag: 'promoteRequested' | 'abortRequested') {
    const tableName = stack.resources.DeploymentsTable as string;
    const record = await flagRunningDeployment({
      clients: { dynamodb },
      target: { tableName, repository: 'switchyard-sample-app' },
      flag,
      now: new Date(),
      by: 'alice',
    });
    return wakeFlagged({ sfn, dynamodb }, tableName, record, flag, 'alice');
  }

  it('an alarm during a canary pause wakes it, and its first check rolls back', async () => {
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes', AlarmNames: 'web-5xx' });
    const [repo] = await serve(sampleRepository());
    const alarm = onceArmed(async () => {
      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'web-5xx',
          StateValue: 'ALARM',
          StateReason: '9 errors in 1 minute',
        }),
      );
    });

    const result = await run(stack, repo.commitId, 'alarm-wakes', { CheckPauseFunction: alarm });

    expect(result.error?.name).toBe('AlarmError');
    expect(result.error?.cause).toMatch(/web-5xx.*9 errors in 1 minute/);
    // Woken by the alarm's event, then one check: the first CheckPause after the wake is the one that rolls back.
    expect(afterWait(result, 'WaitInPause').slice(0, 4)).toEqual([
      'WaitInPause',
      'PauseWaited',
      'CheckPause',
      'Rollback',
    ]);
    expect(
      logMessages(result.logs, 'WakePauseFunction').some((message) =>
        /^alarm web-5xx in ALARM: woke deployment/.test(message),
      ),
    ).toBe(true);
    expect((await production(stack.target)).weights).toEqual({
      [stack.target.targetGroups.blue]: 100,
      [stack.target.targetGroups.green]: 0,
    });
  });

  it('an alarm during the bake wakes it, and its first check rolls back', async () => {
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ AlarmNames: 'web-5xx' });
    const [repo] = await serve(sampleRepository());
    const alarm = onceArmed(async () => {
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: 'p99 over 2 s' }),
      );
    });

    const result = await run(stack, repo.commitId, 'alarm-bake', { CheckPauseFunction: alarm });

    expect(result.error?.name).toBe('AlarmError');
    expect(afterWait(result, 'WaitInBake').slice(0, 4)).toEqual([
      'WaitInBake',
      'BakeWaited',
      'CheckBake',
      'Rollback',
    ]);
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('watches the alarms while AfterAllowTraffic hooks run: an alarm rolls back before the hook ends', async () => {
    // A hook that outlasts the test: only the alarm watch can end AfterAllowTrafficHooks in time.
    await createNodeFunction(moto.endpoint, {
      name: 'CodeDeployHook_soak',
      files: {
        'index.js':
          "exports.handler = () => new Promise((resolve) => setTimeout(() => resolve({ status: 'Succeeded' }), 120000));",
      },
    });
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ AlarmNames: 'web-5xx' });
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}Hooks:\n  - AfterAllowTraffic: CodeDeployHook_soak\n`,
    };
    const [repo] = await serve(app);
    const alarmDuringHook: LocalHandler = async (event, context) => {
      const running = runHooks(event as never, context as never);
      if ((event as { hook: string }).hook === 'AfterAllowTraffic') {
        await cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: 'web-5xx',
            StateValue: 'ALARM',
            StateReason: '5xx while soaking',
          }),
        );
      }
      return running;
    };

    const result = await run(stack, repo.commitId, 'alarm-hooks', { RunHooksFunction: alarmDuringHook });

    expect(result.error?.name).toBe('AlarmError');
    expect(result.error?.cause).toMatch(/5xx while soaking/);
    expect(afterWait(result, 'AfterAllowTrafficHooks').slice(0, 2)).toEqual([
      'AfterAllowTrafficHooks',
      'Rollback',
    ]);
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('promote wakes a pause at once and the shift goes on', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());
    let woken: Awaited<ReturnType<typeof operator>> | undefined;
    const promote = onceArmed(async () => {
      woken = await operator(stack, 'promoteRequested');
    });

    // The next step clears the promote, so the bake is short here: only the canary's pause needs the wake.
    const result = await run(stack, repo.commitId, 'promote-wakes', { CheckPauseFunction: promote }, [
      'WaitInPause',
    ]);

    expect(result.status).toBe('SUCCEEDED');
    expect(woken).toEqual({ wokenFromPause: true, stoppedBuild: null });
    expect(afterWait(result, 'WaitInPause').slice(0, 5)).toEqual([
      'WaitInPause',
      'PauseWaited',
      'CheckPause',
      'IsPauseOver',
      'ShiftTraffic',
    ]);
    const { green } = stack.target.targetGroups;
    expect((await production(stack.target)).weights[green]).toBe(100);
  });

  it('abort wakes a pause at once and rolls back', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());
    const abort = onceArmed(async () => {
      await operator(stack, 'abortRequested');
    });

    const result = await run(stack, repo.commitId, 'abort-wakes', { CheckPauseFunction: abort });

    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(afterWait(result, 'WaitInPause').slice(0, 4)).toEqual([
      'WaitInPause',
      'PauseWaited',
      'CheckPause',
      'Rollback',
    ]);
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('rolls back a manual pause not promoted within ManualPauseTimeoutMinutes, counted in the machine waits', async () => {
    const manual = JSON.stringify([{ greenPercent: 20, pause: 'manual' }, { greenPercent: 100 }]);
    const stack = await stackWith({ TrafficStrategy: manual, ManualPauseTimeoutMinutes: '2' });
    const [repo] = await serve(sampleRepository());

    // Every wait is short here: each heartbeat runs out, as no one promotes.
    const result = await run(stack, repo.commitId, 'manual-expires', {}, []);

    expect(result.error?.name).toBe('PauseTimeoutError');
    expect(result.error?.cause).toMatch(
      /was not promoted within 2 min of its manual pause .*raise the stack parameter ManualPauseTimeoutMinutes/,
    );
    // Two minutes are one wait of 120 s: its heartbeat, then the check that expires it and the rollback.
    expect(afterWait(result, 'WaitInPause')).toEqual(
      expect.arrayContaining(['WaitInPause', 'PauseWaited', 'CheckPause', 'Rollback']),
    );
    expect(result.statesVisited.filter((state) => state === 'WaitInPause')).toHaveLength(1);
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ROLLED_BACK' });
    const { blue } = stack.target.targetGroups;
    expect((await production(stack.target)).weights[blue]).toBe(100);
  });

  it('refuses a plan whose waits would outgrow the execution history, in Prepare, before any side effect', async () => {
    const monthLong = JSON.stringify([
      { greenPercent: 10, pauseSeconds: 30 * 24 * 3600 },
      { greenPercent: 100 },
    ]);
    const stack = await stackWith({ TrafficStrategy: monthLong });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, repo.commitId, 'too-long', {});

    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toMatch(/execution history events/);
    expect(result.statesVisited).toEqual(['Prepare']);
    expect(await deploymentRecords(stack)).toHaveLength(0);
  });

  it('abort during the build stops it: the .sync wait ends at once and the deployment ends ABORTED', async () => {
    const stack = await stackWith({});
    const [repo] = await serve(sampleRepository());
    // A build that stays IN_PROGRESS until stopped.
    await moto.scriptBuildOutcomes(stack.resources.BuildProject as string, [
      { inProgressPolls: 1_000_000, status: 'SUCCEEDED' },
    ]);
    let stopped: string | null = null;
    const startThenAbort: LocalHandler = async (event, context) => {
      const out = await startBuild(event as never, context as never);
      stopped = (await operator(stack, 'abortRequested')).stoppedBuild;
      return out;
    };

    const result = await run(stack, repo.commitId, 'abort-build', { StartBuildFunction: startThenAbort });

    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.statesVisited).toEqual(
      expect.arrayContaining(['WaitForBuild', 'CheckBuild', 'RecordAborted']),
    );
    expect(result.statesVisited).not.toContain('PollBuild');
    expect(result.statesVisited).not.toContain('AcquireLock');
    const { builds } = await new CodeBuildClient({}).send(
      new BatchGetBuildsCommand({ ids: [String(stopped)] }),
    );
    expect(builds?.[0]?.buildStatus).toBe('STOPPED');
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ABORTED' });
  });
});
