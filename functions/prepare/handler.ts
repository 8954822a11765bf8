/**
 * State `Prepare` (PrepareFunction).
 * Input: `{input: <EventBridge CodeCommit event | {"commitId"?, "branch"?, "force"?} | {"rollback": true} |
 * {"taskDefinitionArn"}>, execution: {id, name, startTime}}`.
 * Output: `{action: "deploy" | "skip" | "redeploy", reason?, deployment, render?}`; a duplicate of a running or
 * deployed commit is `skip`; a redeploy carries the revision and AppSpec settings to deploy.
 * `{"resumeRollback": {"deploymentId"}}` (switchyard rollback --resume): `{action: "resume-rollback", deployment,
 * render, green, error, resumeRollback}` from the record of the deployment whose rollback failed (resume-rollback.ts).
 * Throws InvalidInputError (bad input, unknown branch), ConfigurationError (a bad stack parameter, before any side
 * effect), or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildPollSeconds } from '../lib/build/build-polls';
import { type BudgetSettings, checkHistoryBudget } from '../lib/deploy/history-budget';
import { parseManualPauseTimeout, parseTerminationWait } from '../lib/deploy/shift-config';
import { GREEN_POLL_SECONDS } from '../lib/deploy/state';
import { DeploymentsTable } from '../lib/record/deployments';
import {
  isResumeRollback,
  prepareResumeRollback,
  type ResumeRollbackOutput,
} from '../lib/record/resume-rollback';
import { readWorkloadScope } from '../lib/render/workload-scope';
import { awsClient } from '../lib/shared/aws-clients';
import { CODECOMMIT, ECS, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logDeployment, logger } from '../lib/shared/log';
import { checkVariableGrants, readSettings } from '../lib/shared/settings';
import { type PrepareInput, type PrepareOutput, prepare } from '../lib/source/prepare';

const codecommit = jsonClient(CODECOMMIT);
const dynamodb = awsClient(DynamoDBClient);
const ecs = jsonClient(ECS);
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', 'BRANCH_NAME']);
const service = configFromEnv(['CLUSTER_NAME', 'SERVICE_NAME']);
const waits = configFromEnv([
  'TRAFFIC_STRATEGY',
  'TERMINATION_WAIT_MINUTES',
  'MANUAL_PAUSE_TIMEOUT_MINUTES',
  'GREEN_HEALTH_TIMEOUT_MINUTES',
  'BUILD_POLL_SECONDS',
  'BUILD_TIMEOUT_MINUTES',
]);

/** The stack's settings of every wait, as the states that wait read them (template.yaml Globals). */
function budgetSettings(): BudgetSettings {
  const env = waits();
  const build = {
    pollSeconds: Number(env.BUILD_POLL_SECONDS),
    timeoutMinutes: Number(env.BUILD_TIMEOUT_MINUTES),
  };
  return {
    trafficStrategy: env.TRAFFIC_STRATEGY,
    terminationWaitMinutes: parseTerminationWait(env.TERMINATION_WAIT_MINUTES),
    manualPauseTimeoutMinutes: parseManualPauseTimeout(env.MANUAL_PAUSE_TIMEOUT_MINUTES),
    greenHealthTimeoutMinutes: Number(env.GREEN_HEALTH_TIMEOUT_MINUTES),
    greenPollSeconds: GREEN_POLL_SECONDS,
    buildFallbackPolls: Math.ceil((build.timeoutMinutes * 60) / buildPollSeconds(build)),
  };
}

/** The function's work, called through lambdaHandler. */
async function handle(event: PrepareInput): Promise<PrepareOutput | ResumeRollbackOutput> {
  const { TABLE_NAME, REPOSITORY_NAME, BRANCH_NAME } = config();
  if (isResumeRollback(event?.input)) {
    const { CLUSTER_NAME, SERVICE_NAME } = service();
    const resumed = await prepareResumeRollback(event.input, event.execution, {
      dynamodb,
      tableName: TABLE_NAME,
      repository: REPOSITORY_NAME,
      service: { cluster: CLUSTER_NAME, service: SERVICE_NAME },
    });
    logDeployment(resumed.deployment);
    logger.info(`resuming the failed rollback of deployment ${resumed.deployment.id}`);
    return resumed;
  }
  // Every repository setting is checked before the first side effect (the claim), so a bad stack parameter ends
  // the execution here, naming the parameter, instead of failing a later state.
  checkVariableGrants(readSettings().buildVariables);
  readWorkloadScope(); // TaskDefinitionFamily and the network allow-lists, which Render applies
  // The traffic plan and every other bounded wait must fit the execution's history (deploy/history-budget.ts).
  checkHistoryBudget(budgetSettings());
  const prepared = await prepare(event, {
    codecommit,
    ecs,
    table: new DeploymentsTable(dynamodb, TABLE_NAME),
    pipeline: { repository: REPOSITORY_NAME, branch: BRANCH_NAME },
  });
  logPrepared(prepared);
  return prepared;
}

/** One line for what Prepare decided, with the deployment's keys from here on. */
function logPrepared(prepared: PrepareOutput): void {
  const { deployment } = prepared;
  logDeployment(deployment);
  const what = `${deployment.repository}@${deployment.branch} ${deployment.commitId} (${deployment.trigger})`;
  if (prepared.action === 'skip') logger.info(`skipped ${what}: ${prepared.reason}`);
  else if (prepared.action === 'redeploy')
    logger.info(`redeploying ${prepared.render.taskDefinitionArn} for ${what}`, { force: deployment.force });
  else logger.info(`deploying ${what}`, { force: deployment.force });
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
