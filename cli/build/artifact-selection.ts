/**
 * Selects the files of a build's artifact from the source tree the way CodeBuild does: the buildspec's
 * artifacts section (files, exclude-paths, base-directory, discard-paths) matched as globs against the
 * tree the runner listed. Pure: no file system.
 */
import { basename } from 'node:path/posix';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { BuildspecArtifacts } from './buildspec-schema';

/** One path under the source directory, as the runner found it. */
export interface TreeEntry {
  /** Relative to CODEBUILD_SRC_DIR, `/`-separated. */
  path: string;
  /** A symbolic link is listed as 'file' or 'directory' when followed, 'symlink' when kept. */
  kind: 'file' | 'directory' | 'symlink';
}

/** A file to put in the artifact. */
export interface ArtifactFile {
  /** Relative to CODEBUILD_SRC_DIR. */
  source: string;
  /** Its path inside the artifact. */
  archivePath: string;
}

/**
 * The files of `tree` that `artifacts` selects, as CodeBuild selects them: `files` and `exclude-paths`
 * are globs relative to each directory `base-directory` matches (itself a glob), `*` stays within a
 * path component, `**` crosses them, a plain directory name takes everything under it, and
 * `discard-paths` keeps only file names. Throws InvalidInputError with CodeBuild's own messages.
 */
export function selectArtifactFiles(tree: TreeEntry[], artifacts: BuildspecArtifacts): ArtifactFile[] {
  const bases = baseDirectories(tree, artifacts.baseDirectory);
  const includes = artifacts.files.map(matcher);
  const excludes = artifacts.excludePaths.map(matcher);
  const seen = new Set<string>();
  const files: ArtifactFile[] = [];
  for (const base of bases) {
    for (const entry of tree) {
      if (entry.kind === 'directory') continue;
      if (base !== '' && !entry.path.startsWith(`${base}/`)) continue;
      const relative = base === '' ? entry.path : entry.path.slice(base.length + 1);
      if (!includes.some((match) => match(relative)) || excludes.some((match) => match(relative))) continue;
      const archivePath = artifacts.discardPaths ? basename(relative) : relative;
      // With discard-paths two files can share a name; the first one found is kept.
      if (seen.has(archivePath)) continue;
      seen.add(archivePath);
      files.push({ source: entry.path, archivePath });
    }
  }
  if (files.length === 0) throw new InvalidInputError('no matching artifact paths found');
  return files;
}

function baseDirectories(tree: TreeEntry[], baseDirectory: string | undefined): string[] {
  if (baseDirectory === undefined) return [''];
  const pattern = normalize(baseDirectory);
  if (pattern === '') return [''];
  const regex = globToRegExp(pattern);
  const bases = tree
    .filter((entry) => entry.kind === 'directory' && regex.test(entry.path))
    .map((e) => e.path);
  if (bases.length === 0)
    throw new InvalidInputError(`no matching base directory path found for ${baseDirectory}`);
  return bases;
}

function matcher(pattern: string): (path: string) => boolean {
  const normal = normalize(pattern);
  const regex = globToRegExp(normal);
  const literalDirectory = !/[*?[]/.test(normal) && normal !== '';
  return (path) => regex.test(path) || (literalDirectory && path.startsWith(`${normal}/`));
}

function normalize(pattern: string): string {
  return pattern
    .trim()
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/$/, '')
    .replace(/^\.$/, '');
}

/** A glob as a RegExp over `/`-separated relative paths: `**` any depth, `*` and `?` within a component. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 3;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 2;
    } else if (pattern[i] === '*') {
      source += '[^/]*';
      i += 1;
    } else if (pattern[i] === '?') {
      source += '[^/]';
      i += 1;
    } else {
      source += (pattern[i] ?? '').replace(/[.+^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}
