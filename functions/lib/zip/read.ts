/**
 * A small zip reader (no AWS, no `unzip` binary): stored and deflated entries, UTF-8 and CP437 names,
 * ZIP64 sizes and offsets, Unix modes from the external attributes (executables, symbolic links).
 * The whole archive is held in memory, which suits build sources and artifacts.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import { InvalidInputError } from '../shared/errors';

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

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const HOST_UNIX = 3;

/** Lists every entry of a zip, inflating and checking the CRC of each. */
export function readZipEntries(zip: Buffer): UnzippedEntry[] {
  const end = findEnd(zip);
  const entries: UnzippedEntry[] = [];
  let at = end.cdOffset;
  for (let i = 0; i < end.entries; i += 1) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== CENTRAL) {
      throw corrupt(`central directory entry ${i} is missing at offset ${at}`);
    }
    const header = parseCentral(zip, at);
    entries.push(readEntry(zip, header));
    at += 46 + header.nameLength + header.extraLength + header.commentLength;
  }
  return entries;
}

/** Extracts a zip into `dir` (created if missing); refuses entries that would land outside it. */
export async function extractZip(zip: Buffer, dir: string): Promise<UnzippedEntry[]> {
  const root = resolve(dir);
  const entries = readZipEntries(zip);
  await mkdir(root, { recursive: true });
  const target = (path: string) => {
    const full = resolve(root, path);
    if (full !== root && !full.startsWith(root + sep)) {
      throw new InvalidInputError(`zip entry "${path}" points outside the extraction directory`);
    }
    return full;
  };
  // Links last, so that no later entry is written through a link the archive created.
  for (const entry of entries.filter((e) => e.kind !== 'symlink')) {
    const full = target(entry.path);
    if (entry.kind === 'directory') {
      await mkdir(full, { recursive: true });
      continue;
    }
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, entry.data);
    await chmod(full, entry.mode & 0o777);
  }
  for (const entry of entries.filter((e) => e.kind === 'symlink')) {
    const full = target(entry.path);
    await mkdir(dirname(full), { recursive: true });
    await symlink(entry.data.toString('utf8'), full);
  }
  return entries;
}

interface End {
  entries: number;
  cdOffset: number;
}

function findEnd(zip: Buffer): End {
  // The end record is 22 bytes plus a comment of at most 65535 bytes.
  const stop = Math.max(0, zip.length - 22 - U16_MAX);
  for (let at = zip.length - 22; at >= stop; at -= 1) {
    if (zip.readUInt32LE(at) !== EOCD) continue;
    const entries = zip.readUInt16LE(at + 10);
    const cdOffset = zip.readUInt32LE(at + 16);
    if (entries !== U16_MAX && cdOffset !== U32_MAX) return { entries, cdOffset };
    return findEnd64(zip, at);
  }
  throw corrupt('no end of central directory record (not a zip archive, or truncated)');
}

function findEnd64(zip: Buffer, eocdAt: number): End {
  const locatorAt = eocdAt - 20;
  if (locatorAt < 0 || zip.readUInt32LE(locatorAt) !== EOCD64_LOCATOR) {
    throw corrupt('ZIP64 end of central directory locator is missing');
  }
  const recordAt = toNumber(zip.readBigUInt64LE(locatorAt + 8));
  if (recordAt + 56 > zip.length || zip.readUInt32LE(recordAt) !== EOCD64) {
    throw corrupt('ZIP64 end of central directory record is missing');
  }
  return {
    entries: toNumber(zip.readBigUInt64LE(recordAt + 32)),
    cdOffset: toNumber(zip.readBigUInt64LE(recordAt + 48)),
  };
}

interface Central {
  flags: number;
  method: number;
  crc: number;
  stored: number;
  raw: number;
  host: number;
  externalAttributes: number;
  offset: number;
  name: string;
  nameLength: number;
  extraLength: number;
  commentLength: number;
}

