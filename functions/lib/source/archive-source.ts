/**
 * The ArchiveSource core: reads a commit's tree from CodeCommit, zips it deterministically as it
 * streams, and uploads it to S3 under a key derived from repository and commit (reused if present).
 */

import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { asTransient, describeError, SourceError } from '../shared/errors';
import { headObject, type S3ObjectRead } from '../shared/s3-read';
import { type RepositorySettings, SETTINGS } from '../shared/settings';
import { type ZipSummary, ZipWriter } from '../zip/write';
import { listTree, type ReadOptions, readBlobs, readCommit, type Tree } from './codecommit-tree';
import type { S3Writer } from './s3-write';
import { type UploadTuning, uploadArchive } from './upload-archive';

/** What to archive, where to, and the clients to use. */
export interface ArchiveInput {
  codecommit: CodeCommitClient;
  /** shared/s3-read.ts's sender (s3Reader(TRANSFERS)): HeadObject and s3-write.ts's writes. */
  s3: S3Writer;
  bucket: string;
  repository: string;
  commitId: string;
  /** Parallel CodeCommit calls: GetFolder walk and GetBlob prefetch window (default 8). */
  concurrency?: number;
  onProgress?: (progress: ArchiveProgress) => void;
  tuning?: UploadTuning;
  /** Where the repository settings say the pipeline's files are; CodePipeline's defaults when absent. */
  layout?: Pick<RepositorySettings, 'buildspecPath' | 'taskDefinition' | 'appSpec'>;
}

/** Progress after each file is admitted to the archive. */
export interface ArchiveProgress {
  files: number;
  totalFiles: number;
  zipBytes: number;
}

/** The artifact, as later states use it. */
export interface ArchiveResult {
  bucket: string;
  key: string;
  versionId: string | null;
  sha256: string;
  files: number;
  bytes: number;
  commit: { id: string; author: string; message: string; timestamp: string };
  reused: boolean;
  warnings: string[];
}

const APPSPECS = ['appspec.yaml', 'appspec.yml', 'appspec.json'];

/** S3 key of the source archive of a commit. */
export function artifactKey(repository: string, commitId: string): string {
  return `source/${repository}/${commitId}.zip`;
}

/** Archives a commit to S3, or returns the archive already there for the same commit. */
export async function archiveCommit(input: ArchiveInput): Promise<ArchiveResult> {
  const read: ReadOptions = { repository: input.repository, commitId: input.commitId };
  const commit = await readCommit(input.codecommit, read);
  const key = artifactKey(input.repository, commit.id);
  const { id, author, message, timestamp } = commit;
  const base = { bucket: input.bucket, key, commit: { id, author, message, timestamp } };
  const existing = await head(input.s3, input.bucket, key);
  const reusable = existing && reuse(existing, commit.id);
  if (reusable) return { ...base, ...reusable, reused: true, warnings: [] };

  const tree = await listTree(input.codecommit, {
    ...read,
    commitId: commit.id,
    concurrency: input.concurrency,
  });
  checkLayout(tree, input.repository, commit.id, input.layout);
  const metadata = { 'commit-id': commit.id, files: String(tree.entries.length) };
  const zip = new ZipWriter({ mtime: commit.date, utcOffsetMinutes: commit.utcOffsetMinutes });
  const uploaded = await runBoth(
    zip,
    () => writeZip(zip, input, tree, { ...read, commitId: commit.id, window: input.concurrency }),
    () => uploadArchive(input.s3, zip, { bucket: input.bucket, key, metadata }, input.tuning ?? {}),
  );
  const summary = zip.summary();
  return {
    ...base,
    versionId: uploaded ?? null,
    sha256: summary.sha256,
    files: tree.entries.length,
    bytes: summary.bytes,
    reused: false,
    warnings: tree.submodules.map(submoduleWarning),
  };
}

async function head(s3: S3Writer, bucket: string, key: string): Promise<S3ObjectRead | undefined> {
  try {
    return await headObject(s3, { bucket, key });
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof Error && (error.name === 'NotFound' || status === 404)) return undefined;
    // Transient S3 failures become TransientAwsError (the machine retries the state); others keep their name.
    throw asTransient(`S3 HeadObject s3://${bucket}/${key}`, error);
  }
}

