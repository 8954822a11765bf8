/**
 * The zip reader over byte ranges (functions/lib/zip/range-reader.ts, openRangedZip): an archive is listed from
 * its end and only the entries read are fetched; the end of central directory found in the first bytes fetched
 * spares yauzl's 64 KiB search window; ZIP64 archives, corrupt entries and failing fetches behave as with a buffer.
 */
import { randomBytes } from 'node:crypto';
import { InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import type { RangedObject } from '../../../functions/lib/zip/range-reader';
import { entryData, openRangedZip } from '../../../functions/lib/zip/read';
import { type ZipEntry, type ZipWriterOptions, zipToBuffer } from '../../../functions/lib/zip/write';

const MTIME = new Date('2026-01-02T03:04:06Z');
const TASKDEF = Buffer.from('{"family": "web"}\n');
const APPSPEC = Buffer.from('version: 0.0\n');
/** Random bytes do not deflate: the writer stores them, so the archive is as large as they are. */
const BIG = randomBytes(12 * 1024 * 1024);

async function zipOf(entries: ZipEntry[], options: Partial<ZipWriterOptions> = {}): Promise<Buffer> {
  return (await zipToBuffer(entries, { mtime: MTIME, ...options })).zip;
}

const ENTRIES: ZipEntry[] = [
  { path: 'taskdef.json', mode: 'file', data: TASKDEF },
  { path: 'assets/big.bin', mode: 'file', data: BIG },
  { path: 'appspec.yaml', mode: 'file', data: APPSPEC },
];

/** A RangedObject over a buffer that records each range fetched. */
function rangedOf(zip: Buffer, tailBytes = 16 * 1024) {
  const fetched: Array<[number, number]> = [];
  const object: RangedObject = {
    size: zip.length,
    tail: zip.subarray(Math.max(0, zip.length - tailBytes)),
    fetch: async (start, end) => {
      fetched.push([start, end]);
      return zip.subarray(start, end);
    },
  };
  return { object, fetched };
}

/** Opens the archive by ranges and reads the named entries. */
async function readNamed(object: RangedObject, names: string[]) {
  const { zipfile, entries, stats } = await openRangedZip(object);
  try {
    const out: Record<string, string> = {};
    for (const entry of entries.filter((e) => names.includes(e.path))) {
      out[entry.path] = (await entryData(zipfile, entry)).toString();
    }
    return { out, stats, listed: entries.map((e) => e.path) };
  } finally {
    zipfile.close();
  }
}

describe('openRangedZip', () => {
  it('lists a 12 MiB archive from its end and reads two small entries, fetching a few KiB', async () => {
    const zip = await zipOf(ENTRIES);
    expect(zip.length).toBeGreaterThan(BIG.length);
    const { object, fetched } = rangedOf(zip);

    const { out, stats, listed } = await readNamed(object, ['taskdef.json', 'appspec.yaml']);

    expect(listed).toEqual(['taskdef.json', 'assets/big.bin', 'appspec.yaml']);
    expect(out).toEqual({ 'taskdef.json': TASKDEF.toString(), 'appspec.yaml': APPSPEC.toString() });
    // The central directory and appspec.yaml are in the tail; taskdef.json, at the start, costs one read-ahead.
    expect(fetched).toEqual([[0, 8 * 1024]]);
    expect(stats).toEqual({ requests: 1, bytes: 8 * 1024 });
  });

  it('lists a central directory larger than the first bytes in a few growing reads', async () => {
    const many: ZipEntry[] = Array.from({ length: 3000 }, (_, i) => ({
      path: `src/module-${i}/index.js`,
      mode: 'file',
      data: Buffer.from(`module.exports = ${i};\n`),
    }));
    const zip = await zipOf([...many, { path: 'taskdef.json', mode: 'file', data: TASKDEF }]);
    const { object, fetched } = rangedOf(zip);

    const { out, listed } = await readNamed(object, ['taskdef.json']);

    expect(listed).toHaveLength(3001);
    expect(out).toEqual({ 'taskdef.json': TASKDEF.toString() });
    // About 200 KB of central directory, read in growing steps (8, 16, 32, 64 KiB, then up to the tail already
    // fetched), not one request per entry; then one small read at taskdef.json's local header.
    const centralDirectory = zip.readUInt32LE(zip.length - 22 + 12);
    expect(centralDirectory).toBeGreaterThan(150 * 1024);
    const sizes = fetched.map(([start, end]) => end - start);
    expect(sizes.slice(0, 4)).toEqual([8, 16, 32, 64].map((k) => k * 1024));
    expect(sizes).toHaveLength(6);
    expect(sizes.reduce((a, b) => a + b)).toBeLessThan(centralDirectory + 8 * 1024);
  });

  it('reads ZIP64 archives (records past the 32-bit fields) the same way', async () => {
    const zip = await zipOf(ENTRIES, { zip64Limits: { bytes: 10, entries: 2 } });
    const { object } = rangedOf(zip);

    const { out, stats } = await readNamed(object, ['taskdef.json', 'appspec.yaml']);

    expect(out).toEqual({ 'taskdef.json': TASKDEF.toString(), 'appspec.yaml': APPSPEC.toString() });
    expect(stats.bytes).toBeLessThan(64 * 1024);
  });

  it("fetches yauzl's whole 64 KiB search window when the first bytes do not hold the end record", async () => {
    const zip = await zipOf(ENTRIES);
    const { object, fetched } = rangedOf(zip, 10);

    const { out } = await readNamed(object, ['appspec.yaml']);

    expect(out).toEqual({ 'appspec.yaml': APPSPEC.toString() });
    // The window up to the 10 bytes already there.
    expect(fetched[0]).toEqual([zip.length - (22 + 20 + 0xffff), zip.length - 10]);
  });

  it('streams an entry larger than one chunk, fetching only its bytes', async () => {
    const zip = await zipOf(ENTRIES);
    const { object } = rangedOf(zip);
    const { zipfile, entries, stats } = await openRangedZip(object);
    const big = entries.find((e) => e.path === 'assets/big.bin');
    if (!big) throw new Error('no big.bin');

    const data = await entryData(zipfile, big);
    zipfile.close();

    expect(data.equals(BIG)).toBe(true);
    expect(stats.bytes).toBeLessThan(BIG.length + 64 * 1024);
  });

  it('refuses a corrupted entry by its CRC, and an object that is not a zip archive', async () => {
    const zip = await zipOf(ENTRIES);
    const corrupt = Buffer.from(zip);
    const at = corrupt.indexOf(TASKDEF);
    expect(at).toBeGreaterThan(0);
    corrupt.writeUInt8(corrupt.readUInt8(at) ^ 0xff, at);

    await expect(readNamed(rangedOf(corrupt).object, ['taskdef.json'])).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: zip entry "taskdef.json" fails its size or CRC check',
      ),
    );
    await expect(readNamed(rangedOf(Buffer.from('not a zip at all')).object, [])).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: no end of central directory record (not a zip archive, or truncated)',
      ),
    );
  });

  it("passes a fetch's own failure through as it is, not as a corrupt archive", async () => {
    const zip = await zipOf(ENTRIES);
    const { object } = rangedOf(zip);
    const throttled = new TransientAwsError('GetObject failed: SlowDown');
    const failing: RangedObject = { ...object, fetch: () => Promise.reject(throttled) };

    await expect(readNamed(failing, ['taskdef.json'])).rejects.toBe(throttled);
  });

  it('refuses bytes that come back short (the object changed or is truncated)', async () => {
    const zip = await zipOf(ENTRIES);
    const { object } = rangedOf(zip);
    const short: RangedObject = { ...object, fetch: async (start, end) => zip.subarray(start, end - 1) };

    await expect(readNamed(short, ['taskdef.json'])).rejects.toThrow(/came back as 8191 bytes/);
  });
});
