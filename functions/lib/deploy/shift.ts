/**
 * The traffic loop of the deploy stage: ShiftTraffic applies one step of the plan to the production listener and
 * records it; CheckPause watches a pause (alarms, the abort flag, the promote flag, the time left).
 *
 * Time: a timed pause is counted in the machine's own Wait states, not against a clock. Each check gets how long
 * the machine just waited (`waitedSeconds`) and returns what is left; Waits are exact in AWS (a check's own run
 * time only lengthens the pause, which is safe), and local runs that shorten every Wait shorten the pause with them.
 *
 * Promote semantics: `promoteRequested` on the deployment record ends the pause in force when CheckPause sees it,
 * whatever the pause is: a manual pause, a timed one (argo's `promote` skips the current pause) or the bake
 * (CodeDeploy's "terminate the original task set now"). CheckPause only reads the flag; ShiftTraffic removes it in
 * the same conditional write that records the next step. So a promote counts for the one pause in force when it
 * was given, a later manual step needs a new one, a promote given before the shift starts is dropped by step 0,
 * retried checks agree with each other, and no clock outside AWS (the CLI's) is compared with the pause's start.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type Deployment, DeploymentsTable } from '../record/deployments';
import { describeRequest, type OperatorRequest, operatorRequest } from '../record/operator-requests';
import { type RecordedStep, readRecord, recordStep } from '../record/traffic-record';
import { AlarmError, DeploymentAbortedError, InvalidInputError, PauseTimeoutError } from '../shared/errors';
import { logger } from '../shared/log';
import { alarmsInAlarm, type FiringAlarm } from './alarms';
import { setWeights, weightsOf } from './listener';
import { planTraffic, type TrafficStep } from './plan';
import type { CheckPauseConfig, ShiftConfig } from './shift-config';
import {
  type GreenState,
  type ManualPause,
  nextWait,
  type Pause,
  type PauseCheckState,
  type TrafficState,
} from './state';

export type { Pause } from './state';

/** Input of ShiftTraffic: the step of the plan to apply. */
export interface ShiftTrafficInput {
  deployment: Deployment;
  green: GreenState;
  step: number;
}

/** Input of CheckPause and CheckBake: the pause as the previous check left it, and the wait since that check. */
export interface CheckPauseInput {
  deployment: Deployment;
  green?: GreenState;
  /** `$.pauseCheck.pause` (StartPause / StartBake seed it with `$.traffic.pause`). */
  pause: Pause;
  /** `$.pauseCheck.waitSeconds`: seconds the machine just waited; 0 on the first check of a pause. */
  waitedSeconds: number;
}

const now = (): Date => new Date();

/** The weights of one step: `greenPercent` to green, the rest to live. */
export function stepWeights(green: GreenState, greenPercent: number): Record<string, number> {
  return { [green.greenTargetGroupArn]: greenPercent, [green.liveTargetGroupArn]: 100 - greenPercent };
}

/**
 * The pause after a step applied at `at`: the step's own pause, or for the step that reaches 100 % the bake
 * (`terminationWaitMinutes`, even 0 so alarms are checked once more; blue keeps running). A timed pause of 0 s is
 * no pause. The first check runs at once (`waitSeconds` 0).
 */
export function pauseAfter(
  step: TrafficStep,
  at: Date,
  terminationWaitMinutes: number,
  manualPauseTimeoutMinutes: number,
): Pick<TrafficState, 'pause' | 'waitSeconds' | 'done'> {
  // waitSeconds: the first callback wait (at least 1, a TimeoutSeconds); a pause of 0 ends at its first check.
  if (step.greenPercent === 100) {
    const bake = terminationWaitMinutes * 60;
    return { pause: { remainingSeconds: bake }, waitSeconds: Math.max(1, nextWait(bake)), done: true };
  }
  if ('pause' in step) {
    return {
      pause: { manual: true, since: at.toISOString(), waitedSeconds: 0 },
      waitSeconds: Math.max(1, nextWait(manualPauseTimeoutMinutes * 60)),
      done: false,
    };
  }
  if (step.pauseSeconds === 0) return { pause: null, waitSeconds: 1, done: false };
  return {
    pause: { remainingSeconds: step.pauseSeconds },
    waitSeconds: Math.max(1, nextWait(step.pauseSeconds)),
    done: false,
  };
}

