/**
 * State `Finalize` (FinalizeFunction).
 * Input: `{deployment, render, green, traffic}`.
 * Output: `{primaryTaskSetArn, deletedTaskSetArn | null}` (`$.finalize`).
 * Throws ServiceNotReadyError (production not 100 % green, task set gone), WeightsMismatchError, InvalidInputError,
 * ConfigurationError, or AWS errors; the fence (record/fence.ts, first and before the writes): DeploymentAbortedError,
 * DeploymentFencedError.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type FinalizeInput, type FinalizeOutput, finalize } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { fenceFor } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const ecs = awsClient(ECSClient);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: FinalizeInput): Promise<FinalizeOutput> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  const table = new DeploymentsTable(dynamodb, TABLE_NAME);
  const fence = fenceFor(
    { dynamodb, tableName: TABLE_NAME, cluster: CLUSTER_NAME, service: SERVICE_NAME },
    event.deployment,
  );
  await fence();
  const result = await finalize(event, { ecs, elbv2, table, fence });
  console.log(`primary ${result.primaryTaskSetArn}; blue ${result.deletedTaskSetArn ?? 'none'} deleted`);
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
