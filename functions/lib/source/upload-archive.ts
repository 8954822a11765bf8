/**
 * The S3 side of ArchiveSource: streams the zip into the artifact bucket while it is written (one
 * PutObject, or a multipart upload) and, for a multipart upload, copies the object onto itself to add
 * its sha256, multipart again above CopyObject's 5 GiB.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { asTransient } from '../shared/errors';
import type { ZipSummary, ZipWriter } from '../zip/write';
import { mapLimit } from './map-limit';

const GiB = 1024 ** 3;
const ZIP = 'application/zip';

/** Upload knobs; the defaults suit Lambda and S3. */
export interface UploadTuning {
  /** Multipart part size (default 8 MiB); smaller archives go up in one PutObject. */
  partSize?: number;
  /** Parts uploaded at once (default 4). */
  queueSize?: number;
  /** Largest object CopyObject can copy (5 GiB); lowered by tests to exercise the multipart copy. */
  copyLimit?: number;
}

/** Where the archive goes, and the metadata it carries from the start. */
export interface ArchiveTarget {
  bucket: string;
  key: string;
  metadata: Record<string, string>;
}

/**
 * Uploads the zip as it is produced; returns the final object's version id. An archive smaller than one
 * part goes up in one PutObject with all its metadata. A larger one is a multipart upload (its metadata
 * is fixed at creation, before the sha256 is known), then copied onto itself with the sha256 added: the
 * reuse check needs the sha256.
 */
export async function uploadArchive(
  s3: S3Client,
  zip: ZipWriter,
  target: ArchiveTarget,
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

async function putWhole(s3: S3Client, target: ArchiveTarget, Body: Buffer, sha256: string) {
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
  target: ArchiveTarget,
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
