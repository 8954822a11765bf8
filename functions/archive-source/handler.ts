/**
 * State `ArchiveSource` (ArchiveSourceFunction).
 * Input: `{deployment}` (from Prepare). Output: `{bucket, key, versionId, sha256, files, bytes, commit, reused}`.
 * Throws SourceError (missing buildspec/taskdef/appspec, file over 6 MB), TransientAwsError (still throttled
 * after the client's retries), or AWS errors.
 */
import type { Deployment } from '../lib/record/deployments';
import { clientConfig, TRANSFERS } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { InvalidInputError } from '../lib/shared/errors';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishStageDuration, scopeFromEnv, secondsSince } from '../lib/shared/metrics';
import { s3Reader } from '../lib/shared/s3-read';
import { readSettings } from '../lib/shared/settings';
import { archiveCommit } from '../lib/source/archive-source';
import { createCodeCommitClient } from '../lib/source/codecommit-client';

const codecommit = createCodeCommitClient({
  config: { requestHandler: clientConfig(TRANSFERS).requestHandler },
});
// Signed S3 requests (shared/s3-read.ts, source/s3-write.ts): the SDK's S3 client would double the bundle.
const s3 = s3Reader(TRANSFERS);
const config = configFromEnv(['ARTIFACT_BUCKET']);

/** The function's work, called through lambdaHandler. */
async function handle(event: { deployment?: Deployment }): ReturnType<typeof archiveCommit> {
  const deployment = event?.deployment;
  if (!deployment || typeof deployment.repository !== 'string' || typeof deployment.commitId !== 'string') {
    throw new InvalidInputError(
      'ArchiveSource expects {"deployment": {"repository", "commitId", ...}} as Prepare returns it (see events/archive-source.json)',
    );
  }
  const started = Date.now();
  let reported = 0;
  const result = await archiveCommit({
    codecommit,
    s3,
    bucket: config().ARTIFACT_BUCKET,
    repository: deployment.repository,
    commitId: deployment.commitId,
    layout: readSettings(),
    // A progress line every 10 % of a large tree, so a slow archive shows where it is in the function's log.
    onProgress: ({ files, totalFiles, zipBytes }) => {
      if (totalFiles < 1000 || (files < totalFiles && files - reported < totalFiles / 10)) return;
      reported = files;
      logger.info(`archived ${files}/${totalFiles} files, ${(zipBytes / 1048576).toFixed(1)} MiB zipped`);
    },
  });
  for (const warning of result.warnings) logger.warn(warning);
  logger.info(
    `${result.reused ? 'reused' : 'wrote'} s3://${result.bucket}/${result.key} (${result.files} files, ${result.bytes} bytes, sha256 ${result.sha256}) in ${Date.now() - started} ms`,
  );
  // The Source stage: from the execution's start (Prepare) to the archive in S3.
  publishStageDuration(scopeFromEnv(deployment), 'Source', secondsSince(deployment.startedAt));
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
