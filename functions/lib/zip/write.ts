/**
 * A streaming, deterministic zip writer (no AWS). Entries are compressed in parallel on the libuv
 * threadpool but written strictly in the order they were added; memory is bounded by a window of
 * entries and bytes in flight plus the central directory (about 100 bytes per entry).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, deflateRaw } from 'node:zlib';
import { InvalidInputError } from '../shared/errors';

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
const UTF8_NAMES = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 45;
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
    const name = Buffer.from(entry.path, 'utf8');
    if (name.length === 0 || name.length > U16_MAX || entry.path.startsWith('/')) {
      throw new InvalidInputError(
        `zip entry path "${entry.path}" must be relative, non-empty, at most 65535 bytes`,
      );
    }
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

interface Header {
  name: Buffer;
  method: number;
  crc: number;
  raw: number;
  stored: number;
  big: boolean;
  time: number;
  date: number;
  unixTime: number;
}

function localHeader(h: Header): Buffer {
  const extras = [timestampExtra(h.unixTime), h.big ? zip64Extra([h.raw, h.stored]) : Buffer.alloc(0)];
  const extra = Buffer.concat(extras);
  const b = Buffer.alloc(30);
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(versionNeeded(h.method, h.big), 4);
  b.writeUInt16LE(UTF8_NAMES, 6);
  b.writeUInt16LE(h.method, 8);
  b.writeUInt16LE(h.time, 10);
  b.writeUInt16LE(h.date, 12);
  b.writeUInt32LE(h.crc, 14);
  b.writeUInt32LE(h.big ? U32_MAX : h.stored, 18);
  b.writeUInt32LE(h.big ? U32_MAX : h.raw, 22);
  b.writeUInt16LE(h.name.length, 26);
  b.writeUInt16LE(extra.length, 28);
  return Buffer.concat([b, h.name, extra]);
}

function centralHeader(h: Header, unixMode: number, offset: number, farOffset: boolean): Buffer {
  const wide = [...(h.big ? [h.raw, h.stored] : []), ...(farOffset ? [offset] : [])];
  const extra = Buffer.concat([
    timestampExtra(h.unixTime),
    wide.length > 0 ? zip64Extra(wide) : Buffer.alloc(0),
  ]);
  const b = Buffer.alloc(46);
  b.writeUInt32LE(0x02014b50, 0);
  b.writeUInt16LE(MADE_BY_UNIX, 4);
  b.writeUInt16LE(versionNeeded(h.method, wide.length > 0), 6);
  b.writeUInt16LE(UTF8_NAMES, 8);
  b.writeUInt16LE(h.method, 10);
  b.writeUInt16LE(h.time, 12);
  b.writeUInt16LE(h.date, 14);
  b.writeUInt32LE(h.crc, 16);
  b.writeUInt32LE(h.big ? U32_MAX : h.stored, 20);
  b.writeUInt32LE(h.big ? U32_MAX : h.raw, 24);
  b.writeUInt16LE(h.name.length, 28);
  b.writeUInt16LE(extra.length, 30);
  // comment length, disk number and internal attributes stay 0
  b.writeUInt32LE(unixMode * 0x10000, 38);
  b.writeUInt32LE(farOffset ? U32_MAX : offset, 42);
  return Buffer.concat([b, h.name, extra]);
}

function endRecords(end: {
  entries: number;
  cdOffset: number;
  cdSize: number;
  zip64: boolean;
  zip64Offset: number;
}): Buffer {
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(end.zip64 ? U16_MAX : end.entries, 8);
  eocd.writeUInt16LE(end.zip64 ? U16_MAX : end.entries, 10);
  eocd.writeUInt32LE(end.zip64 ? U32_MAX : end.cdSize, 12);
  eocd.writeUInt32LE(end.zip64 ? U32_MAX : end.cdOffset, 16);
  if (!end.zip64) return eocd;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(MADE_BY_UNIX, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(end.entries), 24);
  record.writeBigUInt64LE(BigInt(end.entries), 32);
  record.writeBigUInt64LE(BigInt(end.cdSize), 40);
  record.writeBigUInt64LE(BigInt(end.cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(end.zip64Offset), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([record, locator, eocd]);
}

function versionNeeded(method: number, zip64: boolean): number {
  if (zip64) return 45;
  return method === 8 ? 20 : 10;
}

/** The "extended timestamp" extra field (0x5455): the exact UTC mtime, which DOS time cannot carry. */
function timestampExtra(unixTime: number): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x5455, 0);
  b.writeUInt16LE(5, 2);
  b.writeUInt8(1, 4);
  b.writeUInt32LE(unixTime, 5);
  return b;
}

function zip64Extra(values: number[]): Buffer {
  const b = Buffer.alloc(4 + values.length * 8);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(values.length * 8, 2);
  for (const [i, value] of values.entries()) b.writeBigUInt64LE(BigInt(value), 4 + i * 8);
  return b;
}

/** DOS date and time of an instant, in the wall-clock time of the given UTC offset (clamped to 1980–2107). */
export function dosDateTime(instant: Date, utcOffsetMinutes: number): { time: number; date: number } {
  const min = Date.UTC(1980, 0, 1);
  const max = Date.UTC(2107, 11, 31, 23, 59, 58);
  const local = new Date(Math.min(max, Math.max(min, instant.getTime() + utcOffsetMinutes * 60_000)));
  const date = ((local.getUTCFullYear() - 1980) << 9) | ((local.getUTCMonth() + 1) << 5) | local.getUTCDate();
  const time = (local.getUTCHours() << 11) | (local.getUTCMinutes() << 5) | (local.getUTCSeconds() >> 1);
  return { time, date };
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
