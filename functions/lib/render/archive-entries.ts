/**
 * Reads a few named files of a zip artifact in S3 (the source archive, the build output) without downloading it:
 * one GetObject with a suffix Range returns the object's size and its end, where the central directory is; then
 * only the named entries' bytes are fetched with more ranged GetObjects and inflated, each checked against the size
 * and CRC its header states (zip/read.ts). Reads after the first name the object's version, or its ETag (If-Match)
 * when it has none, so an object replaced while it is read fails rather than mixing two archives.
 * Range requests: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax
 * (Range, If-Match) and https://www.rfc-editor.org/rfc/rfc9110#section-14.1.2 (a suffix range `bytes=-N`).
 */
import type { ArtifactLocation } from '../build/artifacts';
import { asTransient, InvalidInputError, TransientAwsError } from '../shared/errors';
import { getObject, type S3ObjectRead, type S3Reader } from '../shared/s3-read';
import type { RangedObject, RangeStats } from '../zip/range-reader';
import { entryData, openRangedZip } from '../zip/read';

/** The largest file Render reads from an artifact: taskdef.json, the AppSpec and the image files are small text. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** The first read: the object's last bytes, which hold the central directory of an archive of a few hundred files. */
export const TAIL_BYTES = 16 * 1024;

/** No ranged read asks for more than a file's compressed bytes and a local header; a larger answer is refused. */
const MAX_RANGE_BYTES = 2 * (MAX_FILE_BYTES + 64 * 1024);

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
  s3: S3Reader,
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
async function rangedObject(s3: S3Reader, location: ArtifactLocation, where: string): Promise<RangedObject> {
  const get = async (range: string, ifMatch?: string): Promise<S3ObjectRead | undefined> => {
    try {
      return await getObject(s3, location, {
        range,
        ...(ifMatch ? { ifMatch } : {}),
        maxBytes: MAX_RANGE_BYTES,
      });
    } catch (error) {
      const code = (error as { name?: string }).name;
      if (code === 'InvalidRange') return undefined;
      // Another write replaced an unversioned object between two reads: the state's retry reads it afresh.
      if (code === 'PreconditionFailed') {
        throw new TransientAwsError(`${where} changed while it was read (If-Match ${ifMatch})`, {
          cause: error,
        });
      }
      throw asTransient(`GetObject ${where} (Range ${range})`, error);
    }
  };
  // S3 answers a suffix range longer than the object with the whole object; an empty object, with InvalidRange.
  const first = await get(`bytes=-${TAIL_BYTES}`);
  const tail = first?.body ?? Buffer.alloc(0);
  const size = first ? totalSize(first.contentRange, tail.length) : 0;
  const ifMatch = location.versionId ? undefined : first?.etag;
  return {
    size,
    tail,
    fetch: async (start, end) => {
      const out = await get(`bytes=${start}-${end - 1}`, ifMatch);
      if (!out) throw new InvalidInputError(`${where}: bytes ${start}-${end - 1} are past its end`);
      return out.body;
    },
  };
}

/** `bytes 0-99/1234` → 1234; without a Content-Range the body was the whole object. */
function totalSize(contentRange: string | undefined, bodyLength: number): number {
  const match = /\/(\d+)$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : bodyLength;
}

/** A zip reader's InvalidInputError, prefixed with the artifact it is about; anything else as it is. */
function inWhere(where: string, error: unknown): unknown {
  if (!(error instanceof InvalidInputError)) return error;
  return new InvalidInputError(`${where}: ${error.message}`, { cause: error });
}
