/**
 * Reads a few named files of a zip artifact in S3 (the source archive, the build output) without downloading it:
 * one GetObject with a suffix Range returns the object's size and its end, where the central directory is; then
 * only the named entries' bytes are fetched with more ranged GetObjects and inflated, each checked against the size
 * and CRC its header states (zip/read.ts). Reads after the first name the object's version, or its ETag (If-Match)
 * when it has none, so an object replaced while it is read fails rather than mixing two archives.
 * Range requests: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 * (Range, If-Match) and https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2 (a suffix range `bytes=-N`).
 */
import { GetObjectCommand, type GetObjectCommandInput, type S3Client } from '@aws-sdk/client-s3';
import type { ArtifactLocation } from '../build/artifacts';
import { asTransient, InvalidInputError, TransientAwsError } from '../shared/errors';
import type { RangedObject, RangeStats } from '../zip/range-reader';
import { entryData, openRangedZip } from '../zip/read';

/** The largest file Render reads from an artifact: taskdef.json, the AppSpec and the image files are small text. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** The first read: the object's last bytes, which hold the central directory of an archive of a few hundred files. */
export const TAIL_BYTES = 16 * 1024;

/** Deflate adds at most a few bytes per 16 KiB block: more compressed bytes than this are not a small file's. */
const COMPRESSED_SLACK = 64 * 1024;

/** The files read, and what reading them fetched. */
export interface ArchiveFiles {
  /** Each wanted path that is a file of the archive → its content. */
  files: Map<string, Buffer>;
  /** The object's size; the GetObject requests and bytes fetched, the first (its end) included. */
  size: number;
  fetched: RangeStats;
}

/** Reads the `wanted` files of a zip artifact; `label` names it in errors (e.g. "the build output artifact"). */
export async function readArchiveFiles(
  s3: S3Client,
  location: ArtifactLocation,
  wanted: Iterable<string>,
  label: string,
  limits: { maxFileBytes?: number } = {},
): Promise<ArchiveFiles> {
  const where = `${label} s3://${location.bucket}/${location.key}${location.versionId ? ` (version ${location.versionId})` : ''}`;
  const object = await rangedObject(s3, location, where);
  const paths = new Set(wanted);
  const maxFileBytes = limits.maxFileBytes ?? MAX_FILE_BYTES;
  let opened: Awaited<ReturnType<typeof openRangedZip>>;
  try {
    opened = await openRangedZip(object);
  } catch (error) {
    throw inWhere(where, error);
  }
  const { zipfile, entries, stats } = opened;
  try {
    const files = new Map<string, Buffer>();
    // As an extraction would, a later entry of the same path wins.
    for (const entry of entries) {
      if (entry.kind !== 'file' || !paths.has(entry.path)) continue;
      const { compressedSize } = entry.entry;
      if (entry.size > maxFileBytes || compressedSize > maxFileBytes + COMPRESSED_SLACK) {
        throw new InvalidInputError(
          `${where}: ${entry.path} states ${Math.max(entry.size, compressedSize)} bytes, over the ${maxFileBytes} ` +
            'bytes Render reads for one file (task definition template, AppSpec, imageDetail.json): check that ' +
            'TaskDefinitionTemplatePath, AppSpecTemplatePath and ImagePlaceholders name those files',
        );
      }
      files.set(
        entry.path,
        await entryData(zipfile, entry).catch((error) => Promise.reject(inWhere(where, error))),
      );
    }
    return {
      files,
      size: object.size,
      fetched: { requests: stats.requests + 1, bytes: stats.bytes + object.tail.length },
    };
  } finally {
    zipfile.close();
  }
}

/** The object's size and end (one GetObject), and a ranged fetch of the same version of it. */
async function rangedObject(s3: S3Client, location: ArtifactLocation, where: string): Promise<RangedObject> {
  const base: GetObjectCommandInput = {
    Bucket: location.bucket,
    Key: location.key,
    ...(location.versionId ? { VersionId: location.versionId } : {}),
  };
  const get = async (input: GetObjectCommandInput, range: string) => {
    try {
      return await s3.send(new GetObjectCommand({ ...input, Range: range }));
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code === 'InvalidRange') return undefined;
      // Another write replaced an unversioned object between two reads: the state's retry reads it afresh.
      if (code === 'PreconditionFailed') {
        throw new TransientAwsError(`${where} changed while it was read (If-Match ${input.IfMatch})`, {
          cause: error,
        });
      }
      throw asTransient(`GetObject ${where} (Range ${range})`, error);
    }
  };
  // S3 answers a suffix range longer than the object with the whole object; an empty object, with InvalidRange.
  const first = await get(base, `bytes=-${TAIL_BYTES}`);
  const tail = first ? await bodyBytes(first.Body, where) : Buffer.alloc(0);
  const size = first ? totalSize(first.ContentRange, tail.length) : 0;
  const pinned: GetObjectCommandInput =
    location.versionId || !first?.ETag ? base : { ...base, IfMatch: first.ETag };
  return {
    size,
    tail,
    fetch: async (start, end) => {
      const out = await get(pinned, `bytes=${start}-${end - 1}`);
      if (!out) throw new InvalidInputError(`${where}: bytes ${start}-${end - 1} are past its end`);
      return bodyBytes(out.Body, where);
    },
  };
}

/** `bytes 0-99/1234` → 1234; without a Content-Range the body was the whole object. */
function totalSize(contentRange: string | undefined, bodyLength: number): number {
  const match = /\/(\d+)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : bodyLength;
}

async function bodyBytes(body: unknown, where: string): Promise<Buffer> {
  const readable = body as { transformToByteArray?: () => Promise<Uint8Array> } | undefined;
  if (!readable?.transformToByteArray) throw new InvalidInputError(`${where} has no body`);
  return Buffer.from(await readable.transformToByteArray());
}

/** A zip reader's InvalidInputError, prefixed with the artifact it is about; anything else as it is. */
function inWhere(where: string, error: unknown): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  return new InvalidInputError(`${where}: ${error.message}`, { cause: error });
}
