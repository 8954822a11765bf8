/**
 * WakePauseFunction, on EventBridge's "CloudWatch Alarm State Change" event of a configured alarm (template.yaml
 * rule AlarmEvent): when the alarm enters ALARM, the deployment holding the service's lock is woken from its pause
 * or bake at once, and its CheckPause rolls it back (functions/lib/deploy/pause-wait.ts). Any other state, or no
 * deployment waiting, is nothing to do. Event:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { wakeHolder } from '../lib/deploy/pause-wait';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';

const dynamodb = awsClient(DynamoDBClient);
const sfn = awsClient(SFNClient);
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME', 'REPOSITORY_NAME']);

/** The part of the alarm's state-change event this function reads. */
export interface AlarmStateChange {
  detail?: { alarmName?: string; state?: { value?: string } };
}

/** The function's work, called through lambdaHandler. */
async function handle(event: AlarmStateChange): Promise<{ deploymentId: string | null; woken: boolean }> {
  const alarm = event?.detail?.alarmName;
  if (event?.detail?.state?.value !== 'ALARM' || !alarm) return { deploymentId: null, woken: false };
  const env = config();
  const result = await wakeHolder(
    { dynamodb, sfn, tableName: env.TABLE_NAME },
    { cluster: env.CLUSTER_NAME, service: env.SERVICE_NAME, repository: env.REPOSITORY_NAME },
    `alarm ${alarm}`,
  );
  if (result.deploymentId) logger.appendKeys({ deploymentId: result.deploymentId });
  logger.info(
    result.woken
      ? `alarm ${alarm} in ALARM: woke deployment ${result.deploymentId} from its pause`
      : `alarm ${alarm} in ALARM: no deployment waiting in a pause (${result.deploymentId ?? 'no lock holder'})`,
  );
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
