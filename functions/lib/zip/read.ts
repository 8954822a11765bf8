/**
 * Reads zip archives with yauzl (no `unzip` binary): stored and deflated entries, UTF-8 and CP437 names,
 * ZIP64 sizes and offsets, Unix modes from the external attributes (executables, symbolic links).
 * Hostile archives are refused before anything is inflated when their paths leave the root or enter a .git
 * directory (entry-path.ts) or their entries state more bytes in all than the caller allows, and while
 * inflating as soon as an entry passes the size its header states, so a zip bomb fails before memory grows.
 * yauzl checks neither CRCs nor that limit; both are checked here. An archive in S3 can also be opened by byte
 * ranges (openRangedZip, range-reader.ts), so that only its central directory and the entries read are fetched.
 */
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import {
  type Entry,
  fromBufferPromise,
  fromRandomAccessReaderPromise,
  getFileNameLowLevel,
  type ZipFile,
} from 'yauzl';
import { InvalidInputError, SwitchyardError } from '../shared/errors';
import { entryPathProblem } from './entry-path';
import { type RangedObject, RangeReader } from './range-reader';

/** What an entry is once extracted. */
export type UnzippedKind = 'file' | 'directory' | 'symlink';

/** One entry of an archive. */
export interface UnzippedEntry {
  path: string;
  kind: UnzippedKind;
  /** Unix mode with its type bits (0o100755, 0o120777, 0o40755); 0o100644 / 0o40755 when the archive has none. */
  mode: number;
  /** File contents, or the link target of a symbolic link; empty for a directory. */
  data: Buffer;
}

/** An entry of an opened archive: its path checked, its data not read yet. */
export interface ListedEntry {
  path: string;
  kind: UnzippedKind;
  mode: number;
  /** Uncompressed size, as the central directory states it. */
  size: number;
  entry: Entry;
}

/** An archive whose entries are listed and checked; close its `zipfile` when done. */
export interface OpenedZip {
  zipfile: ZipFile;
  entries: ListedEntry[];
}

/** How many bytes readZipEntries inflates in all by default: it holds them in memory (512 MB functions). */
export const MAX_READ_BYTES = 256 * 1024 * 1024;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const HOST_UNIX = 3;
const ENCRYPTED = 0x0001;

/** Lists every entry of a zip with its data, inflating and checking the size and CRC of each. */
export async function readZipEntries(
  zip: Buffer,
  limits: { maxBytes?: number } = {},
): Promise<UnzippedEntry[]> {
  const { zipfile, entries } = await openZip(zip, limits.maxBytes ?? MAX_READ_BYTES);
  try {
    const out: UnzippedEntry[] = [];
    for (const entry of entries) {
      const data = entry.kind === 'directory' ? Buffer.alloc(0) : await entryData(zipfile, entry);
      out.push({ path: entry.path, kind: entry.kind, mode: entry.mode, data });
    }
    return out;
  } finally {
    zipfile.close();
  }
}

/**
 * Opens an archive and lists its entries, refusing it when an entry's path is not allowed (entry-path.ts),
 * its encryption or compression is not supported, or its entries state more than `maxBytes` in all.
 */
