/**
 * State `CheckGreen` (CheckGreenFunction), polled through `WaitForGreen`.
 * Input: `{deployment, green}`.
 * Output: `{ready, summary}` (`$.greenCheck`).
 * Checks the abort flag first (record/fence.ts): DeploymentAbortedError, which the machine rolls back.
 * Throws GreenUnhealthyError (not ready past `green.healthyBy`, or the task set is gone), InvalidInputError, or AWS
 * errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type GreenStepInput, pollGreen } from '../lib/deploy/green';
import type { GreenCheckState } from '../lib/deploy/state';
import { assertNotAborted } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const ecs = awsClient(ECSClient);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: GreenStepInput): Promise<GreenCheckState> {
  await assertNotAborted({ dynamodb, tableName: config().TABLE_NAME }, event.deployment);
  const check = await pollGreen(event, { ecs, elbv2 });
  console.log(check.summary);
  return check;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
