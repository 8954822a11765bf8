/**
 * The configuration of ShiftTraffic and CheckPause, as their handlers read it from the environment: the listener,
 * the strategy, the bake (TERMINATION_WAIT_MINUTES), the alarms and the deployments table.
 */
import { ConfigurationError } from '../shared/errors';

/**
 * ShiftTraffic's configuration (from PRODUCTION_LISTENER_ARN, TRAFFIC_STRATEGY, TERMINATION_WAIT_MINUTES,
 * MANUAL_PAUSE_TIMEOUT_MINUTES, TABLE_NAME).
 */
export interface ShiftConfig {
  productionListenerArn: string;
  trafficStrategy: string;
  terminationWaitMinutes: number;
  manualPauseTimeoutMinutes: number;
  tableName: string;
}

/** CheckPause's configuration (from ALARM_NAMES, MANUAL_PAUSE_TIMEOUT_MINUTES and TABLE_NAME). */
export interface CheckPauseConfig {
  alarmNames: readonly string[];
  manualPauseTimeoutMinutes: number;
  tableName: string;
}

/** CodeDeploy's limit for terminationWaitTimeInMinutes, which the template's parameter keeps too. */
export const MAX_TERMINATION_WAIT_MINUTES = 2880;

/** Parses TERMINATION_WAIT_MINUTES: a whole number of minutes from 0 to 2880; ConfigurationError otherwise. */
export function parseTerminationWait(text: string): number {
  const minutes = Number(text);
  if (
    text.trim() === '' ||
    !Number.isInteger(minutes) ||
    minutes < 0 ||
    minutes > MAX_TERMINATION_WAIT_MINUTES
  ) {
    throw new ConfigurationError(
      `TERMINATION_WAIT_MINUTES is ${JSON.stringify(text)}; expected a whole number of minutes from 0 to ` +
        `${MAX_TERMINATION_WAIT_MINUTES} (the stack's TerminationWaitMinutes parameter)`,
    );
  }
  return minutes;
}

/**
 * Longest a manual pause may wait for `switchyard promote` (the template's MaxValue): three days, so that a plan
 * with one such pause and the longest bake still fits the execution history (history-budget.ts). CodeDeploy's
 * manual gate has a wait time too (DeploymentReadyOption.WaitTimeInMinutes):
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-codedeploy-deploymentgroup-deploymentreadyoption.html
 */
export const MAX_MANUAL_PAUSE_TIMEOUT_MINUTES = 4320;

/** Parses MANUAL_PAUSE_TIMEOUT_MINUTES: a whole number of minutes from 1 to 4320; ConfigurationError otherwise. */
export function parseManualPauseTimeout(text: string | undefined): number {
  const minutes = Number(text);
  if (
    text === undefined ||
    text.trim() === '' ||
    !Number.isInteger(minutes) ||
    minutes < 1 ||
    minutes > MAX_MANUAL_PAUSE_TIMEOUT_MINUTES
  ) {
    throw new ConfigurationError(
      `MANUAL_PAUSE_TIMEOUT_MINUTES is ${JSON.stringify(text) ?? 'unset'}; expected a whole number of minutes from 1 to ` +
        `${MAX_MANUAL_PAUSE_TIMEOUT_MINUTES} (the stack's ManualPauseTimeoutMinutes parameter)`,
    );
  }
  return minutes;
}

/** Parses ALARM_NAMES (the AlarmNames parameter joined with commas; '' = no alarms). */
export function parseAlarmNames(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}
