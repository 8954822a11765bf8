import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { planTraffic } from '../../../functions/lib/deploy/plan';
import {
  alarmError,
  type CheckPauseInput,
  checkPause,
  evaluatePause,
  type Pause,
  pauseAfter,
  type ShiftTrafficInput,
  shiftTraffic,
  stepWeights,
} from '../../../functions/lib/deploy/shift';
import type { ShiftConfig } from '../../../functions/lib/deploy/shift-config';
import type { GreenState, PauseCheckState } from '../../../functions/lib/deploy/state';
import type { Deployment } from '../../../functions/lib/record/deployments';
import type { OperatorRequest } from '../../../functions/lib/record/operator-requests';
import { AlarmError, InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';

const T0 = new Date('2026-11-26T12:10:00.000Z');
const shiftEvent = loadEvent<ShiftTrafficInput>('shift-traffic');
const green: GreenState = shiftEvent.green;
const deployment: Deployment = shiftEvent.deployment;
const config: ShiftConfig = {
  productionListenerArn: green.productionListenerArn,
  trafficStrategy: 'Linear10PercentEvery1Minutes',
  terminationWaitMinutes: 5,
  manualPauseTimeoutMinutes: 1440,
  tableName: 'switchyard-deployments',
};
/** A day: ManualPauseTimeoutMinutes' default. */
const DAY = 1440;

describe('stepWeights', () => {
  it('sends the step to green and the rest to live', () => {
    expect(stepWeights(green, 10)).toEqual({
      [green.greenTargetGroupArn]: 10,
      [green.liveTargetGroupArn]: 90,
    });
    expect(stepWeights(green, 100)).toEqual({
      [green.greenTargetGroupArn]: 100,
      [green.liveTargetGroupArn]: 0,
    });
  });

  it('walks a plan to the green percentages of the strategy', () => {
    const percents = (strategy: string) =>
      planTraffic(strategy).map((step) => stepWeights(green, step.greenPercent)[green.greenTargetGroupArn]);
    expect(percents('Linear10PercentEvery1Minutes')).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(percents('CodeDeployDefault.ECSCanary10Percent5Minutes')).toEqual([10, 100]);
    expect(percents('AllAtOnce')).toEqual([100]);
  });
});

describe('pauseAfter', () => {
  it('gives a timed step its seconds, the first callback wait the pause (at most 300 s, the safety check)', () => {
    expect(pauseAfter({ greenPercent: 10, pauseSeconds: 300 }, T0, 5, DAY)).toEqual({
      pause: { remainingSeconds: 300 },
      waitSeconds: 300,
      done: false,
    });
    expect(pauseAfter({ greenPercent: 10, pauseSeconds: 12 }, T0, 5, DAY)).toMatchObject({
      pause: { remainingSeconds: 12 },
      waitSeconds: 12,
    });
    expect(pauseAfter({ greenPercent: 10, pauseSeconds: 3600 }, T0, 5, DAY)).toMatchObject({
      waitSeconds: 300,
    });
  });

  it('gives a manual step a pause since the step, waited 300 s at a time, or its whole timeout if shorter', () => {
    expect(pauseAfter({ greenPercent: 25, pause: 'manual' }, T0, 5, DAY)).toEqual({
      pause: { manual: true, since: T0.toISOString(), waitedSeconds: 0 },
      waitSeconds: 300,
      done: false,
    });
    expect(pauseAfter({ greenPercent: 25, pause: 'manual' }, T0, 5, 2)).toMatchObject({ waitSeconds: 120 });
  });

  it('gives a step without a wait no pause, and a wait of 1 s (a HeartbeatSeconds) its check ends at once', () => {
    expect(pauseAfter({ greenPercent: 50, pauseSeconds: 0 }, T0, 5, DAY)).toEqual({
      pause: null,
      waitSeconds: 1,
      done: false,
    });
  });

  it('makes the step that reaches 100 % done, its pause the bake (TerminationWaitMinutes, even 0)', () => {
    expect(pauseAfter({ greenPercent: 100, pauseSeconds: 0 }, T0, 5, DAY)).toEqual({
      pause: { remainingSeconds: 300 },
      waitSeconds: 300,
      done: true,
    });
    expect(pauseAfter({ greenPercent: 100, pauseSeconds: 0 }, T0, 0, DAY)).toEqual({
      pause: { remainingSeconds: 0 },
      waitSeconds: 1,
      done: true,
    });
  });
});

/**
 * Runs a pause as CheckPause counts it: each check gets the previous answer's pause and wait; `promoteAfter` checks
 * in, a promote appears. Returns each answer as "STATUS wait" and the seconds waited.
 */
function runPause(pause: Pause, promoteAfter = Number.POSITIVE_INFINITY, manualTimeoutMinutes = DAY) {
  let state: PauseCheckState = { status: 'WAIT', waitSeconds: 0, pause };
  const answers: string[] = [];
  let waited = 0;
  for (let check = 0; check < 1000; check += 1) {
    const promote: OperatorRequest | undefined = check >= promoteAfter ? { by: 'alice' } : undefined;
    const answer = evaluatePause(state.pause, promote, state.waitSeconds, manualTimeoutMinutes);
    if (answer.status === 'EXPIRED') {
      answers.push(`EXPIRED after ${answer.pause.waitedSeconds}`);
      break;
    }
    state = answer;
    answers.push(`${state.status} ${state.waitSeconds}`);
    if (state.status === 'CONTINUE') break;
    waited += state.waitSeconds;
  }
  return { answers, waited, last: state };
}

describe('evaluatePause', () => {
  const manual = { manual: true as const, since: T0.toISOString() };

  it('continues at once without a pause', () => {
    expect(evaluatePause(null, undefined, 0, DAY)).toEqual({
      status: 'CONTINUE',
      waitSeconds: 0,
      pause: null,
    });
  });

  it('waits a timed pause of 300 s in one wait, a longer one 300 s at a time, then continues', () => {
    const { answers, waited, last } = runPause({ remainingSeconds: 300 });
    expect(answers).toEqual(['WAIT 300', 'CONTINUE 0']);
    expect(waited).toBe(300);
    expect(last).toEqual({ status: 'CONTINUE', waitSeconds: 0, pause: null });
    expect(runPause({ remainingSeconds: 700 }).answers).toEqual([
      'WAIT 300',
      'WAIT 300',
      'WAIT 100',
      'CONTINUE 0',
    ]);
  });

  it('waits through the bake of 5 minutes the same way, and checks a bake of 0 once', () => {
    const bake = pauseAfter({ greenPercent: 100, pauseSeconds: 0 }, T0, 5, DAY).pause;
    expect(runPause(bake).answers).toEqual(['WAIT 300', 'CONTINUE 0']);
    expect(runPause({ remainingSeconds: 0 }).answers).toEqual(['CONTINUE 0']);
  });

  it.each([
    // [remainingSeconds, waitedSeconds, answer]
    [95, 0, { status: 'WAIT', waitSeconds: 95, pause: { remainingSeconds: 95 } }],
    [95, 30, { status: 'WAIT', waitSeconds: 65, pause: { remainingSeconds: 65 } }],
    [400, 30, { status: 'WAIT', waitSeconds: 300, pause: { remainingSeconds: 370 } }],
    [35, 30, { status: 'WAIT', waitSeconds: 5, pause: { remainingSeconds: 5 } }],
    [0.5, 0, { status: 'WAIT', waitSeconds: 1, pause: { remainingSeconds: 0.5 } }],
    [5, 5, { status: 'CONTINUE', waitSeconds: 0, pause: null }],
    [5, 30, { status: 'CONTINUE', waitSeconds: 0, pause: null }],
  ])('counts %s s left less %s s waited', (remainingSeconds, waitedSeconds, answer) => {
    expect(evaluatePause({ remainingSeconds }, undefined, waitedSeconds, DAY)).toEqual(answer);
  });

  it('waits for a manual pause until promoted, counting the waits of the machine', () => {
    expect(evaluatePause(manual, undefined, 600, DAY)).toEqual({
      status: 'WAIT',
      waitSeconds: 300,
      pause: { ...manual, waitedSeconds: 600 },
    });
    expect(runPause(manual, 50).answers).toEqual([...Array(50).fill('WAIT 300'), 'CONTINUE 0']);
    expect(evaluatePause(manual, { by: 'alice' }, 30, DAY)).toEqual({
      status: 'CONTINUE',
      waitSeconds: 0,
      pause: null,
    });
  });

  it('expires a manual pause not promoted within ManualPauseTimeoutMinutes, its last wait cut to the minute', () => {
    // 12 minutes: 300 + 300 + 120 s of waits, then EXPIRED (CheckPause rolls back).
    expect(runPause(manual, Number.POSITIVE_INFINITY, 12).answers).toEqual([
      'WAIT 300',
      'WAIT 300',
      'WAIT 120',
      'EXPIRED after 720',
    ]);
    expect(evaluatePause({ ...manual, waitedSeconds: 86_000 }, undefined, 400, DAY)).toEqual({
      status: 'EXPIRED',
      pause: { ...manual, waitedSeconds: 86_400 },
    });
    // A promote still wins at the last check.
    expect(evaluatePause({ ...manual, waitedSeconds: 86_000 }, { by: 'bob' }, 400, DAY)).toMatchObject({
      status: 'CONTINUE',
    });
  });

  it('lets a promote end a timed pause or the bake early', () => {
    expect(evaluatePause({ remainingSeconds: 300 }, {}, 0, DAY)).toEqual({
      status: 'CONTINUE',
      waitSeconds: 0,
      pause: null,
    });
    expect(runPause({ remainingSeconds: 1200 }, 2).answers).toEqual(['WAIT 300', 'WAIT 300', 'CONTINUE 0']);
  });
});

describe('alarmError', () => {
  it('names each alarm with its reason and the time it fired', () => {
    const error = alarmError(deployment, [
      { name: 'web-5xx', reason: 'Threshold Crossed: 1 datapoint [12.0] > 5', updatedAt: T0.toISOString() },
      { name: 'web-p99', reason: '', updatedAt: '' },
    ]);
    expect(error).toBeInstanceOf(AlarmError);
    expect(error.message).toBe(
      'CloudWatch alarms in ALARM during deployment sample-exec: "web-5xx" (Threshold Crossed: 1 datapoint ' +
        '[12.0] > 5, since 2026-11-26T12:10:00.000Z); "web-p99" (no reason given); rolling back to the live task set',
    );
  });
});

describe('faults the emulator cannot make', () => {
  const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
  // The cores reach DynamoDB through the document client, so that is what is mocked.
  const dynamoMock = mockClient(DynamoDBDocumentClient);
  const cloudwatchMock = mockClient(CloudWatchClient);
  const deps = {
    elbv2: new ElasticLoadBalancingV2Client({}),
    dynamodb: new DynamoDBClient({}),
    cloudwatch: new CloudWatchClient({}),
    now: () => T0,
  };
  const pauseConfig = { alarmNames: [], manualPauseTimeoutMinutes: DAY, tableName: 't' };
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

  beforeEach(() => {
    elbv2Mock.reset();
    dynamoMock.reset();
    cloudwatchMock.reset();
  });

  const listenerWith = (weights: Record<string, number>) => ({
    Listeners: [
      {
        ListenerArn: config.productionListenerArn,
        DefaultActions: [
          {
            Type: 'forward' as const,
            ForwardConfig: {
              TargetGroups: Object.entries(weights).map(([arn, weight]) => ({
                TargetGroupArn: arn,
                Weight: weight,
              })),
            },
          },
        ],
      },
    ],
  });

  it('refuses a step outside the plan before touching the listener', async () => {
    for (const step of [-1, 10, 1.5]) {
      await expect(shiftTraffic({ ...shiftEvent, step }, deps, config)).rejects.toThrow(
        /field "step" is .*the plan "Linear10PercentEvery1Minutes" has steps 0 to 9/,
      );
    }
    await expect(
      shiftTraffic({ deployment, step: 0 } as unknown as ShiftTrafficInput, deps, config),
    ).rejects.toThrow(InvalidInputError);
    expect(elbv2Mock.calls()).toHaveLength(0);
  });

  it('refuses a green state whose production listener is not the stack’s', async () => {
    await expect(
      shiftTraffic(shiftEvent, deps, { ...config, productionListenerArn: 'arn:aws:elasticloadbalancing:x' }),
    ).rejects.toThrow(/the stack changed during the deployment/);
    expect(elbv2Mock.calls()).toHaveLength(0);
  });

  it('turns a throttled record write into TransientAwsError after the listener moved', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce(listenerWith({ [green.liveTargetGroupArn]: 1 }))
      .resolves(listenerWith(stepWeights(green, 10)));
    elbv2Mock.on(ModifyListenerCommand).resolves({});
    dynamoMock.on(UpdateCommand).rejects(throttled());

    await expect(shiftTraffic(shiftEvent, deps, config)).rejects.toThrow(TransientAwsError);
    expect(elbv2Mock.commandCalls(ModifyListenerCommand)).toHaveLength(1);
  });

  it('turns a throttled record read in CheckPause into TransientAwsError', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    dynamoMock.on(GetCommand).rejects(throttled());
    const input = loadEvent<CheckPauseInput>('check-pause');

    await expect(checkPause(input, deps, pauseConfig)).rejects.toThrow(TransientAwsError);
  });

  it('refuses a pause that ShiftTraffic or CheckPause cannot have returned', async () => {
    const input = loadEvent<CheckPauseInput>('check-pause');
    for (const pause of [
      { until: '2026-11-26T12:15:00.000Z' },
      { remainingSeconds: -1 },
      { remainingSeconds: '300' },
      { manual: false, since: T0.toISOString() },
      'x',
      undefined,
    ]) {
      await expect(
        checkPause({ ...input, pause } as unknown as CheckPauseInput, deps, pauseConfig),
      ).rejects.toThrow(InvalidInputError);
    }
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });

  it('refuses a check without the seconds the machine waited, saying what it expects', async () => {
    const { waitedSeconds: _, ...input } = loadEvent<CheckPauseInput>('check-pause');
    await expect(checkPause(input as CheckPauseInput, deps, pauseConfig)).rejects.toThrow(
      'CheckPause field "waitedSeconds" is missing; expected the seconds the machine just waited, a number >= 0',
    );
    for (const waitedSeconds of [-30, '30', null]) {
      await expect(
        checkPause({ ...input, waitedSeconds } as unknown as CheckPauseInput, deps, pauseConfig),
      ).rejects.toThrow(InvalidInputError);
    }
    expect(cloudwatchMock.calls()).toHaveLength(0);
  });
});
