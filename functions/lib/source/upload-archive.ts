/**
 * The S3 side of ArchiveSource: streams the zip into the artifact bucket while it is written (one
 * PutObject, or a multipart upload of `queueSize` parts at a time, aborted if anything fails) and, for a
 * multipart upload, copies the object onto itself to add its sha256, multipart again above CopyObject's 5 GiB.
 * The calls are s3-write.ts's signed requests (no SDK client: see docs/ARCHITECTURE.md).
 */
import { asTransient } from '../shared/errors';
import type { ZipSummary, ZipWriter } from '../zip/write';
import { mapLimit } from './map-limit';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  copyObject,
  copySource,
  createMultipartUpload,
  type ObjectHeaders,
  putObject,
  type S3Writer,
  type UploadedPart,
  uploadPart,
  uploadPartCopy,
} from './s3-write';

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
  s3: S3Writer,
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
  const object = { bucket: target.bucket, key: target.key };
  const headers = { contentType: ZIP, metadata: target.metadata };
  const uploaded = await multipartUpload(s3, object, headers, prepend(head, chunks), {
    partSize,
    queueSize: tuning.queueSize ?? 4,
  }).catch((error: unknown) => {
    throw s3Error(error, `multipart upload to s3://${target.bucket}/${target.key}`);
  });
  return addSha256(s3, target, uploaded, zip.summary(), tuning.copyLimit ?? 5 * GiB);
}

/**
 * A multipart upload of `body` cut into parts of exactly `partSize` (the last one shorter), at most `queueSize`
 * uploading at once; any failure, the body's included, aborts it once the parts in flight have settled.
 */
async function multipartUpload(
  s3: S3Writer,
  object: { bucket: string; key: string },
  headers: ObjectHeaders,
  body: AsyncIterable<Buffer>,
  limits: { partSize: number; queueSize: number },
): Promise<string | undefined> {
  const uploadId = await createMultipartUpload(s3, object, headers);
  const parts: UploadedPart[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let partCount = 0;
  const upload = async (data: Buffer) => {
    partCount += 1;
    const partNumber = partCount;
    const sending: Promise<void> = uploadPart(s3, object, { uploadId, partNumber, body: data })
      .then((etag) => {
        parts.push({ partNumber, etag });
      })
      .catch((error: unknown) => {
        failure ??= { error };
      })
      .finally(() => inFlight.delete(sending));
    inFlight.add(sending);
    if (inFlight.size >= limits.queueSize) await Promise.race(inFlight);
    if (failure) throw failure.error;
  };
  try {
    let pending: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      pending.push(chunk);
      size += chunk.length;
      while (size >= limits.partSize) {
        const joined = Buffer.concat(pending);
        await upload(joined.subarray(0, limits.partSize));
        pending = [joined.subarray(limits.partSize)];
        size = joined.length - limits.partSize;
      }
    }
    if (size > 0 || partCount === 0) await upload(Buffer.concat(pending));
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    return await completeMultipartUpload(s3, object, uploadId, parts);
  } catch (error) {
    // No part may land after the abort: it would be kept (and billed) as part of nothing.
    await Promise.all(inFlight);
    await abortMultipartUpload(s3, object, uploadId).catch(() => undefined);
    throw error;
  }
}

async function* prepend(head: Buffer[], rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

async function putWhole(s3: S3Writer, target: ArchiveTarget, body: Buffer, sha256: string) {
  const headers = { contentType: ZIP, metadata: { ...target.metadata, sha256 } };
  return putObject(s3, target, body, headers).catch((error: unknown) => {
    throw s3Error(error, `PutObject s3://${target.bucket}/${target.key}`);
  });
}

/** Replaces the object's metadata by copying it onto itself (multipart copy above CopyObject's 5 GiB). */
async function addSha256(
  s3: S3Writer,
  target: ArchiveTarget,
  versionId: string | undefined,
  zip: ZipSummary,
  copyLimit: number,
) {
  const object = { bucket: target.bucket, key: target.key };
  const source = copySource({ ...object, versionId: versionId ?? null });
  // A full-object checksum for the copy (copyObject asks for CRC32): the multipart one is per part and readers
  // cannot check it.
  const headers = { contentType: ZIP, metadata: { ...target.metadata, sha256: zip.sha256 } };
  try {
    if (zip.bytes <= copyLimit) return await copyObject(s3, object, source, headers);
    return await multipartCopy(s3, object, headers, source, zip.bytes, copyLimit);
  } catch (error) {
    throw s3Error(error, `copying s3://${target.bucket}/${target.key} onto itself to add its sha256`);
  }
}

async function multipartCopy(
  s3: S3Writer,
  object: { bucket: string; key: string },
  headers: ObjectHeaders,
  source: string,
  bytes: number,
  partSize: number,
): Promise<string | undefined> {
  const uploadId = await createMultipartUpload(s3, object, headers);
  try {
    const ranges = Array.from({ length: Math.ceil(bytes / partSize) }, (_, i) => i);
    const parts = await mapLimit(ranges, 4, async (i) => {
      const range = `bytes=${i * partSize}-${Math.min(bytes, (i + 1) * partSize) - 1}`;
      const etag = await uploadPartCopy(s3, object, { uploadId, partNumber: i + 1, source, range });
      return { partNumber: i + 1, etag };
    });
    return await completeMultipartUpload(s3, object, uploadId, parts);
  } catch (error) {
    await abortMultipartUpload(s3, object, uploadId).catch(() => undefined);
    throw error;
  }
}

/** Transient S3 failures become TransientAwsError (the machine retries the state); others keep their name. */
function s3Error(error: unknown, what: string): unknown {
  return asTransient(`S3 ${what}`, error);
}
