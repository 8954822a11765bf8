/**
 * Runs a buildspec (version 0.2) on this machine the way AWS CodeBuild runs it, with no Docker and no
 * AWS account: a fresh copy of the source, CodeBuild's phases, transitions, environment variables and
 * log lines, the artifact zipped and put where CodeBuild puts it, and a result shaped like BatchGetBuilds'.
 *
 * The build itself is cli/build/: local-build.ts (the phases), download-source.ts (source, buildspec, variables),
 * shell-session.ts (one shell state across commands), environment.ts (variables, secrets resolved through
 * resolveVariable; aws-variables.ts reads them from AWS), upload-artifacts.ts, log.ts and interrupt.ts (timeout and
 * StopBuild). What it does as CodeBuild does, and what differs on a laptop: docs/LOCAL-BUILDS.md.
 */
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { LocalBuild } from './local-build';
import type { BuildRunResult, RunBuildOptions } from './types';

export { artifactKey } from './artifacts';
export { type BuildAwsAccess, INHERIT_ENV_VARIABLE } from './base-env';
export type * from './types';

/** Runs one build to completion; throws only for invalid options, every build problem is in the result. */
export async function runBuild(options: RunBuildOptions): Promise<BuildRunResult> {
  if (!options.projectName) throw new InvalidInputError('runBuild needs a projectName');
  if (options.artifacts && options.artifactsDirectory) {
    throw new InvalidInputError('runBuild takes either artifacts (S3) or artifactsDirectory, not both');
  }
  if (options.artifacts && !options.s3) {
    throw new InvalidInputError(
      `artifacts go to S3 bucket "${options.artifacts.bucket}", so runBuild needs an s3 client`,
    );
  }
  return new LocalBuild(options).run();
}
