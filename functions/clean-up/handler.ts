/**
 * CleanUpFunction: not a state; EventBridge calls it when an execution of the pipeline is aborted, times out or
 * fails outside the machine's catches.
 * Input: the "Step Functions Execution Status Change" event.
 * Output: `{deploymentId, action, stoppedBuild, releasedLock, rolledBack}`.
 * Throws InvalidInputError for another event, ConfigurationError, or AWS errors (EventBridge retries).
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type CleanUpResult, cleanUp, type ExecutionStatusChange } from '../lib/clean-up/clean-up';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { rollback } from '../lib/deploy/finalize-rollback';
import { DeploymentsTable } from '../lib/record/deployments';
import { lockTable } from '../lib/record/lock-table';
import { configFromEnv } from '../lib/shared/config';

const codebuild = new CodeBuildClient({});
const dynamodb = new DynamoDBClient({});
const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', ...DEPLOY_ENV]);

/** Lambda entry point. */
export async function handler(event: ExecutionStatusChange): Promise<CleanUpResult> {
  const env = config();
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  const result = await cleanUp(event, {
    codebuild,
    table,
    repository: env.REPOSITORY_NAME,
    lock: {
      table: lockTable(dynamodb, env.TABLE_NAME),
      cluster: env.CLUSTER_NAME,
      service: env.SERVICE_NAME,
    },
    rollBack: (deployment, green, cause) =>
      rollback(
        { deployment, green, error: { Error: 'ExecutionAborted', Cause: cause } },
        // Optional, so not through configFromEnv, which refuses an empty value.
        deployConfig(env, process.env.TEST_LISTENER_ARN),
        { ecs, elbv2, table },
      ),
  });
  console.log(JSON.stringify(result));
  return result;
}
