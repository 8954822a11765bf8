/**
 * State `StartBuild` (StartBuildFunction).
 * Input: `{deployment, ...}` (ArchiveSource's output; the build clones the commit from CodeCommit). Output: `{id, startedAt, pollSeconds, timeoutMinutes}`.
 * Throws InvalidInputError, ConfigurationError, or AWS errors (a retried start returns the same build);
 * DeploymentAbortedError, starting nothing, when the operator aborted (the machine records ABORTED).
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { stopBuildIfAborted } from '../lib/build/build-abort';
import { type BuildRef, startBuild } from '../lib/build/codebuild';
import { type Deployment, DeploymentsTable } from '../lib/record/deployments';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { readSettings } from '../lib/shared/settings';

const codebuild = awsClient(CodeBuildClient);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv([
  'BUILD_PROJECT_NAME',
  'ARTIFACT_BUCKET',
  'BUILD_POLL_SECONDS',
  'BUILD_TIMEOUT_MINUTES',
  'TABLE_NAME',
]);

/** The function's work, called through lambdaHandler. */
async function handle(event: { deployment: Deployment }): Promise<BuildRef> {
  const env = config();
  const settings = readSettings();
  // An abort given before the build starts: no build, the deployment ends ABORTED (build-abort.ts).
  await stopBuildIfAborted({ dynamodb, tableName: env.TABLE_NAME }, event.deployment);
  const build = await startBuild(codebuild, event, {
    buildspecPath: settings.buildspecPath,
    buildVariables: settings.buildVariables,
    projectName: env.BUILD_PROJECT_NAME,
    artifactBucket: env.ARTIFACT_BUCKET,
    pollSeconds: Number(env.BUILD_POLL_SECONDS),
    timeoutMinutes: Number(env.BUILD_TIMEOUT_MINUTES),
  });
  // The record names the build, so an aborted execution's clean-up can stop it.
  await new DeploymentsTable(dynamodb, env.TABLE_NAME).update(event.deployment, {
    build: { id: build.id, startedAt: build.startedAt },
  });
  logger.info(`started build ${build.id} of commit ${event.deployment.commitId}`, { buildId: build.id });
  return build;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
