/**
 * States `CheckPause` and `CheckBake` (CheckPauseFunction).
 * Input: `{deployment, green, pause, waitedSeconds}` = `$.pauseCheck.pause` and `.waitSeconds` (StartPause / StartBake
 * seed them with `$.traffic.pause` and 0). Output: `{status: "WAIT" | "CONTINUE", waitSeconds, pause}` (`$.pauseCheck`).
 * Throws AlarmError (a configured alarm is in ALARM), DeploymentAbortedError (switchyard abort), InvalidInputError,
 * ConfigurationError (ALARM_NAMES unset, an alarm that does not exist), TransientAwsError.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CheckPauseInput, checkPause } from '../lib/deploy/shift';
import { parseAlarmNames } from '../lib/deploy/shift-config';
import type { PauseCheckState } from '../lib/deploy/state';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { ConfigurationError } from '../lib/shared/errors';
import { lambdaHandler } from '../lib/shared/handler';

const cloudwatch = awsClient(CloudWatchClient);
const dynamodb = awsClient(DynamoDBClient);
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

/** The function's work, called through lambdaHandler. */
async function handle(event: CheckPauseInput): Promise<PauseCheckState> {
  return checkPause(
    event,
    { cloudwatch, dynamodb },
    { alarmNames: alarmNames(), tableName: config().TABLE_NAME },
  );
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
