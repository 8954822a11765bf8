/**
 * The records of a zip archive as the writer lays them out (APPNOTE 6.3): local and central file headers with
 * Unix modes, UTF-8 names and the exact mtime, ZIP64 fields where sizes or offsets pass 32 bits, and the end
 * records. Pure functions from numbers to bytes; the ZipWriter decides what goes where.
 */

const UTF8_NAMES = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 45;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

/** What the headers of one entry say. */
export interface Header {
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

/** The local file header, written just before the entry's data. */
export function localHeader(h: Header): Buffer {
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

/** The entry's record in the central directory; `farOffset` moves its offset into the ZIP64 field. */
export function centralHeader(h: Header, unixMode: number, offset: number, farOffset: boolean): Buffer {
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

/** The end of central directory record, preceded by the ZIP64 record and locator when `zip64`. */
export function endRecords(end: {
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
