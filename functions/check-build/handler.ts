/**
 * State `CheckBuild` (CheckBuildFunction).
 * Input: `{deployment, build: {id, startedAt, pollSeconds, timeoutMinutes}}`.
 * Output: `{status: "IN_PROGRESS", phase, elapsedSeconds}` or `{status: "SUCCEEDED", artifact, logsUrl, image}`.
 * Throws BuildFailedError, BuildTimeoutError (the build is stopped), BuildArtifactError, or AWS errors;
 * DeploymentAbortedError when the operator aborted (the build is stopped; the machine records ABORTED).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readZipArtifact } from '../lib/build/artifacts';
import { stopBuildIfAborted } from '../lib/build/build-abort';
import { type BuildCheck, type BuildRef, checkBuild, stopBuild } from '../lib/build/codebuild';
import { type ImageInput, readImageInput } from '../lib/build/image-files';
import type { Deployment } from '../lib/record/deployments';
import { awsClient, TRANSFERS } from '../lib/shared/aws-clients';
import { CODEBUILD, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishStageDuration, scopeFromEnv, secondsSince } from '../lib/shared/metrics';
import { s3Reader } from '../lib/shared/s3-read';
import { readSettings } from '../lib/shared/settings';

const codebuild = jsonClient(CODEBUILD);
const s3 = s3Reader(TRANSFERS);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['AWS_REGION', 'TABLE_NAME']);

/** The result of CheckBuild: a finished build carries its image input. */
export type CheckBuildOutput =
  | Extract<BuildCheck, { status: 'IN_PROGRESS' }>
  | (Extract<BuildCheck, { status: 'SUCCEEDED' }> & { buildId: string; image: ImageInput });

/** The function's work, called through lambdaHandler. */
async function handle(event: { deployment: Deployment; build: BuildRef }): Promise<CheckBuildOutput> {
  const env = config();
  // An abort stops the build and ends the deployment ABORTED (build-abort.ts), at every poll.
  await stopBuildIfAborted(
    { dynamodb, tableName: env.TABLE_NAME, stopBuild: (id) => stopBuild(codebuild, id) },
    event.deployment,
    event.build?.id,
  );
  const check = await checkBuild(codebuild, event.build, { region: env.AWS_REGION });
  if (check.status === 'IN_PROGRESS') return check;
  const image = readImageInput(await readZipArtifact(s3, check.artifact), readSettings().images);
  logger.info(`build ${event.build.id} succeeded`, { buildId: event.build.id, image });
  // The Build stage: from StartBuild's call to the image read from the build's artifact.
  publishStageDuration(scopeFromEnv(event.deployment), 'Build', secondsSince(event.build.startedAt));
  return { ...check, buildId: event.build.id, image };
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