/**
 * Pure: what CheckPause answers once alarms and abort have been checked, `waitedSeconds` after the previous check.
 * A promote ends any pause; a timed pause ends once its remaining seconds are waited; a manual one waits for a
 * promote, at most `manualPauseTimeoutMinutes` of the machine's waits (then EXPIRED: CheckPause rolls back). WAIT
 * never asks for more than MAX_CHECK_INTERVAL_SECONDS.
 */
export function evaluatePause(
  pause: Pause,
  promote: OperatorRequest | undefined,
  waitedSeconds: number,
  manualPauseTimeoutMinutes: number,
): PauseCheckState | { status: 'EXPIRED'; pause: ManualPause } {
  if (pause === null || promote) return { status: 'CONTINUE', waitSeconds: 0, pause: null };
  if ('manual' in pause) {
    const waited = (pause.waitedSeconds ?? 0) + waitedSeconds;
    const left = manualPauseTimeoutMinutes * 60 - waited;
    const kept: ManualPause = { manual: true, since: pause.since, waitedSeconds: waited };
    if (left <= 0) return { status: 'EXPIRED', pause: kept };
    return { status: 'WAIT', waitSeconds: nextWait(left), pause: kept };
  }
  const remainingSeconds = pause.remainingSeconds - waitedSeconds;
  if (remainingSeconds <= 0) return { status: 'CONTINUE', waitSeconds: 0, pause: null };
  return { status: 'WAIT', waitSeconds: nextWait(remainingSeconds), pause: { remainingSeconds } };
}

/** The AlarmError for alarms in ALARM: each alarm's name, CloudWatch's reason and when it changed. */
export function alarmError(deployment: Deployment, firing: readonly FiringAlarm[]): AlarmError {
  const list = firing
    .map(
      (alarm) =>
        `"${alarm.name}" (${alarm.reason || 'no reason given'}${alarm.updatedAt ? `, since ${alarm.updatedAt}` : ''})`,
    )
    .join('; ');
  const noun = firing.length === 1 ? 'CloudWatch alarm' : 'CloudWatch alarms';
  return new AlarmError(
    `${noun} in ALARM during deployment ${deployment.id}: ${list}; rolling back to the live task set`,
  );
}

/**
 * ShiftTraffic: applies step `step` of the TRAFFIC_STRATEGY plan to the production listener (read back by
 * setWeights), appends it to the record's `steps` once (a retried step finds it there), and returns the pause
 * that follows. The step that reaches 100 % is `done`, its pause the bake.
 */
export async function shiftTraffic(
  input: ShiftTrafficInput,
  deps: {
    elbv2: ElasticLoadBalancingV2Client;
    dynamodb: DynamoDBClient;
    now?: () => Date;
    /** Refuses when the deployment may no longer move traffic toward green (record/fence.ts). */
    fence?: () => Promise<void>;
  },
  config: ShiftConfig,
): Promise<TrafficState> {
  const { deployment, green, step } = checkShiftInput(input, config);
  const steps = planTraffic(config.trafficStrategy);
  const current = steps[step];
  if (!Number.isInteger(step) || !current) {
    throw new InvalidInputError(
      `ShiftTraffic field "step" is ${JSON.stringify(step)}; the plan "${config.trafficStrategy}" has steps 0 to ` +
        `${steps.length - 1} (the machine passes $.traffic.nextStep, which StartTrafficShift sets to 0)`,
    );
  }

  await deps.fence?.();
  const observed = await setWeights(
    deps.elbv2,
    config.productionListenerArn,
    stepWeights(green, current.greenPercent),
  );
  const observedWeights = weightsOf(observed);
  const entry: RecordedStep = {
    step,
    greenPercent: current.greenPercent,
    observedWeights,
    at: (deps.now ?? now)().toISOString(),
  };
  const recorded = await recordStep(deps.dynamodb, config.tableName, deployment, entry);
  logger.info(
    `step ${step + 1}/${steps.length}: ${current.greenPercent} % to green ${green.greenTargetGroupArn}` +
      `${recorded.retried ? ' (already recorded: a retried step)' : ''}`,
  );
  return {
    steps,
    nextStep: step + 1,
    greenPercent: current.greenPercent,
    observedWeights,
    // A retried step dates a manual pause from the first attempt, when the traffic moved.
    ...pauseAfter(
      current,
      new Date(recorded.at),
      config.terminationWaitMinutes,
      config.manualPauseTimeoutMinutes,
    ),
  };
}

