/**
 * The configuration of ShiftTraffic and CheckPause, as their handlers read it from the environment: the listener,
 * the strategy, the bake (TERMINATION_WAIT_MINUTES), the alarms and the deployments table.
 */
import { ConfigurationError } from '../shared/errors';

/** ShiftTraffic's configuration (from PRODUCTION_LISTENER_ARN, TRAFFIC_STRATEGY, TERMINATION_WAIT_MINUTES, TABLE_NAME). */
export interface ShiftConfig {
  productionListenerArn: string;
  trafficStrategy: string;
  terminationWaitMinutes: number;
  tableName: string;
}

/** CheckPause's configuration (from ALARM_NAMES and TABLE_NAME). */
export interface CheckPauseConfig {
  alarmNames: readonly string[];
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

/** Parses ALARM_NAMES (the AlarmNames parameter joined with commas; '' = no alarms). */
export function parseAlarmNames(text: string): string[] {
  return text
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
}
