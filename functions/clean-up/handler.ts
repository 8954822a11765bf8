/**
 * CleanUpFunction: not a state; EventBridge calls it when an execution of the pipeline is aborted, times out or
 * fails outside the machine's catches.
 * Input: the "Step Functions Execution Status Change" event (or the same, synthesized by the reconciler or
 * `switchyard cleanup --resume`).
 * Output: `{deploymentId, action, stoppedBuild, releasedLock, rolledBack, orphanGreenTaskSetArn, waitedMs}`.
 * Waits, before it undoes anything, until MAX_TASK_SECONDS after the stop (lib/clean-up/stop-wait.ts).
 * Throws InvalidInputError for another event, ConfigurationError, CleanUpTooEarlyError or AWS errors: Lambda
 * retries the asynchronous invocation twice, then sends it to the on-failure queue (template.yaml).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type CleanUpResult, cleanUp, type ExecutionStatusChange } from '../lib/clean-up/clean-up';
import { findOrphanGreen } from '../lib/clean-up/orphan-green';
import { parseMaxTaskSeconds } from '../lib/clean-up/stop-wait';
import { DEPLOY_ENV, deployConfig } from '../lib/deploy/deploy-config';
import { rollback } from '../lib/deploy/finalize-rollback';
import { deploymentEvents } from '../lib/record/deployment-events';
import { DeploymentsTable } from '../lib/record/deployments';
import { markStopping } from '../lib/record/fence';
import { lockTable } from '../lib/record/lock-table';
import { signedTaskSuccess } from '../lib/record/lock-wait';
import { closeClaim, runningClaimOf } from '../lib/record/running-claims';
import { awsClient } from '../lib/shared/aws-clients';
import { CODEBUILD, ECS, jsonClient, STEP_FUNCTIONS } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishDeploymentEnd } from '../lib/shared/metrics';

const codebuild = jsonClient(CODEBUILD);
const dynamodb = awsClient(DynamoDBClient);
// ECS as signed JSON 1.1 requests (lib/deploy/task-sets.ts), with the SDK client's timeouts and retry.
const ecs = jsonClient(ECS);
const elbv2 = awsClient(ElasticLoadBalancingV2Client);
// Wakes the deployments waiting for the lock it releases (functions/lib/record/lock-wait.ts).
const sendTaskSuccess = signedTaskSuccess(jsonClient(STEP_FUNCTIONS));
// The end of a deployment this run closes (docs/EVENTS.md).
const events = deploymentEvents();
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', ...DEPLOY_ENV]);

/** The function's work, called through lambdaHandler. */
async function handle(
  event: ExecutionStatusChange,
  context?: { getRemainingTimeInMillis?: () => number },
): Promise<CleanUpResult> {
  // The execution's name is the deployment's id (Prepare names the deployment after its execution).
  logger.appendKeys({ deploymentId: event?.detail?.name, executionId: event?.detail?.executionArn });
  const env = config();
  const maxTaskSeconds = parseMaxTaskSeconds(process.env.MAX_TASK_SECONDS);
  const table = new DeploymentsTable(dynamodb, env.TABLE_NAME);
  const service = { cluster: env.CLUSTER_NAME, service: env.SERVICE_NAME };
  const result = await cleanUp(event, {
    codebuild,
    table,
    repository: env.REPOSITORY_NAME,
    lock: {
      table: lockTable(dynamodb, env.TABLE_NAME, sendTaskSuccess),
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
    markStopping: (deployment, mark) =>
      markStopping({ dynamodb, tableName: env.TABLE_NAME }, deployment, mark),
    clock: {
      maxTaskSeconds,
      ...(context?.getRemainingTimeInMillis
        ? { remainingMs: () => context.getRemainingTimeInMillis?.() ?? 0 }
        : {}),
    },
    findOrphanGreen: (deployment) => findOrphanGreen(ecs, service, deployment.id),
    events,
    metrics: (deployment, status, rolledBack) =>
      publishDeploymentEnd({ ...service, deployment }, status, { rolledBack }),
    closeClaim: async (deploymentId, status) => {
      const claim = await runningClaimOf(dynamodb, env.TABLE_NAME, env.REPOSITORY_NAME, deploymentId);
      if (!claim) return false;
      const ref = { repository: env.REPOSITORY_NAME, commitId: claim.commitId, deploymentId };
      return closeClaim(dynamodb, env.TABLE_NAME, ref, status, new Date());
    },
  });
  logger.info(`execution ${event?.detail?.status ?? 'ended'}: ${result.action}`, { cleanUp: result });
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
