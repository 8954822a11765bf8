import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type BlueGreenFixture, createBlueGreenFixture } from '../../../cli/emulator/fixture';
import { createLocalStack } from '../../../cli/local/local-stack';
import { handler as checkPauseHandler } from '../../../functions/check-pause/handler';
import { readForward } from '../../../functions/lib/deploy/listener';
import { checkPause, shiftTraffic } from '../../../functions/lib/deploy/shift';
import type { CheckPauseConfig, ShiftConfig } from '../../../functions/lib/deploy/shift-config';
import type { GreenState, PauseCheckState, TrafficState } from '../../../functions/lib/deploy/state';
import { type Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import { acquireLock } from '../../../functions/lib/record/lock';
import { lockTable } from '../../../functions/lib/record/lock-table';
import { AlarmError, DeploymentAbortedError, InvalidInputError } from '../../../functions/lib/shared/errors';
import { handler as shiftTrafficHandler } from '../../../functions/shift-traffic/handler';
import { putTestAlarm } from '../../support/deploy-fixture';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const cloudwatch = new CloudWatchClient({});
const T0 = Date.parse('2026-11-26T12:10:00.000Z');

describe('ShiftTraffic and CheckPause against the blue/green fixture and the deployments table', () => {
  const moto = useMoto();
  let fx: BlueGreenFixture;
  let green: GreenState;
  let table: DeploymentsTable;
  let tableName: string;
  let clock: number;
  const now = () => new Date(clock);
  const deployment = loadEvent<{ deployment: Deployment }>('archive-source').deployment;

  beforeEach(async () => {
    fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
    tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
    table = new DeploymentsTable(dynamodb, tableName);
    await table.createRecord(deployment, {});
    clock = T0;
    green = {
      cluster: fx.clusterName,
      service: fx.serviceName,
      productionListenerArn: fx.listenerArn,
      testListenerArn: fx.testListenerArn,
      liveTargetGroupArn: fx.targetGroups.blue,
      greenTargetGroupArn: fx.targetGroups.green,
      blueTaskSetArn: fx.blueTaskSetArn,
      greenTaskSetArn: `${fx.blueTaskSetArn}-green`,
      createdAt: new Date(T0).toISOString(),
      pollSeconds: 15,
      healthyBy: new Date(T0 + 900_000).toISOString(),
    };
  });

  const shiftConfig = (trafficStrategy: string, terminationWaitMinutes = 5): ShiftConfig => ({
    productionListenerArn: fx.listenerArn,
    trafficStrategy,
    terminationWaitMinutes,
    manualPauseTimeoutMinutes: 1440,
    tableName,
  });
  const shift = (strategy: string, step: number) =>
    shiftTraffic({ deployment, green, step }, { elbv2, dynamodb, now }, shiftConfig(strategy));
  const pauseConfig = (alarmNames: string[] = []): CheckPauseConfig => ({
    alarmNames,
    manualPauseTimeoutMinutes: 1440,
    tableName,
  });
  const check = (pause: TrafficState['pause'], waitedSeconds = 0, alarmNames: string[] = []) =>
    checkPause(
      { deployment, green, pause, waitedSeconds },
      { cloudwatch, dynamodb },
      pauseConfig(alarmNames),
    );
  /** Runs a pause as the machine does (StartPause, then CheckPause fed its own answer); each answer and the wait. */
  async function runPause(pause: TrafficState['pause']): Promise<{ answers: string[]; waited: number }> {
    let state: PauseCheckState = { status: 'WAIT', waitSeconds: 0, pause };
    const answers: string[] = [];
    let waited = 0;
    for (let guard = 0; guard < 20; guard += 1) {
      state = await check(state.pause, state.waitSeconds);
      answers.push(`${state.status} ${state.waitSeconds}`);
      if (state.status === 'CONTINUE') break;
      waited += state.waitSeconds;
    }
    return { answers, waited };
  }
  const listenerGreen = async () => {
    const forward = await readForward(elbv2, fx.listenerArn);
    return forward.targetGroups.find((group) => group.arn === fx.targetGroups.green)?.weight;
  };
  const recordSteps = async () => ((await table.getRecord(deployment))?.steps ?? []) as unknown[];

  /** Walks the whole plan as the machine does (nextStep until done); green's weight after each. */
  async function walk(strategy: string): Promise<{ observed: number[]; states: TrafficState[] }> {
    const observed: number[] = [];
    const states: TrafficState[] = [];
    let next = 0;
    for (let guard = 0; guard < 20; guard += 1) {
      const state = await shift(strategy, next);
      states.push(state);
      observed.push((await listenerGreen()) ?? -1);
      if (state.done) break;
      next = state.nextStep;
    }
    return { observed, states };
  }

  describe('ShiftTraffic', () => {
    it('walks Linear10PercentEvery1Minutes: 10 % more green every step, read back from the listener', async () => {
      const { observed, states } = await walk('Linear10PercentEvery1Minutes');

      expect(observed).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      expect(states.map((state) => state.nextStep)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(states[0]).toEqual({
        steps: expect.any(Array),
        nextStep: 1,
        greenPercent: 10,
        observedWeights: { [fx.targetGroups.green]: 10, [fx.targetGroups.blue]: 90 },
        pause: { remainingSeconds: 60 },
        waitSeconds: 60,
        done: false,
      });
      expect(states[0]?.steps).toHaveLength(10);
      expect(states.at(-1)).toMatchObject({
        nextStep: 10,
        greenPercent: 100,
        observedWeights: { [fx.targetGroups.green]: 100, [fx.targetGroups.blue]: 0 },
        // The bake: TerminationWaitMinutes (5).
        pause: { remainingSeconds: 300 },
        done: true,
      });
    });

    it('walks Canary10Percent5Minutes: 10 %, a five-minute pause, then 100 %', async () => {
      const { observed, states } = await walk('CodeDeployDefault.ECSCanary10Percent5Minutes');

      expect(observed).toEqual([10, 100]);
      expect(states.map((state) => [state.pause, state.done])).toEqual([
        [{ remainingSeconds: 300 }, false],
        [{ remainingSeconds: 300 }, true],
      ]);
    });

    it('moves everything at once with AllAtOnce, then bakes', async () => {
      const { observed, states } = await walk('AllAtOnce');

      expect(observed).toEqual([100]);
      expect(states).toEqual([
        expect.objectContaining({
          nextStep: 1,
          greenPercent: 100,
          done: true,
          pause: { remainingSeconds: 300 },
          waitSeconds: 300,
        }),
      ]);
    });

    it('records each step once in the record, even when a step is retried', async () => {
      const first = await shift('Linear10PercentEvery1Minutes', 0);
      expect(await recordSteps()).toHaveLength(1);

      clock += 7_000;
      const retried = await shift('Linear10PercentEvery1Minutes', 0);
      expect(retried).toEqual(first);
      expect(await recordSteps()).toEqual([
        {
          step: 0,
          greenPercent: 10,
          observedWeights: { [fx.targetGroups.green]: 10, [fx.targetGroups.blue]: 90 },
          at: '2026-11-26T12:10:00.000Z',
        },
      ]);

      clock += 60_000;
      await shift('Linear10PercentEvery1Minutes', 1);
      await shift('Linear10PercentEvery1Minutes', 1);
      expect(
        ((await recordSteps()) as { greenPercent: number; at: string }[]).map((s) => s.greenPercent),
      ).toEqual([10, 20]);
    });

    it('refuses a step beyond the plan and writes nothing', async () => {
      await expect(shift('Canary10Percent5Minutes', 2)).rejects.toThrow(InvalidInputError);
      expect(await listenerGreen()).toBeUndefined();
      expect(await recordSteps()).toEqual([]);
    });

    it('refuses to record a step for a deployment without a record (not from Prepare)', async () => {
      const stranger = { ...deployment, id: 'other', startedAt: '2026-11-26T11:00:00.000Z' };
      await expect(
        shiftTraffic(
          { deployment: stranger, green, step: 0 },
          { elbv2, dynamodb, now },
          shiftConfig('AllAtOnce'),
        ),
      ).rejects.toThrow(/deployment other has no record in the deployments table/);
    });
  });

  describe('CheckPause', () => {
    it('waits the five-minute canary pause in one wait, then continues', async () => {
      const traffic = await shift('Canary10Percent5Minutes', 0);
      const { answers, waited } = await runPause(traffic.pause);
      expect(answers).toEqual(['WAIT 300', 'CONTINUE 0']);
      expect(waited).toBe(300);
    });

    it('waits through the bake of 5 minutes, checks a bake of 0 once, and continues at once without a pause', async () => {
      const bake = await shift('AllAtOnce', 0);
      expect(await runPause(bake.pause)).toEqual({
        answers: ['WAIT 300', 'CONTINUE 0'],
        waited: 300,
      });

      const noBake = await shiftTraffic(
        { deployment, green, step: 0 },
        { elbv2, dynamodb, now },
        shiftConfig('AllAtOnce', 0),
      );
      expect(noBake.pause).toEqual({ remainingSeconds: 0 });
      expect(await check(noBake.pause)).toEqual({ status: 'CONTINUE', waitSeconds: 0, pause: null });
      expect(await check(null)).toEqual({ status: 'CONTINUE', waitSeconds: 0, pause: null });
    });

    it('throws AlarmError naming the alarm and its reason once an alarm is in ALARM', async () => {
      await putTestAlarm('web-5xx');
      await putTestAlarm('web-latency');
      const traffic = await shift('Canary10Percent5Minutes', 0);
      const waiting = await check(traffic.pause, 0, ['web-5xx', 'web-latency']);
      expect(waiting).toEqual({ status: 'WAIT', waitSeconds: 300, pause: { remainingSeconds: 300 } });

      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'web-5xx',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed: 1 datapoint [12.0] > 5',
        }),
      );

      const failed = check(waiting.pause, waiting.waitSeconds, ['web-5xx', 'web-latency']);
      await expect(failed).rejects.toThrow(AlarmError);
      await expect(failed).rejects.toThrow(
        /CloudWatch alarm in ALARM during deployment sample-exec: "web-5xx" \(Threshold Crossed: 1 datapoint \[12\.0\] > 5, since .+\)/,
      );
      // The bake is watched the same way, and an alarm wins over a promote.
      await table.update(deployment, { promoteRequested: { by: 'alice' } });
      await expect(check({ remainingSeconds: 300 }, 0, ['web-5xx'])).rejects.toThrow(AlarmError);
    });

    it('throws DeploymentAbortedError when the record asks for an abort, saying who and when', async () => {
      const traffic = await shift('Canary10Percent5Minutes', 0);
      await table.update(deployment, {
        abortRequested: { by: 'alice@example.com', at: '2026-11-26T12:11:30.000Z', reason: 'p99 doubled' },
      });

      await expect(check(traffic.pause)).rejects.toThrow(DeploymentAbortedError);
      await expect(check(null)).rejects.toThrow(
        'deployment sample-exec was aborted by alice@example.com at 2026-11-26T12:11:30.000Z: p99 doubled ' +
          '(switchyard abort); rolling back to the live task set',
      );
    });

    it('waits at a manual pause until promoted; the next manual pause needs its own promote', async () => {
      const strategy = JSON.stringify([
        { greenPercent: 10, pause: 'manual' },
        { greenPercent: 50, pause: 'manual' },
        { greenPercent: 100 },
      ]);
      const first = await shift(strategy, 0);
      const since = '2026-11-26T12:10:00.000Z';
      expect(first.pause).toEqual({ manual: true, since, waitedSeconds: 0 });
      let state: PauseCheckState = { status: 'WAIT', waitSeconds: 0, pause: first.pause };
      for (let poll = 0; poll < 3; poll += 1) {
        state = await check(state.pause, state.waitSeconds);
        expect(state).toEqual({
          status: 'WAIT',
          waitSeconds: 300,
          pause: { manual: true, since, waitedSeconds: poll * 300 },
        });
      }

      await table.update(deployment, {
        promoteRequested: { by: 'alice', at: '2026-11-26T13:10:00.000Z' },
      });
      const continued = { status: 'CONTINUE', waitSeconds: 0, pause: null };
      expect(await check(state.pause, state.waitSeconds)).toEqual(continued);
      // A retried check agrees: reading the flag does not consume it.
      expect(await check(state.pause, state.waitSeconds)).toEqual(continued);

      const second = await shift(strategy, 1);
      expect(await listenerGreen()).toBe(50);
      expect((await table.getRecord(deployment))?.promoteRequested).toBeUndefined();
      expect(await check(second.pause)).toEqual({ status: 'WAIT', waitSeconds: 300, pause: second.pause });

      await table.update(deployment, { promoteRequested: true });
      expect(await check(second.pause, 30)).toEqual(continued);
      expect(await shift(strategy, 2)).toMatchObject({ greenPercent: 100, done: true });
    });

    it('lets a promote skip a timed pause, and drops a promote given before the step', async () => {
      await table.update(deployment, { promoteRequested: { by: 'early-bird' } });
      const traffic = await shift('Linear10PercentEvery3Minutes', 0);
      const waiting = await check(traffic.pause);
      expect(waiting).toEqual({ status: 'WAIT', waitSeconds: 180, pause: { remainingSeconds: 180 } });

      await table.update(deployment, { promoteRequested: { by: 'alice' } });
      expect(await check(waiting.pause, waiting.waitSeconds)).toEqual({
        status: 'CONTINUE',
        waitSeconds: 0,
        pause: null,
      });

      // A step retried after the promote keeps it: only the write that records a new step clears it.
      await shift('Linear10PercentEvery3Minutes', 0);
      expect((await table.getRecord(deployment))?.promoteRequested).toEqual({ by: 'alice' });
    });

    it('fails loudly for a deployment without a record', async () => {
      const stranger = { ...deployment, id: 'other' };
      await expect(
        checkPause(
          { deployment: stranger, green, pause: null, waitedSeconds: 0 },
          { cloudwatch, dynamodb },
          pauseConfig(),
        ),
      ).rejects.toThrow(InvalidInputError);
    });
  });

  describe('the handlers, configured from the environment', () => {
    const NAMES = [
      'PRODUCTION_LISTENER_ARN',
      'TRAFFIC_STRATEGY',
      'TERMINATION_WAIT_MINUTES',
      'MANUAL_PAUSE_TIMEOUT_MINUTES',
      'TABLE_NAME',
      'ALARM_NAMES',
      'CLUSTER_NAME',
      'SERVICE_NAME',
    ];
    afterEach(() => {
      for (const name of NAMES) delete process.env[name];
    });

    it('shift with TRAFFIC_STRATEGY and check with an empty ALARM_NAMES', async () => {
      Object.assign(process.env, {
        PRODUCTION_LISTENER_ARN: fx.listenerArn,
        TRAFFIC_STRATEGY: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
        TERMINATION_WAIT_MINUTES: '0',
        MANUAL_PAUSE_TIMEOUT_MINUTES: '1440',
        TABLE_NAME: tableName,
        ALARM_NAMES: '',
        CLUSTER_NAME: fx.clusterName,
        SERVICE_NAME: fx.serviceName,
      });
      // The handler's fence (record/fence.ts) lets only the deployment holding the service's lock move traffic.
      const service = { cluster: fx.clusterName, service: fx.serviceName };
      await acquireLock(lockTable(new DynamoDBClient({}), tableName), {
        deployment,
        ...service,
        mode: 'QUEUED',
      });

      const traffic = await shiftTrafficHandler({ deployment, green, step: 0 });

      expect(traffic).toMatchObject({ greenPercent: 10, nextStep: 1, waitSeconds: 180, done: false });
      expect(await listenerGreen()).toBe(10);
      expect(await checkPauseHandler({ deployment, green, pause: traffic.pause, waitedSeconds: 0 })).toEqual({
        status: 'WAIT',
        waitSeconds: 180,
        pause: { remainingSeconds: 180 },
      });
    });
  });
});