export async function openZip(
  zip: Buffer,
  maxBytes: number,
  options: { refuseGitPaths?: boolean } = {},
): Promise<OpenedZip> {
  let zipfile: ZipFile;
  try {
    // Names are decoded below, not by yauzl: it turns backslashes into slashes and words its own errors.
    zipfile = await fromBufferPromise(zip, {
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (error) {
    throw yauzlError(error);
  }
  return listEntries(zipfile, options.refuseGitPaths ?? false, maxBytes);
}

/**
 * Opens an archive read by byte ranges (range-reader.ts) and lists its entries as openZip does, fetching only its
 * end. No total is checked: the caller reads a few entries and checks each one's size before inflating it.
 */
export async function openRangedZip(
  object: RangedObject,
): Promise<OpenedZip & { stats: RangeReader['stats'] }> {
  const reader = new RangeReader(object);
  let zipfile: ZipFile;
  try {
    zipfile = await fromRandomAccessReaderPromise(reader, object.size, {
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (error) {
    throw yauzlError(error);
  }
  return { ...(await listEntries(zipfile, false)), stats: reader.stats };
}

async function listEntries(zipfile: ZipFile, refuseGitPaths: boolean, maxBytes?: number): Promise<OpenedZip> {
  try {
    const entries: ListedEntry[] = [];
    for await (const entry of iterate(zipfile)) entries.push(listEntry(entry, refuseGitPaths));
    if (maxBytes !== undefined) checkTotal(entries, maxBytes);
    return { zipfile, entries };
  } catch (error) {
    zipfile.close();
    throw error;
  }
}

/**
 * The entry's bytes as they inflate; fails as soon as they pass the size its header states (before passing
 * them on), and at the end unless size and CRC match.
 */
export async function* inflateEntry(
  zipfile: ZipFile,
  listed: Pick<ListedEntry, 'path' | 'size' | 'entry'>,
): AsyncGenerator<Buffer> {
  const where = `zip entry "${listed.path}"`;
  let stream: Readable;
  try {
    stream = await zipfile.openReadStreamPromise(listed.entry);
  } catch (error) {
    throw yauzlError(error);
  }
  let bytes = 0;
  let crc = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > listed.size) {
        throw corrupt(`${where} inflates to more than the ${listed.size} bytes its header states`);
      }
      crc = crc32(chunk, crc);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof InvalidInputError || fetchError(error)) throw error;
    throw corrupt(`${where} cannot be inflated: ${message(error)}`, error);
  } finally {
    stream.destroy();
  }
  if (bytes !== listed.size || crc !== listed.entry.crc32) {
    throw corrupt(`${where} fails its size or CRC check`);
  }
}

/** The whole of an entry's data, checked as inflateEntry checks it. */
export async function entryData(
  zipfile: ZipFile,
  listed: Pick<ListedEntry, 'path' | 'size' | 'entry'>,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of inflateEntry(zipfile, listed)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* iterate(zipfile: ZipFile): AsyncGenerator<Entry> {
  try {
    yield* zipfile.eachEntry();
  } catch (error) {
    throw yauzlError(error);
  }
}

/**
 * A .git component matters only to extraction (a .git directory's hooks and config run code); read into memory,
 * an artifact may hold one, as CodeBuild's artifact of a CodeCommit clone does with a `**` pattern.
 */
function listEntry(entry: Entry, refuseGitPaths: boolean): ListedEntry {
  const name = getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
  const problem = entryPathProblem(name);
  if (problem === 'empty') throw corrupt('an entry has an empty name');
  if (problem === 'absolute' || problem === 'parent') {
    throw new InvalidInputError(`zip entry "${name}" points outside the extraction directory`);
  }
  if (problem === 'git' && refuseGitPaths) {
    throw new InvalidInputError(
      `zip entry "${name}" is inside a .git directory, which an archive must not write`,
    );
  }
  const where = `zip entry "${name}"`;
  if (entry.generalPurposeBitFlag & ENCRYPTED) throw corrupt(`${where} is encrypted, which is not supported`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw corrupt(
      `${where} uses compression method ${entry.compressionMethod}; only stored (0) and deflate (8) are supported`,
    );
  }
  return { path: name.replace(/\/+$/, ''), ...kindOf(name, entry), size: entry.uncompressedSize, entry };
}

/** Refuses the archive before inflating anything when its entries state more bytes than allowed. */
function checkTotal(entries: ListedEntry[], maxBytes: number): void {
  const total = entries.reduce((sum, entry) => sum + entry.size, 0);
  if (total <= maxBytes) return;
  const largest = entries.reduce((a, b) => (b.size > a.size ? b : a));
  throw corrupt(
    `its entries state ${total} bytes uncompressed, over the ${maxBytes} bytes allowed ` +
      `(the largest, "${largest.path}", states ${largest.size})`,
  );
}

function kindOf(name: string, entry: Entry): { kind: UnzippedKind; mode: number } {
  const attributes = entry.externalFileAttributes;
  const unixMode = entry.versionMadeBy >> 8 === HOST_UNIX ? attributes >>> 16 : 0;
  const type = unixMode & S_IFMT;
  // MS-DOS attribute bit 4 marks a directory in archives written on other systems.
  if (name.endsWith('/') || type === S_IFDIR || (unixMode === 0 && attributes & 0x10)) {
    return { kind: 'directory', mode: type === S_IFDIR ? unixMode : S_IFDIR | 0o755 };
  }
  if (type === S_IFLNK) return { kind: 'symlink', mode: unixMode };
  return { kind: 'file', mode: unixMode & 0o777 ? S_IFREG | (unixMode & 0o7777) : S_IFREG | 0o644 };
}

/** yauzl's errors, worded as this reader's; a ranged read's own failure (an AWS error) passes as it is. */
function yauzlError(error: unknown): unknown {
  if (fetchError(error)) return error;
  if (message(error).startsWith('End of central directory record signature not found')) {
    return corrupt('no end of central directory record (not a zip archive, or truncated)');
  }
  return corrupt(message(error), error);
}

/** An error of the fetch under a ranged reader (range-reader.ts): Switchyard's, or the AWS SDK's. */
function fetchError(error: unknown): boolean {
  return (
    error instanceof SwitchyardError || (typeof error === 'object' && error !== null && '$metadata' in error)
  );
}

function message(error: unknown): string {
  // zlib's errors come from Node's core, which under a test runner is another realm than `Error`.
  if (typeof error === 'object' && error !== null && 'message' in error) return String(error.message);
  return String(error);
}

function corrupt(text: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError(
    `cannot read the zip archive: ${text}`,
    cause === undefined ? undefined : { cause },
  );
}
