/**
 * State `Finalize` (FinalizeFunction).
 * Input: `{deployment, render, green, traffic}`.
 * Output: `{primaryTaskSetArn, deletedTaskSetArn | null}` (`$.finalize`).
 * Throws ServiceNotReadyError (production not 100 % green, task set gone), WeightsMismatchError, InvalidInputError,
 * ConfigurationError, or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type FinalizeInput, type FinalizeOutput, finalize } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { configFromEnv } from '../lib/shared/config';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv(['TABLE_NAME']);

/** Lambda entry point. */
export async function handler(event: FinalizeInput): Promise<FinalizeOutput> {
  const table = new DeploymentsTable(dynamodb, config().TABLE_NAME);
  const result = await finalize(event, { ecs, elbv2, table });
  console.log(`primary ${result.primaryTaskSetArn}; blue ${result.deletedTaskSetArn ?? 'none'} deleted`);
  return result;
}
