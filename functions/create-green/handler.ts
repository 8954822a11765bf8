/**
 * State `CreateGreen` (CreateGreenFunction).
 * Input: `{deployment, render: {taskDefinitionArn, appspec}}`.
 * Output: GreenState (`$.green`): live and green target groups, blue and green task sets, poll and deadline.
 * Throws ServiceNotReadyError (service or listener not fit, traffic split by an interrupted run), InvalidInputError,
 * WeightsMismatchError, ConfigurationError, or AWS errors (TransientAwsError is retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { type CreateGreenInput, createGreen } from '../lib/deploy/green';
import type { GreenState } from '../lib/deploy/state';
import { DeploymentsTable } from '../lib/record/deployments';
import { configFromEnv } from '../lib/shared/config';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv([...DEPLOY_ENV, 'TABLE_NAME']);

/** Lambda entry point. */
export async function handler(event: CreateGreenInput): Promise<GreenState> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  // Optional, so not through configFromEnv, which refuses an empty value.
  const target = deployConfig(env, process.env.TEST_LISTENER_ARN);
  const green = await createGreen(event, target, { ecs, elbv2, table });
  console.log(
    `green task set ${green.greenTaskSetArn} on ${green.greenTargetGroupArn}; live ${green.liveTargetGroupArn}, ` +
      `blue ${green.blueTaskSetArn ?? 'none'}; healthy by ${green.healthyBy}`,
  );
  return green;
}
