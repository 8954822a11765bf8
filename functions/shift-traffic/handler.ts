/**
 * State `ShiftTraffic` (ShiftTrafficFunction).
 * Input: `{deployment, green, step}` (step = `$.traffic.nextStep`). Output: TrafficState (`$.traffic`), whose pause
 * is `{remainingSeconds}`, `{manual, since}` or null (the step that reaches 100 %: the bake).
 * Throws WeightsMismatchError (the listener does not carry what was written), InvalidInputError (step out of the
 * plan, bad TRAFFIC_STRATEGY), ServiceNotReadyError (listener), ConfigurationError, TransientAwsError; the fence
 * (record/fence.ts, first and right before the listener write): DeploymentAbortedError, DeploymentFencedError.
 * After the first step, AlarmError when a configured alarm is in ALARM: a pause whose callback wait ran its whole
 * time comes straight here (statemachine: PauseWaited), so the alarms are checked again before more traffic moves.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { alarmsInAlarm } from '../lib/deploy/alarms';
import { alarmError, type ShiftTrafficInput, shiftTraffic } from '../lib/deploy/shift';
import { parseAlarmNames, parseManualPauseTimeout, parseTerminationWait } from '../lib/deploy/shift-config';
import type { TrafficState } from '../lib/deploy/state';
import { deploymentEvents } from '../lib/record/deployment-events';
import { fenceFor } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const cloudwatch = awsClient(CloudWatchClient);
const events = deploymentEvents();
const config = configFromEnv([
  'PRODUCTION_LISTENER_ARN',
  'TRAFFIC_STRATEGY',
  'TERMINATION_WAIT_MINUTES',
  'TABLE_NAME',
  'CLUSTER_NAME',
  'SERVICE_NAME',
]);

/** The function's work, called through lambdaHandler. */
async function handle(event: ShiftTrafficInput): Promise<TrafficState> {
  const env = config();
  const fence = fenceFor(
    { dynamodb, tableName: env.TABLE_NAME, cluster: env.CLUSTER_NAME, service: env.SERVICE_NAME },
    event.deployment,
  );
  await fence();
  if (typeof event.step === 'number' && event.step > 0) {
    const firing = await alarmsInAlarm(cloudwatch, parseAlarmNames(process.env.ALARM_NAMES ?? ''));
    if (firing.length > 0) throw alarmError(event.deployment, firing);
  }
  const traffic = await shiftTraffic(
    event,
    { elbv2, dynamodb, fence },
    {
      productionListenerArn: env.PRODUCTION_LISTENER_ARN,
      trafficStrategy: env.TRAFFIC_STRATEGY,
      terminationWaitMinutes: parseTerminationWait(env.TERMINATION_WAIT_MINUTES),
      manualPauseTimeoutMinutes: parseManualPauseTimeout(process.env.MANUAL_PAUSE_TIMEOUT_MINUTES),
      tableName: env.TABLE_NAME,
    },
  );
  // Keyed by the steps applied: a retry of this step puts the same eventId (docs/EVENTS.md).
  await events.publish({
    deployment: event.deployment,
    state: 'TRAFFIC_SHIFTED',
    step: traffic.nextStep,
    greenPercent: traffic.greenPercent,
  });
  return traffic;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