/** An object is reused only when its metadata names the same commit and carries the final sha256. */
function reuse(head: S3ObjectRead, commitId: string) {
  const meta = head.metadata;
  const sha256 = meta.sha256;
  if (meta['commit-id'] !== commitId || sha256 === undefined || meta.files === undefined) return undefined;
  return {
    versionId: head.versionId ?? null,
    sha256,
    files: Number(meta.files),
    bytes: head.contentLength,
  };
}

/** The files the pipeline reads from the commit: each one of its alternatives, and the setting that names it. */
function requiredFiles(layout: ArchiveInput['layout']): Array<{ names: string[]; setting: string }> {
  const buildspec = layout?.buildspecPath ?? SETTINGS.buildspecPath.fallback;
  const required: Array<{ names: string[]; setting: string }> = [
    { names: [buildspec], setting: SETTINGS.buildspecPath.parameter },
  ];
  const taskdef = layout?.taskDefinition ?? { path: SETTINGS.taskDefinitionPath.fallback, origin: 'SOURCE' };
  if (taskdef.origin === 'SOURCE')
    required.push({ names: [taskdef.path], setting: SETTINGS.taskDefinitionPath.parameter });
  const appspec = layout?.appSpec ?? { path: SETTINGS.appSpecPath.fallback, origin: 'SOURCE' };
  if (appspec.origin === 'SOURCE') {
    // CodeDeploy users keep appspec.yaml, .yml or .json: the default path accepts each (as Render does).
    const names = appspec.path === SETTINGS.appSpecPath.fallback ? APPSPECS : [appspec.path];
    required.push({ names, setting: SETTINGS.appSpecPath.parameter });
  }
  return required;
}

/** Fails before any upload when the commit lacks a file the pipeline reads from it. */
function checkLayout(tree: Tree, repository: string, commitId: string, layout: ArchiveInput['layout']): void {
  const paths = new Set(tree.entries.map((entry) => entry.path));
  const missing = requiredFiles(layout).filter(({ names }) => !names.some((name) => paths.has(name)));
  if (missing.length === 0) return;
  const shown =
    tree.root.slice(0, 40).join(', ') + (tree.root.length > 40 ? `, … (${tree.root.length} in all)` : '');
  const lacks = missing.map(({ names, setting }) => `${names.join(' or ')} (stack parameter ${setting})`);
  throw new SourceError(
    `repository "${repository}" at commit ${commitId} lacks ${lacks.join(', ')}; the root holds: ${shown || '(nothing)'}. ` +
      'Commit the file, or set the stack parameter to where it is (a file the build writes: its *Artifact parameter to BUILD)',
  );
}

function submoduleWarning(path: string): string {
  return (
    `submodule "${path}" is not in the archive: the CodeCommit API cannot read another repository's tree ` +
    '(the CodePipeline CodeCommit source action leaves submodules out too); fetch it in the buildspec if needed'
  );
}

async function writeZip(
  zip: ZipWriter,
  input: ArchiveInput,
  tree: Tree,
  read: ReadOptions & { window?: number },
): Promise<ZipSummary> {
  let files = 0;
  for await (const { entry, data } of readBlobs(input.codecommit, tree.entries, read)) {
    await zip.add({ path: entry.path, mode: entry.mode, data });
    files += 1;
    input.onProgress?.({ files, totalFiles: tree.entries.length, zipBytes: zip.bytes });
  }
  return zip.finish();
}

/** Runs producer and consumer together; the first failure destroys the stream (stopping the other) and is thrown once both settled. */
async function runBoth<T>(
  zip: ZipWriter,
  produce: () => Promise<unknown>,
  consume: () => Promise<T>,
): Promise<T> {
  let first: { error: unknown } | undefined;
  const stop = (error: unknown): never => {
    first ??= { error };
    zip.stream.destroy(error instanceof Error ? error : new Error(describeError(error)));
    throw error;
  };
  const [, consumed] = await Promise.allSettled([produce().catch(stop), consume().catch(stop)]);
  if (first !== undefined) throw first.error;
  if (consumed.status === 'rejected') throw consumed.reason;
  return consumed.value;
}
