/**
 * States `WaitInPause` / `WaitInBake` (arming the callback wait) and `CheckPause` / `CheckBake` (CheckPauseFunction).
 * Arming (`lambda:invoke.waitForTaskToken`), input `{deployment, green, pause, traffic, waitSeconds, taskToken}`:
 * checks at once, then ends the wait itself (the pause is over or promoted: `{status: "CONTINUE"}`) or leaves the
 * token on the record for the wakers (functions/lib/deploy/pause-wait.ts), putting the PAUSED event at a pause's
 * first arming (docs/EVENTS.md); the state's output is the token's.
 * Checking, input `{deployment, green, traffic, wake}` (`$.traffic`, `$.pauseWake`): counts what the wait used,
 * checks, and returns `$.traffic` with the pause left, `waitSeconds` (the next wait) and `status` WAIT | CONTINUE.
 * The form `{deployment, green, pause, waitedSeconds}` answers a PauseCheckState (events/check-pause.json).
 * Throws AlarmError (a configured alarm is in ALARM), DeploymentAbortedError (switchyard abort), PauseTimeoutError
 * (a manual pause not promoted within MANUAL_PAUSE_TIMEOUT_MINUTES), InvalidInputError,
 * ConfigurationError (ALARM_NAMES unset, an alarm that does not exist), TransientAwsError.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { armPauseWait, completeWait, type PauseWake, waitedSeconds } from '../lib/deploy/pause-wait';
import { type CheckPauseInput, checkPause } from '../lib/deploy/shift';
import { parseAlarmNames, parseManualPauseTimeout } from '../lib/deploy/shift-config';
import type { Pause, PauseCheckState, TrafficState } from '../lib/deploy/state';
import { deploymentEvents, eventPause } from '../lib/record/deployment-events';
import type { Deployment } from '../lib/record/deployments';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { ConfigurationError, InvalidInputError } from '../lib/shared/errors';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';

const cloudwatch = awsClient(CloudWatchClient);
const dynamodb = awsClient(DynamoDBClient);
const sfn = awsClient(SFNClient);
const events = deploymentEvents();
const config = configFromEnv(['TABLE_NAME']);

/** ALARM_NAMES may be empty (no alarms), which configFromEnv refuses; unset is still a configuration error. */
function alarmNames(): string[] {
  const value = process.env.ALARM_NAMES;
  if (value === undefined) {
    throw new ConfigurationError(
      'environment variable ALARM_NAMES is not set; the stack sets it from the AlarmNames parameter (empty for none)',
    );
  }
  return parseAlarmNames(value);
}

type ArmInput = {
  deployment: Deployment;
  green: unknown;
  pause: Pause;
  waitSeconds: number;
  taskToken: string;
  /** `$.traffic`: a pause's first arming follows ShiftTraffic, whose state has no `status` yet. */
  traffic?: TrafficState & { status?: string };
};
type CheckInput = { deployment: Deployment; green: unknown; traffic: TrafficState; wake?: PauseWake | null };
type Event = ArmInput | CheckInput | CheckPauseInput;

const check = (input: CheckPauseInput) =>
  checkPause(
    input,
    { cloudwatch, dynamodb },
    {
      alarmNames: alarmNames(),
      manualPauseTimeoutMinutes: parseManualPauseTimeout(process.env.MANUAL_PAUSE_TIMEOUT_MINUTES),
      tableName: config().TABLE_NAME,
    },
  );

async function arm(event: ArmInput): Promise<{ armed: boolean }> {
  if (typeof event.waitSeconds !== 'number' || event.waitSeconds < 1) {
    throw new InvalidInputError(
      `WaitInPause expects "waitSeconds" >= 1 (the state's HeartbeatSecondsPath, $.traffic.waitSeconds); got ${JSON.stringify(event.waitSeconds)}`,
    );
  }
  const input = { deployment: event.deployment, green: event.green, pause: event.pause, waitedSeconds: 0 };
  const done = () => completeWait(sfn, event.taskToken, { status: 'CONTINUE', by: 'check' });
  if ((await check(input as CheckPauseInput)).status === 'CONTINUE') {
    await done();
    logger.info('pause over at its first check: continuing');
    return { armed: false };
  }
  const wait = { token: event.taskToken, armedAt: new Date().toISOString(), waitSeconds: event.waitSeconds };
  await armPauseWait({ dynamodb, tableName: config().TABLE_NAME }, event.deployment, wait);
  // Checked again now that the token is on the record: an alarm, promote or abort that came between the first
  // check and the write found no token to wake, and must not wait for the safety check.
  const checked = await check(input as CheckPauseInput);
  logger.info(
    checked.status === 'CONTINUE'
      ? 'pause over: continuing'
      : `waiting in the pause: ${pauseLeft(checked.pause)}`,
    { waitSeconds: event.waitSeconds },
  );
  if (checked.status === 'CONTINUE') await done();
  else if (event.traffic && event.traffic.status === undefined) {
    // Once per pause, at its first arming, not at each safety check (docs/EVENTS.md).
    const { traffic } = event;
    await events.publish({
      deployment: event.deployment,
      state: 'PAUSED',
      step: traffic.nextStep,
      greenPercent: traffic.greenPercent,
      pause: eventPause(checked.pause, {
        bake: traffic.done === true,
        manualPauseTimeoutMinutes: parseManualPauseTimeout(process.env.MANUAL_PAUSE_TIMEOUT_MINUTES),
      }),
    });
  }
  return { armed: true };
}

/** What is left of a pause, for the log. */
function pauseLeft(pause: Pause): string {
  if (pause === null) return 'over';
  if ('manual' in pause) return `until promoted (paused since ${pause.since})`;
  return `${pause.remainingSeconds} s left`;
}

/** The function's work, called through lambdaHandler. */
async function handle(event: Event): Promise<PauseCheckState | TrafficState | { armed: boolean }> {
  if ('taskToken' in event && typeof event.taskToken === 'string') return arm(event);
  // An arming carries `traffic` too: only a check has it without a token.
  if ('traffic' in event && event.traffic && !('taskToken' in event)) {
    const { traffic } = event;
    const waited = waitedSeconds(traffic.waitSeconds, event.wake);
    const result = await check({
      deployment: event.deployment,
      green: event.green,
      pause: traffic.pause,
      waitedSeconds: waited,
    } as CheckPauseInput);
    logger.info(
      result.status === 'CONTINUE'
        ? 'pause over: continuing'
        : `still in the pause: ${pauseLeft(result.pause)}`,
      { waitedSeconds: waited, woken: event.wake ?? null },
    );
    // TimeoutSecondsPath needs at least 1; a CONTINUE does not wait at all.
    return { ...traffic, ...result, waitSeconds: Math.max(1, result.waitSeconds) };
  }
  return check(event as CheckPauseInput);
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
