/**
 * State `CheckGreen` (CheckGreenFunction), polled through `WaitForGreen`.
 * Input: `{deployment, green}`.
 * Output: `{ready, summary}` (`$.greenCheck`).
 * Checks the abort flag first (record/fence.ts): DeploymentAbortedError, which the machine rolls back.
 * Throws GreenUnhealthyError (not ready past `green.healthyBy`, or the task set is gone), InvalidInputError, or AWS
 * errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type GreenStepInput, pollGreen } from '../lib/deploy/green';
import type { GreenCheckState } from '../lib/deploy/state';
import { assertNotAborted } from '../lib/record/fence';
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
const config = configFromEnv(['TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: GreenStepInput): Promise<GreenCheckState> {
  await assertNotAborted({ dynamodb, tableName: config().TABLE_NAME }, event.deployment);
  const check = await pollGreen(event, { ecs, elbv2 });
  logger.info(check.summary, { ready: check.ready });
  // The Green stage: from the task set's creation (CreateGreen) to every target healthy.
  if (check.ready)
    publishStageDuration(scopeFromEnv(event.deployment), 'Green', secondsSince(event.green?.createdAt));
  return check;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
