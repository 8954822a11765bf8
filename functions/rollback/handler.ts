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
import { configFromEnv } from '../lib/shared/config';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv([...DEPLOY_ENV, 'TABLE_NAME']);

/** Lambda entry point. */
export async function handler(event: RollbackInput): Promise<RollbackOutput> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  // Optional, so not through configFromEnv, which refuses an empty value.
  const target = deployConfig(env, process.env.TEST_LISTENER_ARN);
  const result = await rollback(event, target, { ecs, elbv2, table });
  console.log(`rolled back (${result.cause.name}): ${result.summary}`);
  return result;
}
