/**
 * Extracts a zip onto disk (the CLI's local builds), each file streamed from the archive to its place so that
 * memory holds a chunk at a time. The archive is checked before anything is written: entry paths and total
 * size (read.ts), and every symbolic link, which must lead inside the extraction directory when followed,
 * through the archive's other links too. Links are created last, so no file is written through one.
 */
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, symlink } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ZipFile } from 'yauzl';
import { InvalidInputError } from '../shared/errors';
import { entryData, inflateEntry, type ListedEntry, openZip } from './read';

/** An extracted entry; its data is on disk. */
export type ExtractedEntry = Pick<ListedEntry, 'path' | 'kind' | 'mode'>;

/** How many bytes extractZip writes in all by default. */
export const MAX_EXTRACT_BYTES = 8 * 1024 ** 3;
/** The longest link target read (PATH_MAX on Linux). */
const MAX_LINK_TARGET = 4096;
/** Links followed in one resolution before giving up, as Linux does (MAXSYMLINKS). */
const MAX_LINK_HOPS = 40;

/**
 * Extracts a zip into `dir` (created if missing); refuses, before writing anything, an archive with an entry
 * or a link that would land outside it.
 */
export async function extractZip(
  zip: Buffer,
  dir: string,
  limits: { maxBytes?: number } = {},
): Promise<ExtractedEntry[]> {
  const root = resolve(dir);
  const { zipfile, entries } = await openZip(zip, limits.maxBytes ?? MAX_EXTRACT_BYTES, {
    refuseGitPaths: true,
  });
  try {
    const links = await readLinks(zipfile, entries);
    for (const [path, target] of links) checkLink(links, path, target);
    await mkdir(root, { recursive: true });
    for (const entry of entries) {
      const full = inside(root, entry.path);
      if (entry.kind === 'directory') await mkdir(full, { recursive: true });
      if (entry.kind !== 'file') continue;
      await mkdir(dirname(full), { recursive: true });
      await pipeline(inflateEntry(zipfile, entry), createWriteStream(full));
      await chmod(full, entry.mode & 0o777);
    }
    for (const [path, target] of links) {
      const full = inside(root, path);
      await mkdir(dirname(full), { recursive: true });
      await symlink(target, full);
    }
    return entries.map(({ path, kind, mode }) => ({ path, kind, mode }));
  } finally {
    zipfile.close();
  }
}

/** The archive's symbolic links, normalized path → target. */
async function readLinks(zipfile: ZipFile, entries: ListedEntry[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  for (const entry of entries.filter((e) => e.kind === 'symlink')) {
    if (entry.size > MAX_LINK_TARGET) {
      throw new InvalidInputError(
        `zip entry "${entry.path}" is a symbolic link with a ${entry.size}-byte target; at most ${MAX_LINK_TARGET} bytes are allowed`,
      );
    }
    links.set(parts(entry.path).join('/'), (await entryData(zipfile, entry)).toString('utf8'));
  }
  return links;
}

function checkLink(links: Map<string, string>, path: string, target: string): void {
  const hops = { left: MAX_LINK_HOPS };
  const parent = follow(links, [], parts(path).slice(0, -1).join('/'), hops);
  const followed = typeof parent === 'string' ? parent : follow(links, parent, target, hops);
  if (followed === 'outside') {
    throw new InvalidInputError(
      `zip entry "${path}" is a symbolic link to "${target}", which leads outside the extraction directory`,
    );
  }
  if (followed === 'loop') {
    throw new InvalidInputError(
      `zip entry "${path}" is a symbolic link to "${target}", which goes through more than ${MAX_LINK_HOPS} links (a loop?)`,
    );
  }
}

/**
 * Where `path`, taken from directory `from` (components under the extraction directory), leads once the
 * archive's links are followed as the kernel follows them: each link is replaced by its target before the
 * next component is read, so a ".." after a link climbs from where the link points.
 */
function follow(
  links: Map<string, string>,
  from: string[],
  path: string,
  hops: { left: number },
): string[] | 'outside' | 'loop' {
  if (path.startsWith('/')) return 'outside';
  const at = [...from];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.pop() === undefined) return 'outside';
      continue;
    }
    at.push(part);
    const target = links.get(at.join('/'));
    if (target === undefined) continue;
    hops.left -= 1;
    if (hops.left < 0) return 'loop';
    const resolved = follow(links, at.slice(0, -1), target, hops);
    if (typeof resolved === 'string') return resolved;
    at.splice(0, at.length, ...resolved);
  }
  return at;
}

function parts(path: string): string[] {
  return path.split('/').filter((part) => part !== '' && part !== '.');
}

function inside(root: string, path: string): string {
  const full = resolve(root, path);
  if (full !== root && !full.startsWith(root + sep)) {
    throw new InvalidInputError(`zip entry "${path}" points outside the extraction directory`);
  }
  return full;
}
