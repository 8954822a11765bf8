/**
 * State `AllowTestTraffic` (AllowTestTrafficFunction).
 * Input: `{deployment, green}`.
 * Output: `{testListenerArn, observedWeights}` (read back), or `{skipped: true}` without a test listener.
 * Throws WeightsMismatchError, ServiceNotReadyError (test listener missing or not forwarding), InvalidInputError, or
 * AWS errors; the fence (record/fence.ts, first and before the write): DeploymentAbortedError, DeploymentFencedError.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type AllowTestTrafficOutput, allowTestTraffic, type GreenStepInput } from '../lib/deploy/green';
import { fenceFor } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';

const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: GreenStepInput): Promise<AllowTestTrafficOutput> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  const fence = fenceFor(
    { dynamodb, tableName: TABLE_NAME, cluster: CLUSTER_NAME, service: SERVICE_NAME },
    event.deployment,
  );
  await fence();
  const result = await allowTestTraffic(event, { elbv2, fence });
  if ('skipped' in result) logger.info('no test listener');
  else logger.info('test listener forwards to green', { testListener: result });
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
