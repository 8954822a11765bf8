/**
 * ReconcileFunction: not a state; an EventBridge Scheduler schedule (every ReconcileIntervalMinutes, template.yaml)
 * calls it. Starts the pipeline for a branch head nobody deployed (a missed push), and re-drives CleanUp for claims
 * left RUNNING by an execution that no longer runs.
 * Input: `{stateMachineArn, cleanUpFunctionArn}` (the schedule's; see events/reconcile.json).
 * Output: `{head: {commitId, action, executionArn?, claim?}, redriven: [...], left: [...]}`.
 * Throws InvalidInputError for another input, ConfigurationError, or AWS errors (the next run tries again).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseReconcileInput, type ReconcileResult, reconcile } from '../lib/reconcile/reconcile';
import { invokeCleanUp } from '../lib/reconcile/redrive';
import { DeploymentsTable } from '../lib/record/deployments';
import { runningItems } from '../lib/record/running-claims';
import { awsClient } from '../lib/shared/aws-clients';
import { CODECOMMIT, jsonClient, STEP_FUNCTIONS } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { lambdaInvoker } from '../lib/shared/lambda-invoke';
import { logger } from '../lib/shared/log';

const codecommit = jsonClient(CODECOMMIT);
const dynamodb = awsClient(DynamoDBClient);
const lambda = lambdaInvoker();
const sfn = jsonClient(STEP_FUNCTIONS);
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', 'BRANCH_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: unknown): Promise<ReconcileResult> {
  const env = config();
  const input = parseReconcileInput(event);
  const result = await reconcile(input, {
    codecommit,
    sfn,
    table: new DeploymentsTable(dynamodb, env.TABLE_NAME),
    pipeline: { repository: env.REPOSITORY_NAME, branch: env.BRANCH_NAME },
    runningItems: () => runningItems(dynamodb, env.TABLE_NAME, env.REPOSITORY_NAME),
    redrive: (change) => invokeCleanUp(lambda, input.cleanUpFunctionArn, change),
  });
  logger.info(
    `head ${result.head.commitId}: ${result.head.action}; ${result.redriven.length} stopped run(s) sent to CleanUp, ` +
      `${result.left.length} left`,
    { reconcile: result },
  );
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors leave as TransientAwsError. */
export const handler = lambdaHandler(handle);
