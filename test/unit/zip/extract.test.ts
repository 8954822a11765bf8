import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { extractZip } from '../../../functions/lib/zip/extract';
import { type PythonZipEntry, pythonZip, sampleZip } from '../../support/python-zip';

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'unzip-test-'));
  temporary.push(dir);
  return dir;
}

const link = (name: string, target: string): PythonZipEntry => ({ name, data: target, mode: 0o120777 });

describe('extractZip', () => {
  it('extracts executables, links and directories onto disk', async () => {
    const dir = scratch();
    await extractZip(sampleZip(), dir);
    expect(statSync(join(dir, 'app/run.sh')).mode & 0o777).toBe(0o755);
    expect(statSync(join(dir, 'app/raw.bin')).mode & 0o777).toBe(0o600);
    expect(readlinkSync(join(dir, 'app/latest'))).toBe('run.sh');
    expect(readFileSync(join(dir, 'app/latest'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect(readFileSync(join(dir, 'app/data.txt'), 'utf8')).toBe('data '.repeat(1000));
  });

  it('keeps links that stay inside the directory, through other links and ".." included', async () => {
    const dir = scratch();
    const zip = pythonZip([
      { name: 'builds/7/app.js', data: 'console.log(7)' },
      link('releases/v2', '../builds/7'),
      link('current', 'releases/v2'),
      link('releases/up', '..'),
      link('app.js', 'current/./app.js'),
    ]);

    await extractZip(zip, dir);

    expect(readFileSync(join(dir, 'app.js'), 'utf8')).toBe('console.log(7)');
    expect(readlinkSync(join(dir, 'releases/up'))).toBe('..');
  });

  it.each([
    ['points above the directory', [link('evil', '../../etc')], 'evil', '../../etc', 'leads outside'],
    ['is absolute', [link('passwd', '/etc/passwd')], 'passwd', '/etc/passwd', 'leads outside'],
    [
      // Read as text, "d/up/.." is "d", inside; followed, "d/up" is the directory itself and ".." its parent.
      'climbs out through another link that looks harmless',
      [link('d/up', '..'), link('escape', 'd/up/..')],
      'escape',
      'd/up/..',
      'leads outside',
    ],
    [
      'goes out at the end of a chain of links',
      [link('a', 'b'), link('b', 'c/deeper'), link('c', '.'), link('deeper', '../outside')],
      'a',
      'b',
      'leads outside',
    ],
    ['loops', [link('x', 'y'), link('y', 'x')], 'x', 'y', 'goes through more than 40 links'],
  ])('refuses a link that %s, before writing anything', async (_case, links, path, target, why) => {
    const dir = join(scratch(), 'out');
    const zip = pythonZip([{ name: 'fine.txt', data: 'fine' }, ...links]);

    const extracting = extractZip(zip, dir);

    await expect(extracting).rejects.toThrow(InvalidInputError);
    await expect(extracting).rejects.toThrow(
      `zip entry "${path}" is a symbolic link to "${target}", which ${why}`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses a link target longer than a path can be', async () => {
    const zip = pythonZip([link('long', 'a/'.repeat(3000))]);

    await expect(extractZip(zip, scratch())).rejects.toThrow(
      new InvalidInputError(
        'zip entry "long" is a symbolic link with a 6000-byte target; at most 4096 bytes are allowed',
      ),
    );
  });

  it('refuses an archive whose entries state more than the limit, before writing anything', async () => {
    const dir = join(scratch(), 'out');
    const zip = pythonZip([{ name: 'zeros', data: { zeros: 10 * 1024 * 1024 }, deflate: true }]);

    await expect(extractZip(zip, dir, { maxBytes: 1024 * 1024 })).rejects.toThrow(
      /^cannot read the zip archive: its entries state 10485760 bytes uncompressed, over the 1048576 bytes allowed/,
    );
    expect(existsSync(dir)).toBe(false);
  });
});
