/**
 * A yauzl random-access reader over an object read by byte ranges (an S3 GetObject with Range), so that an archive's
 * central directory and a few entries are read without fetching the rest. A zip's central directory is at its end,
 * found through the end of central directory record (EOCD) in the last 22 to 65,557 bytes (APPNOTE.TXT 4.3.16):
 * the caller starts with the object's last bytes, and when the EOCD is among them the rest of yauzl's 64 KiB search
 * window is never fetched. Later reads fetch ahead a little (doubling on each miss, for the central directory's many
 * small reads) and keep the last few ranges; an entry's data streams in bounded chunks, fetched as it is consumed.
 */
import { Readable } from 'node:stream';
import { RandomAccessReader } from 'yauzl';

/** An object read by byte ranges: its size, its last bytes (fetched with the size), and a fetch of [start, end). */
export interface RangedObject {
  size: number;
  tail: Buffer;
  fetch(start: number, end: number): Promise<Buffer>;
}

/** What a reader fetched: requests and bytes, beyond the tail it was given. */
export interface RangeStats {
  requests: number;
  bytes: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const EOCD_SIZE = 22;
/** The ZIP64 end of central directory locator, just before the EOCD, which yauzl reads from the same window. */
const ZIP64_LOCATOR_SIZE = 20;
/** yauzl's search window for the EOCD: the record, a comment of up to 65,535 bytes, and a ZIP64 locator. */
const EOCD_WINDOW = ZIP64_LOCATOR_SIZE + EOCD_SIZE + 0xffff;
const FIRST_READ_AHEAD = 8 * 1024;
const MAX_READ_AHEAD = 1024 * 1024;
const STREAM_CHUNK = 256 * 1024;
const KEPT_RANGES = 8;

/** yauzl's reader of a RangedObject; `stats` counts what it fetched. */
export class RangeReader extends RandomAccessReader {
  readonly stats: RangeStats = { requests: 0, bytes: 0 };
  private readonly kept: Array<{ start: number; data: Buffer }> = [];
  private readAhead = FIRST_READ_AHEAD;
  /** The last range fetched, to tell reading on from a jump. */
  private last: { start: number; stop: number } | undefined;

  constructor(private readonly object: RangedObject) {
    super();
    this.kept.push({ start: object.size - object.tail.length, data: object.tail });
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead?: number) => void,
  ): void {
    this.bytes(position, position + length).then(
      (data) => {
        data.copy(buffer, offset);
        callback(null, data.length);
      },
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.chunks(start, end), { objectMode: false });
  }

  private async *chunks(start: number, end: number): AsyncGenerator<Buffer> {
    for (let at = start; at < end; at += STREAM_CHUNK) {
      const stop = Math.min(end, at + STREAM_CHUNK);
      yield this.cached(at, stop) ?? (await this.fetch(at, stop));
    }
  }

  /** Bytes [start, end): kept, the EOCD window served from the tail, or fetched with some read-ahead. */
  private async bytes(start: number, end: number): Promise<Buffer> {
    const kept = this.cached(start, end);
    if (kept) return kept;
    const { size, tail } = this.object;
    if (end === size && end - start === Math.min(EOCD_WINDOW, size) && eocdInTail(tail)) {
      // yauzl scans its window backwards from the end and stops at the first EOCD signature: the one found in the
      // tail. Bytes before the tail are never looked at, so they are not fetched.
      return Buffer.concat([Buffer.alloc(size - tail.length - start), tail]);
    }
    // Reading on from the last fetch (the central directory, entry after entry) doubles the read-ahead; a jump
    // elsewhere (an entry's local header) starts small again. Nothing already kept at the end is fetched again.
    const onwards = this.last !== undefined && this.last.start <= start && start <= this.last.stop;
    this.readAhead = onwards ? Math.min(MAX_READ_AHEAD, this.readAhead * 2) : FIRST_READ_AHEAD;
    const tailStart = size - tail.length;
    if (start < tailStart && tailStart < end) {
      // A read across the start of the tail fetches only what comes before it.
      return Buffer.concat([await this.bytes(start, tailStart), tail.subarray(0, end - tailStart)]);
    }
    const limit = end <= tailStart ? tailStart : size;
    const stop = Math.min(limit, Math.max(end, start + this.readAhead));
    this.last = { start, stop };
    const data = await this.fetch(start, stop);
    this.kept.push({ start, data });
    if (this.kept.length > KEPT_RANGES) this.kept.splice(1, 1);
    return data.subarray(0, end - start);
  }

  private cached(start: number, end: number): Buffer | undefined {
    const range = this.kept.find((r) => r.start <= start && end <= r.start + r.data.length);
    return range?.data.subarray(start - range.start, end - range.start);
  }

  private async fetch(start: number, end: number): Promise<Buffer> {
    const data = await this.object.fetch(start, end);
    this.stats.requests += 1;
    this.stats.bytes += data.length;
    if (data.length !== end - start) {
      throw new Error(
        `bytes ${start}-${end - 1} came back as ${data.length} bytes (the object changed or is truncated)`,
      );
    }
    return data;
  }
}

/** Whether the EOCD yauzl will find is wholly in the tail, with room for a ZIP64 locator before it. */
function eocdInTail(tail: Buffer): boolean {
  for (let i = tail.length - EOCD_SIZE; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE) return i >= ZIP64_LOCATOR_SIZE;
  }
  return false;
}