function checkShiftInput(input: ShiftTrafficInput, config: ShiftConfig): ShiftTrafficInput {
  const green = input?.green;
  if (
    !input?.deployment ||
    typeof input.deployment.id !== 'string' ||
    typeof green?.greenTargetGroupArn !== 'string' ||
    typeof green.liveTargetGroupArn !== 'string' ||
    typeof input.step !== 'number'
  ) {
    throw new InvalidInputError(
      'ShiftTraffic expects {"deployment": {...}, "green": {"greenTargetGroupArn", "liveTargetGroupArn", ...}, ' +
        '"step": <index>} (see events/shift-traffic.json)',
    );
  }
  if (green.productionListenerArn && green.productionListenerArn !== config.productionListenerArn) {
    throw new InvalidInputError(
      `green.productionListenerArn is ${green.productionListenerArn} but the stack's ProductionListenerArn is ` +
        `${config.productionListenerArn}: the stack changed during the deployment; roll back and deploy again`,
    );
  }
  return input;
}

/**
 * CheckPause (and CheckBake): the configured alarms first (any in ALARM: AlarmError), then the record's
 * `abortRequested` (DeploymentAbortedError), then the pause itself: see evaluatePause and the module's note on
 * promote.
 */
export async function checkPause(
  input: CheckPauseInput,
  deps: { cloudwatch: CloudWatchClient; dynamodb: DynamoDBClient },
  config: CheckPauseConfig,
): Promise<PauseCheckState> {
  const { deployment, pause, waitedSeconds } = checkPauseInput(input);
  const firing = await alarmsInAlarm(deps.cloudwatch, config.alarmNames);
  if (firing.length > 0) throw alarmError(deployment, firing);

  const record = await readRecord(new DeploymentsTable(deps.dynamodb, config.tableName), deployment);
  const abort = operatorRequest(record.abortRequested);
  if (abort) {
    throw new DeploymentAbortedError(
      `deployment ${deployment.id} was aborted${describeRequest(abort)} (switchyard abort); rolling back to the live task set`,
    );
  }
  const promote = operatorRequest(record.promoteRequested);
  const result = evaluatePause(pause, promote, waitedSeconds, config.manualPauseTimeoutMinutes);
  if (result.status === 'EXPIRED') {
    throw new PauseTimeoutError(
      `deployment ${deployment.id} was not promoted within ${config.manualPauseTimeoutMinutes} min of its manual ` +
        `pause (since ${result.pause.since}); rolling back to the live task set. Promote sooner (switchyard ` +
        'promote) or raise the stack parameter ManualPauseTimeoutMinutes',
    );
  }
  if (promote && pause !== null) logger.info(`pause ended by promote${describeRequest(promote)}`);
  return result;
}

function checkPauseInput(input: CheckPauseInput): CheckPauseInput {
  if (!input?.deployment || typeof input.deployment.id !== 'string' || input.pause === undefined) {
    throw new InvalidInputError(
      'CheckPause expects {"deployment": {...}, "green": {...}, "pause": <$.pauseCheck.pause>, ' +
        '"waitedSeconds": <$.pauseCheck.waitSeconds>} (see events/check-pause.json)',
    );
  }
  const { pause, waitedSeconds } = input;
  if (!isSeconds(waitedSeconds)) {
    throw new InvalidInputError(
      `CheckPause field "waitedSeconds" is ${JSON.stringify(waitedSeconds) ?? 'missing'}; expected the seconds the ` +
        'machine just waited, a number >= 0 ($.pauseCheck.waitSeconds, which StartPause / StartBake seed with 0)',
    );
  }
  const valid =
    pause === null ||
    (typeof pause === 'object' &&
      (('remainingSeconds' in pause && isSeconds(pause.remainingSeconds)) ||
        ('manual' in pause &&
          pause.manual === true &&
          typeof pause.since === 'string' &&
          (pause.waitedSeconds === undefined || isSeconds(pause.waitedSeconds)))));
  if (!valid) {
    throw new InvalidInputError(
      `CheckPause field "pause" is ${JSON.stringify(pause)}; expected null, {"remainingSeconds": <seconds >= 0>} ` +
        'or {"manual": true, "since": <ISO time>, "waitedSeconds": <seconds>} as ShiftTraffic or the previous CheckPause returns it',
    );
  }
  return input;
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
