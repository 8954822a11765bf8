/**
 * State `CheckBuild` (CheckBuildFunction).
 * Input: `{deployment, build: {id, startedAt, pollSeconds, timeoutMinutes}}`.
 * Output: `{status: "IN_PROGRESS", phase, elapsedSeconds}` or `{status: "SUCCEEDED", artifact, logsUrl, image}`.
 * Throws BuildFailedError, BuildTimeoutError (the build is stopped), BuildArtifactError, or AWS errors.
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { S3Client } from '@aws-sdk/client-s3';
import { readZipArtifact } from '../lib/build/artifacts';
import { type BuildCheck, type BuildRef, checkBuild } from '../lib/build/codebuild';
import { type ImageInput, readImageInput } from '../lib/build/image-files';
import { configFromEnv } from '../lib/shared/config';
import { readSettings } from '../lib/shared/settings';

const codebuild = new CodeBuildClient({});
const s3 = new S3Client({});
const config = configFromEnv(['AWS_REGION']);

/** The result of CheckBuild: a finished build carries its image input. */
export type CheckBuildOutput =
  | Extract<BuildCheck, { status: 'IN_PROGRESS' }>
  | (Extract<BuildCheck, { status: 'SUCCEEDED' }> & { buildId: string; image: ImageInput });

/** Lambda entry point. */
export async function handler(event: { build: BuildRef }): Promise<CheckBuildOutput> {
  const check = await checkBuild(codebuild, event.build, { region: config().AWS_REGION });
  if (check.status === 'IN_PROGRESS') return check;
  const image = readImageInput(await readZipArtifact(s3, check.artifact), readSettings().images);
  console.log(`build ${event.build.id} succeeded: ${JSON.stringify(image)}`);
  return { ...check, buildId: event.build.id, image };
}
