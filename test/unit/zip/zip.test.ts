import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { readZipEntries } from '../../../functions/lib/zip/read';
import { dosDateTime } from '../../../functions/lib/zip/records';
import {
  type ZipEntry,
  type ZipSummary,
  ZipWriter,
  type ZipWriterOptions,
  zipToBuffer,
} from '../../../functions/lib/zip/write';

/** What Python's zipfile (an independent reader) sees in an archive. */
interface PyEntry {
  path: string;
  mode: number;
  system: number;
  utf8: boolean;
  method: number;
  dateTime: number[];
  data: string;
}

const PY_READER = `
import base64, io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
if bad is not None:
    raise SystemExit("bad CRC in " + bad)
print(json.dumps([{"path": i.filename, "mode": i.external_attr >> 16, "system": i.create_system,
  "utf8": bool(i.flag_bits & 0x800), "method": i.compress_type, "dateTime": list(i.date_time),
  "data": base64.b64encode(z.read(i)).decode()} for i in z.infolist()]))
`;

function pythonRead(zip: Buffer): PyEntry[] {
  return JSON.parse(
    execFileSync('python3', ['-c', PY_READER], { input: zip, maxBuffer: 1 << 30 }).toString(),
  );
}

/** Runs an Info-ZIP tool (zipinfo, unzip -t) on the archive, a second independent reader. */
function infoZip(zip: Buffer, command: string, args: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
  try {
    writeFileSync(join(dir, 'a.zip'), zip);
    return execFileSync(command, [...args, join(dir, 'a.zip')], {
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    }).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function zipOf(entries: ZipEntry[], options: Partial<ZipWriterOptions> = {}) {
  const writer = new ZipWriter({ mtime: new Date('2026-11-20T10:00:00Z'), ...options });
  const chunks: Buffer[] = [];
  writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise((resolve) => writer.stream.on('end', resolve));
  for (const entry of entries) await writer.add(entry);
  const summary: ZipSummary = await writer.finish();
  await ended;
  return { zip: Buffer.concat(chunks), summary };
}

const text = (s: string) => Buffer.from(s, 'utf8');
const TREE: ZipEntry[] = [
  { path: 'README.md', mode: 'file', data: text('# app\n'.repeat(200)) },
  { path: 'current', mode: 'symlink', data: text('src/server.js') },
  { path: 'docs/ünïcødé – naïve 👋.md', mode: 'file', data: text('# Grüße\n') },
  { path: 'empty.txt', mode: 'file', data: Buffer.alloc(0) },
  { path: 'scripts/build.sh', mode: 'executable', data: text('#!/bin/sh\necho building\n') },
];

describe('ZipWriter', () => {
  it('writes paths, bytes, Unix modes, a symlink, UTF-8 names and an empty file that Python reads back', async () => {
    const { zip } = await zipOf(TREE);

    const entries = pythonRead(zip);

    expect(entries.map((e) => [e.path, e.mode, Buffer.from(e.data, 'base64').toString()])).toEqual([
      ['README.md', 0o100644, '# app\n'.repeat(200)],
      ['current', 0o120777, 'src/server.js'],
      ['docs/ünïcødé – naïve 👋.md', 0o100644, '# Grüße\n'],
      ['empty.txt', 0o100644, ''],
      ['scripts/build.sh', 0o100755, '#!/bin/sh\necho building\n'],
    ]);
    expect(entries.every((e) => e.system === 3 && e.utf8)).toBe(true);
  });

  it('is read the same by Info-ZIP: permissions, symlink, Unix origin, and every CRC checks', async () => {
    const { zip } = await zipOf(TREE);

    const listing = infoZip(zip, 'zipinfo', []);
    const test = infoZip(zip, 'unzip', ['-t']);

    expect(listing).toMatch(/^-rwxr-xr-x .* unx .* scripts\/build\.sh$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* unx .* current$/m);
    expect(listing).toMatch(/^-rw-r--r-- .* unx .* docs\/ünïcødé – naïve 👋\.md$/m);
    expect(test).toMatch(/No errors detected/);
  });

  it('deflates what shrinks and stores what does not (random bytes, tiny and empty files)', async () => {
    const { zip } = await zipOf([
      { path: 'a.txt', mode: 'file', data: text('compressible '.repeat(1000)) },
      { path: 'b.bin', mode: 'file', data: randomBytes(64 * 1024) },
      { path: 'c', mode: 'file', data: text('x') },
      { path: 'd', mode: 'file', data: Buffer.alloc(0) },
    ]);

    expect(pythonRead(zip).map((e) => [e.path, e.method])).toEqual([
      ['a.txt', 8],
      ['b.bin', 0],
      ['c', 0],
      ['d', 0],
    ]);
  });

  it('gives the same bytes and sha256 for the same entries, and reports the real sha256 and size', async () => {
    const first = await zipOf(TREE);
    const second = await zipOf(TREE);

    expect(second.zip.equals(first.zip)).toBe(true);
    expect(first.summary).toEqual({
      sha256: createHash('sha256').update(first.zip).digest('hex'),
      bytes: first.zip.length,
      entries: TREE.length,
      zip64: false,
    });
  });

  it('dates every entry from the given instant, in the wall-clock time of its UTC offset', async () => {
    const { zip } = await zipOf(TREE, { mtime: new Date('2026-11-20T10:00:07Z'), utcOffsetMinutes: -480 });

    expect(pythonRead(zip).map((e) => e.dateTime)).toEqual(TREE.map(() => [2026, 11, 20, 2, 0, 6]));
    expect(dosDateTime(new Date('1970-01-01T00:00:00Z'), 0)).toEqual({ date: (1 << 5) | 1, time: 0 });
  });

  it('writes entries in the order they were added, however long each takes to compress', async () => {
    const entries: ZipEntry[] = Array.from({ length: 40 }, (_, i) => ({
      path: `f${String(i).padStart(2, '0')}`,
      mode: 'file',
      data: i % 3 === 0 ? Buffer.alloc(2_000_000, i) : text(`small ${i}`),
    }));

    const { zip } = await zipOf(entries, { windowEntries: 6 });

    expect(pythonRead(zip).map((e) => e.path)).toEqual(entries.map((e) => e.path));
  });

  it('switches to ZIP64 records past the offset and entry limits (lowered here), and readers follow them', async () => {
    const { zip, summary } = await zipOf(TREE, { zip64Limits: { bytes: 300, entries: 3 } });

    expect(summary.zip64).toBe(true);
    expect(zip.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(pythonRead(zip).map((e) => [e.path, Buffer.from(e.data, 'base64').length])).toEqual(
      TREE.map((e) => [e.path, e.data.length]),
    );
    expect(infoZip(zip, 'unzip', ['-t'])).toMatch(/No errors detected/);
  });

  it('switches to ZIP64 past 65,535 entries', async () => {
    const entries: ZipEntry[] = Array.from({ length: 65_536 }, (_, i) => ({
      path: `d${i >> 8}/f${i}`,
      mode: 'file',
      data: Buffer.alloc(0),
    }));

    const { zip, summary } = await zipOf(entries);

    expect(summary).toMatchObject({ zip64: true, entries: 65_536 });
    const count = execFileSync(
      'python3',
      [
        '-c',
        'import io,sys,zipfile; print(len(zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())).infolist()))',
      ],
      { input: zip },
    );
    expect(Number(count.toString())).toBe(65_536);
  });

  it('holds add() back while the reader has not read, then goes on once it reads', async () => {
    const writer = new ZipWriter({ mtime: new Date(0), windowEntries: 1 });
    await writer.add({ path: 'big', mode: 'file', data: randomBytes(1 << 20) });
    let admitted = false;
    const second = writer.add({ path: 'next', mode: 'file', data: text('x') }).then(() => {
      admitted = true;
    });
    while (writer.stream.readableLength === 0) await new Promise((resolve) => setImmediate(resolve));

    expect(admitted).toBe(false);
    writer.stream.resume();
    await second;
    await writer.finish();
    expect(admitted).toBe(true);
  });

  it('rejects pending and later calls with the error the stream was destroyed with', async () => {
    const writer = new ZipWriter({ mtime: new Date(0), windowEntries: 1 });
    await writer.add({ path: 'big', mode: 'file', data: randomBytes(1 << 20) });
    const pending = writer.add({ path: 'next', mode: 'file', data: text('x') });

    writer.stream.destroy(new Error('upload failed'));

    await expect(pending).rejects.toThrow('upload failed');
    await expect(writer.finish()).rejects.toThrow('upload failed');
  });

  it('refuses absolute and empty paths', async () => {
    const writer = new ZipWriter({ mtime: new Date(0) });

    await expect(writer.add({ path: '/etc/passwd', mode: 'file', data: text('') })).rejects.toThrow(
      /must be relative/,
    );
    await expect(writer.add({ path: '', mode: 'file', data: text('') })).rejects.toThrow(/non-empty/);
  });

  it.each([
    ['../evil', 'has a ".." component; an archive must not reach outside its root'],
    ['src/../../evil', 'has a ".." component; an archive must not reach outside its root'],
    ['src\\..\\evil', 'has a ".." component; an archive must not reach outside its root'],
    ['.git/hooks/pre-commit', 'has a ".git" component; an archive must not write into a git directory'],
    ['vendor/lib/.git/config', 'has a ".git" component; an archive must not write into a git directory'],
    ['vendor/.GIT/config', 'has a ".git" component; an archive must not write into a git directory'],
  ])('refuses the path %s, naming it', async (path, why) => {
    const writer = new ZipWriter({ mtime: new Date(0) });

    await expect(writer.add({ path, mode: 'file', data: text('x') })).rejects.toThrow(
      new InvalidInputError(`zip entry path "${path}" ${why}`),
    );
  });

  it('writes a .git path only when asked, as a build artifact of a CodeCommit clone may hold one', async () => {
    const entries: ZipEntry[] = [
      { path: '.git/HEAD', mode: 'file', data: Buffer.from('ref: refs/heads/main\n') },
    ];
    await expect(zipToBuffer(entries, { mtime: new Date(0) })).rejects.toThrow(/has a "\.git" component/);
    const { zip } = await zipToBuffer(entries, { mtime: new Date(0), allowGitPaths: true });
    expect((await readZipEntries(zip)).map((entry) => entry.path)).toEqual(['.git/HEAD']);
  });

  it('writes .github, .gitignore and names that merely contain two dots', async () => {
    const entries: ZipEntry[] = ['.github/workflows/ci.yml', '.gitignore', 'a..b/c...d', 'x/.git-keep'].map(
      (path) => ({ path, mode: 'file', data: text(path) }),
    );

    const { zip } = await zipOf(entries);

    expect(pythonRead(zip).map((e) => e.path)).toEqual(entries.map((e) => e.path));
  });
});