function parseCentral(zip: Buffer, at: number): Central {
  const nameLength = zip.readUInt16LE(at + 28);
  const extraLength = zip.readUInt16LE(at + 30);
  const flags = zip.readUInt16LE(at + 8);
  const nameBytes = zip.subarray(at + 46, at + 46 + nameLength);
  const header: Central = {
    flags,
    method: zip.readUInt16LE(at + 10),
    crc: zip.readUInt32LE(at + 16),
    stored: zip.readUInt32LE(at + 20),
    raw: zip.readUInt32LE(at + 24),
    host: zip.readUInt8(at + 5),
    externalAttributes: zip.readUInt32LE(at + 38),
    offset: zip.readUInt32LE(at + 42),
    name: flags & 0x0800 ? nameBytes.toString('utf8') : decodeCp437(nameBytes),
    nameLength,
    extraLength,
    commentLength: zip.readUInt16LE(at + 32),
  };
  applyZip64(header, zip.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength));
  return header;
}

/** Replaces saturated sizes and offset with the ZIP64 extra field's values, in the order the format fixes. */
function applyZip64(header: Central, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = () => {
        const value = toNumber(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (header.raw === U32_MAX) header.raw = next();
      if (header.stored === U32_MAX) header.stored = next();
      if (header.offset === U32_MAX) header.offset = next();
      return;
    }
    at += 4 + size;
  }
}

function readEntry(zip: Buffer, header: Central): UnzippedEntry {
  const where = `zip entry "${header.name}"`;
  if (header.flags & 0x0001) throw corrupt(`${where} is encrypted, which is not supported`);
  if (header.offset + 30 > zip.length || zip.readUInt32LE(header.offset) !== LOCAL) {
    throw corrupt(`${where} has no local header at offset ${header.offset}`);
  }
  // The local extra field may differ from the central one, so its own length is used.
  const dataAt =
    header.offset + 30 + zip.readUInt16LE(header.offset + 26) + zip.readUInt16LE(header.offset + 28);
  if (dataAt + header.stored > zip.length) throw corrupt(`${where} is truncated`);
  const body = zip.subarray(dataAt, dataAt + header.stored);
  let data: Buffer;
  if (header.method === 0) data = Buffer.from(body);
  else if (header.method === 8) data = inflateRawSync(body);
  else
    throw corrupt(
      `${where} uses compression method ${header.method}; only stored (0) and deflate (8) are supported`,
    );
  if (data.length !== header.raw || crc32(data) !== header.crc) {
    throw corrupt(`${where} fails its size or CRC check`);
  }
  const { kind, mode } = kindOf(header);
  return {
    path: header.name.replace(/\/+$/, ''),
    kind,
    mode,
    data: kind === 'directory' ? Buffer.alloc(0) : data,
  };
}

function kindOf(header: Central): { kind: UnzippedKind; mode: number } {
  const unixMode = header.host === HOST_UNIX ? header.externalAttributes >>> 16 : 0;
  const type = unixMode & S_IFMT;
  // MS-DOS attribute bit 4 marks a directory in archives written on other systems.
  if (header.name.endsWith('/') || type === S_IFDIR || (unixMode === 0 && header.externalAttributes & 0x10)) {
    return { kind: 'directory', mode: type === S_IFDIR ? unixMode : S_IFDIR | 0o755 };
  }
  if (type === S_IFLNK) return { kind: 'symlink', mode: unixMode };
  return { kind: 'file', mode: unixMode & 0o777 ? S_IFREG | (unixMode & 0o7777) : S_IFREG | 0o644 };
}

/** Code page 437, the names' encoding when the UTF-8 flag is not set; its upper half as Unicode. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeCp437(bytes: Buffer): string {
  let out = '';
  for (const byte of bytes) out += byte < 0x80 ? String.fromCharCode(byte) : (CP437_HIGH[byte - 0x80] ?? '?');
  return out;
}

function toNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('a ZIP64 size or offset is too large');
  return Number(value);
}

function corrupt(message: string): InvalidInputError {
  return new InvalidInputError(`cannot read the zip archive: ${message}`);
}
