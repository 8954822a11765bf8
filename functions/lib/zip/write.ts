/**
 * A streaming, deterministic zip writer (no AWS). Entries are compressed in parallel on the libuv
 * threadpool but written strictly in the order they were added; memory is bounded by a window of
 * entries and bytes in flight plus the central directory (about 100 bytes per entry). Entry paths follow
 * entry-path.ts; the bytes of each record are laid out in records.ts.
 *
 * Hand-made on purpose (measured December, npm run bench:archive): yazl deflates every entry itself and
 * cannot take data already deflated, so storing what does not shrink (as git archive does) means deflating
 * twice; behind this API it took 1.7-1.8x the CPU, 1.8-1.9x the wall time and 290 MB of peak RSS (the
 * target is 256 MB), and it computes CRC-32 in JavaScript on the main thread. fflate writes no ZIP64 records
 * (65,536 entries leave a count of 0 in the end record) and sets the UTF-8 flag on non-ASCII names only.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import { InvalidInputError } from '../shared/errors';
import { entryPathProblem } from './entry-path';
import { centralHeader, dosDateTime, endRecords, localHeader } from './records';

const deflate = promisify(deflateRaw);

/** How an entry is extracted: regular file, executable file, or symbolic link (data = link target). */
export type EntryMode = 'file' | 'executable' | 'symlink';

/** One entry to add to the archive. */
export interface ZipEntry {
  path: string;
  mode: EntryMode;
  data: Buffer;
}

/** What the finished archive is. */
export interface ZipSummary {
  sha256: string;
  bytes: number;
  entries: number;
  zip64: boolean;
}

/** Options of a ZipWriter. */
export interface ZipWriterOptions {
  /** Timestamp of every entry (DOS time fields are written in the wall-clock time of `utcOffsetMinutes`). */
  mtime: Date;
  utcOffsetMinutes?: number;
  /**
   * Admit paths with a .git component (default false): a build artifact may hold the clone's .git, as CodeBuild's
   * artifact of a CodeCommit source does with a `**` pattern; a source archive never does.
   */
  allowGitPaths?: boolean;
  /** zlib level, 6 like git archive. */
  level?: number;
  /** Entries admitted but not yet written, being compressed or waiting for their turn (default 16). */
  windowEntries?: number;
  /** Uncompressed bytes admitted but not yet written (default 32 MiB; one entry is always admitted). */
  windowBytes?: number;
  /** Internal, for tests: values at or above these switch to ZIP64 (defaults 0xffffffff and 0xffff). */
  zip64Limits?: { bytes?: number; entries?: number };
}

const UNIX_MODES: Record<EntryMode, number> = { file: 0o100644, executable: 0o100755, symlink: 0o120777 };
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

interface Prepared {
  method: 0 | 8;
  body: Buffer;
}

