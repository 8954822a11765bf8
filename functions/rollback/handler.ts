/**
 * State `Rollback` (RollbackFunction), the target of every deploy state's Catch.
 * Input: `{deployment, render, green?, error: {Error, Cause}}`.
 * Output: `{productionWeights, testWeights, primaryTaskSetArn, deletedGreenTaskSetArn, cause, summary}` (`$.rollback`).
 * Throws WeightsMismatchError, ServiceNotReadyError, InvalidInputError, ConfigurationError, or AWS errors; a retry
 * picks up where the failed attempt stopped.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { type RollbackInput, type RollbackOutput, rollback } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { startRollback } from '../lib/record/fence';
import { awsClient } from '../lib/shared/aws-clients';
import { ECS, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishMetrics, scopeFromEnv, secondsSince } from '../lib/shared/metrics';

// ECS as signed JSON 1.1 requests (lib/deploy/task-sets.ts), with the SDK client's timeouts and retry.
const ecs = jsonClient(ECS);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv([...DEPLOY_ENV, 'TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RollbackInput): Promise<RollbackOutput> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  // Optional, so not through configFromEnv, which refuses an empty value.
  const target = deployConfig(env, process.env.TEST_LISTENER_ARN);
  // Sent by hand for a deployment that ended, it would move the listeners another deployment may be using: refused
  // (a failed rollback, ROLLBACK_FAILED, is resumed through here). Stamped once: TimeToRollback counts from the first
  // attempt.
  const startedAt =
    typeof event?.deployment?.id === 'string'
      ? await startRollback(
          { dynamodb, tableName: env.TABLE_NAME },
          event.deployment,
          `move the listeners of service ${target.cluster}/${target.service}`,
        )
      : undefined;
  const result = await rollback(event, target, { ecs, elbv2, table });
  logger.info(`rolled back (${result.cause.name}): ${result.summary}`, {
    productionWeights: result.productionWeights,
    keptGreen: result.keptGreen,
  });
  // Only a rollback that put production back on blue has a time to rollback (one that kept green did not).
  if (!result.keptGreen) {
    publishMetrics(scopeFromEnv(event.deployment), [
      { name: 'TimeToRollback', unit: 'Seconds', value: secondsSince(startedAt) },
    ]);
  }
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
