/**
 * State `Finalize` (FinalizeFunction).
 * Input: `{deployment, render, green, traffic}`.
 * Output: `{primaryTaskSetArn, deletedTaskSetArn | null}` (`$.finalize`).
 * Throws ServiceNotReadyError (production not 100 % green, task set gone), WeightsMismatchError, InvalidInputError,
 * ConfigurationError, or AWS errors; the fence (record/fence.ts, first and before the writes): DeploymentAbortedError,
 * DeploymentFencedError.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type FinalizeInput, type FinalizeOutput, finalize } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { fenceFor } from '../lib/record/fence';
import { trafficStartedAt } from '../lib/record/stage-times';
import { awsClient } from '../lib/shared/aws-clients';
import { ECS, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishStageDuration, scopeFromEnv, secondsSince } from '../lib/shared/metrics';

// ECS as signed JSON 1.1 requests (lib/deploy/task-sets.ts), with the SDK client's timeouts and retry.
const ecs = jsonClient(ECS);
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
  logger.info(`primary ${result.primaryTaskSetArn}; blue ${result.deletedTaskSetArn ?? 'none'} deleted`);
  // The Traffic stage: from the first step (the record's) through every pause and the bake to Finalize.
  const shiftStarted = await trafficStartedAt({ dynamodb, tableName: TABLE_NAME }, event.deployment);
  publishStageDuration(scopeFromEnv(event.deployment), 'Traffic', secondsSince(shiftStarted));
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
