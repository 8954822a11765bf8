/**
 * The ArchiveSource core: reads a commit's tree from CodeCommit, zips it deterministically as it
 * streams, and uploads it to S3 under a key derived from repository and commit (reused if present).
 */

import { Readable } from 'node:stream';
import type { CodeCommitClient } from '@aws-sdk/client-codecommit';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  type HeadObjectOutput,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { asTransient, describeError, SourceError } from '../shared/errors';
import { type ZipSummary, ZipWriter } from '../zip/write';
import {
  listTree,
  mapLimit,
  type ReadOptions,
  type RetryOptions,
  readBlobs,
  readCommit,
  type Tree,
} from './codecommit-tree';

/** What to archive, where to, and the clients to use. */
export interface ArchiveInput {
  codecommit: CodeCommitClient;
  s3: S3Client;
  bucket: string;
  repository: string;
  commitId: string;
  /** Parallel CodeCommit calls: GetFolder walk and GetBlob prefetch window (default 8). */
  concurrency?: number;
  onProgress?: (progress: ArchiveProgress) => void;
  retry?: RetryOptions;
  tuning?: UploadTuning;
}

/** Upload knobs; the defaults suit Lambda and S3. */
export interface UploadTuning {
  /** Multipart part size (default 8 MiB); smaller archives go up in one PutObject. */
  partSize?: number;
  /** Parts uploaded at once (default 4). */
  queueSize?: number;
  /** Largest object CopyObject can copy (5 GiB); lowered by tests to exercise the multipart copy. */
  copyLimit?: number;
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

const GiB = 1024 ** 3;
const ZIP = 'application/zip';
const APPSPECS = ['appspec.yaml', 'appspec.yml', 'appspec.json'];

/** S3 key of the source archive of a commit. */
export function artifactKey(repository: string, commitId: string): string {
  return `source/${repository}/${commitId}.zip`;
}

/** Archives a commit to S3, or returns the archive already there for the same commit. */
export async function archiveCommit(input: ArchiveInput): Promise<ArchiveResult> {
  const read: ReadOptions = { repository: input.repository, commitId: input.commitId, retry: input.retry };
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
  checkLayout(tree, input.repository, commit.id);
  const metadata = { 'commit-id': commit.id, files: String(tree.entries.length) };
  const zip = new ZipWriter({ mtime: commit.date, utcOffsetMinutes: commit.utcOffsetMinutes });
  const uploaded = await runBoth(
    zip,
    () => writeZip(zip, input, tree, { ...read, commitId: commit.id, window: input.concurrency }),
    () => upload(input.s3, zip, { bucket: input.bucket, key, metadata }, input.tuning ?? {}),
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

async function head(s3: S3Client, bucket: string, key: string): Promise<HeadObjectOutput | undefined> {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (error instanceof Error && (error.name === 'NotFound' || status === 404)) return undefined;
    throw s3Error(error, `HeadObject s3://${bucket}/${key}`);
  }
}

/** An object is reused only when its metadata names the same commit and carries the final sha256. */
function reuse(head: HeadObjectOutput, commitId: string) {
  const meta = head.Metadata ?? {};
  const sha256 = meta.sha256;
  if (meta['commit-id'] !== commitId || sha256 === undefined || meta.files === undefined) return undefined;
  return {
    versionId: head.VersionId ?? null,
    sha256,
    files: Number(meta.files),
    bytes: head.ContentLength ?? 0,
  };
}

/** Fails before any upload when the repository lacks a file the pipeline reads. */
function checkLayout(tree: Tree, repository: string, commitId: string): void {
  const root = new Set(tree.root);
  const missing = [
    ...['buildspec.yml', 'taskdef.json'].filter((name) => !root.has(name)),
    ...(APPSPECS.some((name) => root.has(name))
      ? []
      : ['an appspec (appspec.yaml, appspec.yml or appspec.json)']),
  ];
  if (missing.length === 0) return;
  const shown =
    tree.root.slice(0, 40).join(', ') + (tree.root.length > 40 ? `, … (${tree.root.length} in all)` : '');
  throw new SourceError(
    `repository "${repository}" at commit ${commitId} lacks ${missing.join(', ')} at its root; ` +
      `the root holds: ${shown || '(nothing)'}; required: buildspec.yml, taskdef.json and one of ${APPSPECS.join(', ')}`,
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

interface Target {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
}

/**
 * Uploads the zip as it is produced. An archive smaller than one part goes up in one PutObject with
 * all its metadata. A larger one is a multipart upload (its metadata is fixed at creation, before the
 * sha256 is known), then copied onto itself with the sha256 added: the reuse check needs the sha256.
 */
async function upload(
  s3: S3Client,
  zip: ZipWriter,
  target: Target,
  tuning: UploadTuning,
): Promise<string | undefined> {
  const partSize = tuning.partSize ?? 8 * 1024 * 1024;
  const chunks: AsyncIterator<Buffer> = zip.stream[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  for (let size = 0; size < partSize; ) {
    const next = await chunks.next();
    if (next.done) return putWhole(s3, target, Buffer.concat(head), zip.summary().sha256);
    head.push(next.value);
    size += next.value.length;
  }
  const params = {
    Bucket: target.bucket,
    Key: target.key,
    Body: Readable.from(prepend(head, chunks), { objectMode: false }),
    Metadata: target.metadata,
    ContentType: ZIP,
  };
  const uploaded = await new Upload({ client: s3, params, partSize, queueSize: tuning.queueSize ?? 4 })
    .done()
    .catch((error: unknown) => {
      throw s3Error(error, `multipart upload to s3://${target.bucket}/${target.key}`);
    });
  return addSha256(s3, target, uploaded.VersionId, zip.summary(), tuning.copyLimit ?? 5 * GiB);
}

async function* prepend(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

async function putWhole(s3: S3Client, target: Target, Body: Buffer, sha256: string) {
  const Metadata = { ...target.metadata, sha256 };
  const put = new PutObjectCommand({
    Bucket: target.bucket,
    Key: target.key,
    Body,
    Metadata,
    ContentType: ZIP,
  });
  const output = await s3.send(put).catch((error: unknown) => {
    throw s3Error(error, `PutObject s3://${target.bucket}/${target.key}`);
  });
  return output.VersionId;
}

/** Replaces the object's metadata by copying it onto itself (multipart copy above CopyObject's 5 GiB). */
async function addSha256(
  s3: S3Client,
  target: Target,
  versionId: string | undefined,
  zip: ZipSummary,
  copyLimit: number,
) {
  const encodedKey = target.key.split('/').map(encodeURIComponent).join('/');
  const source = `${target.bucket}/${encodedKey}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ''}`;
  const common = { Bucket: target.bucket, Key: target.key, ContentType: ZIP };
  const metadata = { ...target.metadata, sha256: zip.sha256 };
  try {
    if (zip.bytes <= copyLimit) {
      const copy = new CopyObjectCommand({
        ...common,
        CopySource: source,
        Metadata: metadata,
        MetadataDirective: 'REPLACE',
        // A full-object checksum for the copy: the multipart one is per part and readers cannot check it.
        ChecksumAlgorithm: 'CRC32',
      });
      return (await s3.send(copy)).VersionId;
    }
    return await multipartCopy(s3, { ...common, Metadata: metadata }, source, zip.bytes, copyLimit);
  } catch (error) {
    throw s3Error(error, `copying s3://${target.bucket}/${target.key} onto itself to add its sha256`);
  }
}

async function multipartCopy(
  s3: S3Client,
  params: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
  source: string,
  bytes: number,
  partSize: number,
): Promise<string | undefined> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand(params));
  const where = { Bucket: params.Bucket, Key: params.Key, UploadId };
  try {
    const ranges = Array.from({ length: Math.ceil(bytes / partSize) }, (_, i) => i);
    const parts = await mapLimit(ranges, 4, async (i) => {
      const range = `bytes=${i * partSize}-${Math.min(bytes, (i + 1) * partSize) - 1}`;
      const copy = new UploadPartCopyCommand({
        ...where,
        PartNumber: i + 1,
        CopySource: source,
        CopySourceRange: range,
      });
      return { PartNumber: i + 1, ETag: (await s3.send(copy)).CopyPartResult?.ETag };
    });
    const complete = new CompleteMultipartUploadCommand({ ...where, MultipartUpload: { Parts: parts } });
    return (await s3.send(complete)).VersionId;
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand(where)).catch(() => undefined);
    throw error;
  }
}

/** Transient S3 failures become TransientAwsError (the machine retries the state); others keep their name. */
function s3Error(error: unknown, what: string): unknown {
  return asTransient(`S3 ${what}`, error);
}
