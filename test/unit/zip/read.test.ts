import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { extractZip } from '../../../functions/lib/zip/extract';
import { inflateEntry, MAX_READ_BYTES, openZip, readZipEntries } from '../../../functions/lib/zip/read';
import { type ZipEntry, type ZipWriterOptions, zipToBuffer } from '../../../functions/lib/zip/write';
import { claimSize, pythonZip, sampleZip } from '../../support/python-zip';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

async function zipOf(entries: ZipEntry[], options: Partial<ZipWriterOptions> = {}): Promise<Buffer> {
  return (await zipToBuffer(entries, { mtime: new Date('2026-01-02T03:04:06Z'), ...options })).zip;
}

/** 64 MiB of zeros: about 64 KiB once deflated. */
const BOMB = { name: 'bomb', data: { zeros: 64 * 1024 * 1024 }, deflate: true };

describe('the zip reader', () => {
  it("reads Python zipfile's stored and deflated entries with their modes", async () => {
    expect(
      (await readZipEntries(sampleZip())).map((e) => [e.path, e.kind, e.mode.toString(8), e.data.length]),
    ).toEqual([
      ['app', 'directory', '40755', 0],
      ['app/run.sh', 'file', '100755', 18],
      ['app/data.txt', 'file', '100644', 5000],
      ['app/raw.bin', 'file', '100600', 256],
      ['app/latest', 'symlink', '120777', 6],
      ['café.txt', 'file', '100644', 0],
    ]);
  });

  it('reads what ZipWriter writes, ZIP64 records included', async () => {
    const entries: ZipEntry[] = [
      { path: 'a.txt', mode: 'file', data: Buffer.from('a'.repeat(100)) },
      { path: 'bin/x', mode: 'executable', data: Buffer.from('x') },
      { path: 'l', mode: 'symlink', data: Buffer.from('a.txt') },
    ];
    for (const options of [{}, { zip64Limits: { bytes: 10, entries: 2 } }]) {
      const read = await readZipEntries(await zipOf(entries, options));
      expect(read.map((e) => [e.path, e.kind, e.mode, e.data.toString()])).toEqual([
        ['a.txt', 'file', 0o100644, 'a'.repeat(100)],
        ['bin/x', 'file', 0o100755, 'x'],
        ['l', 'symlink', 0o120777, 'a.txt'],
      ]);
    }
  });

  it('rejects a truncated archive, a corrupted entry and an entry that would land outside the directory', async () => {
    const zip = sampleZip();
    await expect(readZipEntries(zip.subarray(0, zip.length - 30))).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: no end of central directory record (not a zip archive, or truncated)',
      ),
    );
    const corrupt = Buffer.from(zip);
    const raw = corrupt.indexOf(Buffer.from(Array.from({ length: 16 }, (_, i) => i)));
    corrupt.writeUInt8(corrupt.readUInt8(raw + 3) ^ 0xff, raw + 3);
    await expect(readZipEntries(corrupt)).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: zip entry "app/raw.bin" fails its size or CRC check',
      ),
    );
    const target = mkdtempSync(join(tmpdir(), 'unzip-test-'));
    temporary.push(target);
    const slip = pythonZip([{ name: '../evil', data: 'x' }]);
    await expect(extractZip(slip, target)).rejects.toThrow(
      new InvalidInputError('zip entry "../evil" points outside the extraction directory'),
    );
  });

  it('refuses deflated data that does not inflate, naming the entry', async () => {
    const zip = pythonZip([{ name: 'data.txt', data: 'data '.repeat(1000), deflate: true }]);
    const garbled = Buffer.from(zip);
    // The deflated body starts after the 30-byte local header and the 8-byte name.
    garbled.fill(0xff, 38, 58);
    const reading = readZipEntries(garbled);

    await expect(reading).rejects.toThrow(InvalidInputError);
    await expect(reading).rejects.toThrow(
      /^cannot read the zip archive: zip entry "data.txt" cannot be inflated: invalid /,
    );
  });

  it.each([
    [
      'a ".." component',
      'app/../../evil',
      'zip entry "app/../../evil" points outside the extraction directory',
    ],
    [
      'a ".." component after a backslash',
      'app\\..\\evil',
      'zip entry "app\\..\\evil" points outside the extraction directory',
    ],
    ['an absolute path', '/etc/passwd', 'zip entry "/etc/passwd" points outside the extraction directory'],
    [
      'a drive letter',
      'C:/Windows/evil',
      'zip entry "C:/Windows/evil" points outside the extraction directory',
    ],
  ])('refuses an archive with %s before reading any entry', async (_case, name, message) => {
    const zip = pythonZip([
      { name: 'fine.txt', data: 'fine' },
      { name, data: 'x' },
    ]);

    await expect(readZipEntries(zip)).rejects.toThrow(new InvalidInputError(message));
  });

  it.each([
    ['a .git component', '.git/hooks/pre-commit'],
    ['a .git component in another case', 'sub/.GIT/config'],
  ])('refuses to extract an archive with %s, and reads it into memory', async (_case, name) => {
    const zip = pythonZip([
      { name: 'fine.txt', data: 'fine' },
      { name, data: 'x' },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'zip-git-'));
    try {
      await expect(extractZip(zip, join(dir, 'out'))).rejects.toThrow(
        new InvalidInputError(
          `zip entry "${name}" is inside a .git directory, which an archive must not write`,
        ),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A build artifact of a CodeCommit clone holds .git with a ** pattern, as in CodeBuild: reading it is harmless.
    expect((await readZipEntries(zip)).map((entry) => entry.path)).toEqual(['fine.txt', name]);
  });

  it('reads .github, .gitignore and .gitkeep, which only look like .git', async () => {
    const zip = pythonZip([
      { name: '.github/workflows/ci.yml', data: 'on: push' },
      { name: '.gitignore', data: 'node_modules' },
      { name: 'empty/.gitkeep', data: '' },
    ]);

    expect((await readZipEntries(zip)).map((e) => e.path)).toEqual([
      '.github/workflows/ci.yml',
      '.gitignore',
      'empty/.gitkeep',
    ]);
  });

  it('refuses, before inflating anything, an entry whose header claims more than the limit', async () => {
    const claimsFourGiB = claimSize(pythonZip([{ name: 'bomb', data: 'tiny', deflate: true }]), 0xfffffff0);

    await expect(readZipEntries(claimsFourGiB)).rejects.toThrow(
      new InvalidInputError(
        `cannot read the zip archive: its entries state 4294967280 bytes uncompressed, over the ${MAX_READ_BYTES} bytes allowed (the largest, "bomb", states 4294967280)`,
      ),
    );
  });

  it('refuses an archive whose entries inflate to more than the limit in all, though each is under it', async () => {
    const zip = pythonZip([BOMB, { ...BOMB, name: 'bomb2' }]);

    await expect(readZipEntries(zip, { maxBytes: 100 * 1024 * 1024 })).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: its entries state 134217728 bytes uncompressed, over the 104857600 bytes allowed (the largest, "bomb", states 67108864)',
      ),
    );
  });

  it('stops inflating an entry that inflates past the size its header states, before passing that size on', async () => {
    const lying = claimSize(pythonZip([BOMB]), 100);
    const { zipfile, entries } = await openZip(lying, MAX_READ_BYTES);
    const [bomb] = entries;
    if (bomb === undefined) throw new Error('the archive has no entry');
    let passedOn = 0;

    const reading = (async () => {
      for await (const chunk of inflateEntry(zipfile, bomb)) passedOn += chunk.length;
    })();

    await expect(reading).rejects.toThrow(
      new InvalidInputError(
        'cannot read the zip archive: zip entry "bomb" inflates to more than the 100 bytes its header states',
      ),
    );
    expect(passedOn).toBeLessThanOrEqual(100);
    zipfile.close();
    await expect(readZipEntries(lying)).rejects.toThrow(
      /inflates to more than the 100 bytes its header states/,
    );
  });
});