/** Writes a zip archive to `stream` as entries are added; call `finish()` after the last entry. */
export class ZipWriter {
  readonly stream: Readable;
  private readonly hash = createHash('sha256');
  private readonly central: Buffer[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly dos: { time: number; date: number };
  private readonly unixTime: number;
  private readonly limits: { bytes: number; entries: number };
  private offset = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private wantsData = true;
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;
  private result: ZipSummary | undefined;

  constructor(private readonly options: ZipWriterOptions) {
    this.stream = new Readable({ read: () => this.onRead() });
    // An error given to destroy() is recorded here so that pending and later calls reject with it.
    this.stream.on('error', (error) => this.fail(error));
    this.stream.on('close', () =>
      this.fail(new Error('the zip stream was closed before the archive was finished')),
    );
    this.dos = dosDateTime(options.mtime, options.utcOffsetMinutes ?? 0);
    this.unixTime = Math.max(0, Math.min(U32_MAX, Math.floor(options.mtime.getTime() / 1000)));
    this.limits = {
      bytes: options.zip64Limits?.bytes ?? U32_MAX,
      entries: options.zip64Limits?.entries ?? U16_MAX,
    };
  }

  /** Bytes of zip output produced so far. */
  get bytes(): number {
    return this.offset;
  }

  /** Adds an entry; resolves once it is admitted to the window (backpressure), not once it is written. */
  async add(entry: ZipEntry): Promise<void> {
    const name = checkedName(entry.path, this.options.allowGitPaths ?? false);
    this.throwIfFailed();
    while (this.inFlight > 0 && !this.hasRoom(entry.data.length)) {
      await this.nextEvent();
      this.throwIfFailed();
    }
    this.inFlight += 1;
    this.inFlightBytes += entry.data.length;
    const prepared = this.prepare(entry.data);
    prepared.catch(() => undefined); // rejection is surfaced through the ordered chain below
    this.tail = this.tail
      .then(async () => this.writeEntry(name, entry, await prepared))
      .finally(() => {
        this.inFlight -= 1;
        this.inFlightBytes -= entry.data.length;
        this.wake();
      });
    this.tail.catch((error: unknown) => this.fail(error));
  }

  /** Writes the central directory and ends the stream; resolves with the archive's sha256 and size. */
  async finish(): Promise<ZipSummary> {
    await this.tail;
    this.throwIfFailed();
    const entries = this.central.length;
    const cdOffset = this.offset;
    for (let i = 0; i < this.central.length; i += 4096) {
      await this.emit(Buffer.concat(this.central.slice(i, i + 4096)));
    }
    const cdSize = this.offset - cdOffset;
    const zip64 =
      entries >= this.limits.entries || cdOffset >= this.limits.bytes || cdSize >= this.limits.bytes;
    await this.emit(endRecords({ entries, cdOffset, cdSize, zip64, zip64Offset: this.offset }));
    this.result = { sha256: this.hash.digest('hex'), bytes: this.offset, entries, zip64 };
    this.stream.push(null);
    return this.result;
  }

  /** The summary of a finished archive (available as soon as the stream has ended). */
  summary(): ZipSummary {
    if (this.result === undefined) throw new Error('the zip archive is not finished');
    return this.result;
  }

  private hasRoom(size: number): boolean {
    const windowEntries = this.options.windowEntries ?? 16;
    const windowBytes = this.options.windowBytes ?? 32 * 1024 * 1024;
    return this.inFlight < windowEntries && this.inFlightBytes + size <= windowBytes;
  }

  private async prepare(data: Buffer): Promise<Prepared> {
    if (data.length === 0) return { method: 0, body: data };
    const compressed = await deflate(data, { level: this.options.level ?? 6 });
    return compressed.length < data.length ? { method: 8, body: compressed } : { method: 0, body: data };
  }

  private async writeEntry(name: Buffer, entry: ZipEntry, prepared: Prepared): Promise<void> {
    this.throwIfFailed();
    const sizes = { crc: crc32(entry.data), raw: entry.data.length, stored: prepared.body.length };
    const big = sizes.raw >= this.limits.bytes || sizes.stored >= this.limits.bytes;
    const farOffset = this.offset >= this.limits.bytes;
    const header = { name, method: prepared.method, ...sizes, big, ...this.dos, unixTime: this.unixTime };
    this.central.push(centralHeader(header, UNIX_MODES[entry.mode], this.offset, farOffset));
    await this.emit(localHeader(header));
    await this.emit(prepared.body);
  }

  private async emit(chunk: Buffer): Promise<void> {
    this.throwIfFailed();
    this.hash.update(chunk);
    this.offset += chunk.length;
    this.wantsData = false;
    if (this.stream.push(chunk)) return;
    while (!this.wantsData) {
      await this.nextEvent();
      this.throwIfFailed();
    }
  }

  private onRead(): void {
    this.wantsData = true;
    this.wake();
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private fail(error: unknown): void {
    if (this.result !== undefined) return;
    this.failure ??= { error };
    this.wake();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure.error;
  }
}

/** The entry path as UTF-8 bytes; throws when the archive may not hold it. */
function checkedName(path: string, allowGitPaths: boolean): Buffer {
  const name = Buffer.from(path, 'utf8');
  const problem = entryPathProblem(path);
  if (problem === 'parent') {
    throw new InvalidInputError(
      `zip entry path "${path}" has a ".." component; an archive must not reach outside its root`,
    );
  }
  if (problem === 'git' && !allowGitPaths) {
    throw new InvalidInputError(
      `zip entry path "${path}" has a ".git" component; an archive must not write into a git directory`,
    );
  }
  if ((problem !== undefined && problem !== 'git') || name.length > U16_MAX) {
    throw new InvalidInputError(`zip entry path "${path}" must be relative, non-empty, at most 65535 bytes`);
  }
  return name;
}

/** Zips a few entries into one buffer (small archives: build artifacts, fixtures). */
export async function zipToBuffer(
  entries: ZipEntry[],
  options: ZipWriterOptions,
): Promise<{ zip: Buffer; summary: ZipSummary }> {
  const writer = new ZipWriter(options);
  const chunks: Buffer[] = [];
  writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => writer.stream.once('end', resolve));
  for (const entry of entries) await writer.add(entry);
  const summary = await writer.finish();
  await ended;
  return { zip: Buffer.concat(chunks), summary };
}
