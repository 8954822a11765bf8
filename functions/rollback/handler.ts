/**
 * State `Rollback` (RollbackFunction), the target of every deploy state's Catch.
 * Input: `{deployment, render, green?, error: {Error, Cause}}`.
 * Output: `{productionWeights, testWeights, primaryTaskSetArn, deletedGreenTaskSetArn, cause, summary}` (`$.rollback`).
 * Throws WeightsMismatchError, ServiceNotReadyError, InvalidInputError, ConfigurationError, or AWS errors; a retry
 * picks up where the failed attempt stopped.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { type RollbackInput, type RollbackOutput, rollback } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const ecs = awsClient(ECSClient);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv([...DEPLOY_ENV, 'TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RollbackInput): Promise<RollbackOutput> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  // Optional, so not through configFromEnv, which refuses an empty value.
  const target = deployConfig(env, process.env.TEST_LISTENER_ARN);
  const result = await rollback(event, target, { ecs, elbv2, table });
  console.log(`rolled back (${result.cause.name}): ${result.summary}`);
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
