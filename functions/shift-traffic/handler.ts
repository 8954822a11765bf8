/**
 * State `ShiftTraffic` (ShiftTrafficFunction).
 * Input: `{deployment, green, step}` (step = `$.traffic.nextStep`). Output: TrafficState (`$.traffic`), whose pause
 * is `{remainingSeconds}`, `{manual, since}` or null (the step that reaches 100 %: the bake).
 * Throws WeightsMismatchError (the listener does not carry what was written), InvalidInputError (step out of the
 * plan, bad TRAFFIC_STRATEGY), ServiceNotReadyError (listener), ConfigurationError, TransientAwsError.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type ShiftTrafficInput, shiftTraffic } from '../lib/deploy/shift';
import { parseTerminationWait } from '../lib/deploy/shift-config';
import type { TrafficState } from '../lib/deploy/state';
import { configFromEnv } from '../lib/shared/config';

const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv([
  'PRODUCTION_LISTENER_ARN',
  'TRAFFIC_STRATEGY',
  'TERMINATION_WAIT_MINUTES',
  'TABLE_NAME',
]);

/** Lambda entry point. */
export async function handler(event: ShiftTrafficInput): Promise<TrafficState> {
  const env = config();
  return shiftTraffic(
    event,
    { elbv2, dynamodb },
    {
      productionListenerArn: env.PRODUCTION_LISTENER_ARN,
      trafficStrategy: env.TRAFFIC_STRATEGY,
      terminationWaitMinutes: parseTerminationWait(env.TERMINATION_WAIT_MINUTES),
      tableName: env.TABLE_NAME,
    },
  );
}
