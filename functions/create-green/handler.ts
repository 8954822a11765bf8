/**
 * State `CreateGreen` (CreateGreenFunction).
 * Input: `{deployment, render: {taskDefinitionArn, appspec}}`.
 * Output: GreenState (`$.green`): live and green target groups, blue and green task sets, poll and deadline.
 * Checks the fence first and right before each write (record/fence.ts): DeploymentAbortedError on an abort (the
 * machine rolls back), DeploymentFencedError when the deployment lost the lock or is being stopped.
 * Throws ServiceNotReadyError (service or listener not fit, traffic split by an interrupted run), InvalidInputError,
 * WeightsMismatchError, ConfigurationError, or AWS errors (TransientAwsError is retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { type CreateGreenInput, createGreen } from '../lib/deploy/green';
import type { GreenState } from '../lib/deploy/state';
import { DeploymentsTable } from '../lib/record/deployments';
import { fenceFor } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { ECS, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';

// ECS as signed JSON 1.1 requests (lib/deploy/task-sets.ts), with the SDK client's timeouts and retry.
const ecs = jsonClient(ECS);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv([...DEPLOY_ENV, 'TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: CreateGreenInput): Promise<GreenState> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  // Optional, so not through configFromEnv, which refuses an empty value.
  const target = deployConfig(env, process.env.TEST_LISTENER_ARN);
  const fence = fenceFor(
    { dynamodb, tableName: env.TABLE_NAME, cluster: target.cluster, service: target.service },
    event.deployment,
  );
  await fence();
  const green = await createGreen(event, target, { ecs, elbv2, table, fence });
  logger.info(
    `green task set ${green.greenTaskSetArn} on ${green.greenTargetGroupArn}; live ${green.liveTargetGroupArn}, ` +
      `blue ${green.blueTaskSetArn ?? 'none'}; healthy by ${green.healthyBy}`,
  );
  return green;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
