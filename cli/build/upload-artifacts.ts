/**
 * UPLOAD_ARTIFACTS of a local build: the files the buildspec's artifacts section selects, logged as CodeBuild
 * lists them, then where they go: copied under a folder (`switchyard run-build --artifacts DIR`), or put in S3 at
 * the key CodeBuild uses, zipped or file by file, as the project's artifacts settings say.
 */
import { describeError, InvalidInputError } from '../../functions/lib/shared/errors';
import { type ArtifactFile, selectArtifactFiles } from './artifact-selection';
import {
  ArtifactUpload,
  artifactKey,
  copyArtifactFiles,
  listOutside,
  listTree,
  zipEntries,
} from './artifacts';
import type { BuildspecArtifacts } from './buildspec-schema';
import type { Interrupt } from './interrupt';
import type { ShellSession } from './shell-session';
import type { BuildArtifact, PhaseContext, RunBuildOptions } from './types';

/** What the phase needs of the build it belongs to. */
export interface ArtifactJob {
  options: RunBuildOptions;
  /** CODEBUILD_SRC_DIR. */
  srcDir: string;
  build: { id: string; arn: string };
  /** Expands the buildspec's artifacts.name; absent when the build never got a shell. */
  session: ShellSession | undefined;
  interrupt: Interrupt;
  now: () => Date;
  log: (text: string) => void;
}

/** The artifact's files; undefined when the build makes no artifact (no destination, or no artifacts section). */
export async function selectArtifact(
  job: ArtifactJob,
  spec: BuildspecArtifacts | undefined,
): Promise<ArtifactFile[] | undefined> {
  const { options } = job;
  if (!(options.artifacts && options.s3) && options.artifactsDirectory === undefined) return undefined;
  if (!spec) {
    job.log('No artifacts section in the buildspec: nothing to upload');
    return undefined;
  }
  const base = spec.baseDirectory ?? '.';
  if (spec.baseDirectory !== undefined) job.log(`Expanding base directory path: ${base}`);
  job.log('Assembling file list');
  job.log(`Expanding ${base}`);
  job.log(`Expanding file paths for base directory ${base}`);
  const tree = [
    ...(await listTree(job.srcDir, spec.enableSymlinks)),
    ...(await listOutside(spec.files, spec.enableSymlinks)),
  ];
  const files = selectArtifactFiles(tree, spec);
  job.log(`Found ${files.length} file(s)`);
  return files;
}

/**
 * Copies the selected files to the folder, or puts them in S3; returns the artifact in S3 (null for a folder),
 * or the phase's failure context when S3 refused it. An interrupt during the upload is thrown as Interrupted.
 */
export async function deliverArtifact(
  job: ArtifactJob,
  spec: BuildspecArtifacts,
  files: ArtifactFile[],
): Promise<{ artifact: BuildArtifact | null } | PhaseContext> {
  const { options } = job;
  const settings = options.artifacts;
  if (!settings || !options.s3) {
    const directory = options.artifactsDirectory;
    await copyArtifactFiles(job.srcDir, files, directory ?? '', spec.enableSymlinks);
    job.log(`Copied the artifact's files to ${directory}`);
    return { artifact: null };
  }
  const buildspecName =
    settings.overrideArtifactName && spec.name !== undefined && job.session
      ? await job.session.evaluate(spec.name)
      : undefined;
  const key = artifactKey(settings, { id: job.build.id, projectName: options.projectName, buildspecName });
  const upload = new ArtifactUpload(options.s3, settings.bucket, job.build.arn, job.interrupt.signal);
  let artifact: BuildArtifact;
  try {
    artifact =
      settings.packaging === 'ZIP'
        ? await upload.zip(key, await zipEntries(job.srcDir, files, spec.enableSymlinks), job.now())
        : await upload.files(key, job.srcDir, files);
  } catch (error) {
    job.interrupt.throwIfFired();
    if (error instanceof InvalidInputError) throw error;
    return { statusCode: 'CLIENT_ERROR', message: `Error uploading artifacts: ${describeError(error)}` };
  }
  job.log(`Uploaded the artifact to s3://${settings.bucket}/${key}`);
  return { artifact };
}
