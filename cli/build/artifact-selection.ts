/**
 * Selects the files of a build's artifact from the source tree the way CodeBuild does: the buildspec's
 * artifacts section (files, exclude-paths, base-directory, discard-paths) matched as globs against the
 * tree the runner listed. A location that starts with / names files outside the source, as AWS's sample
 * aws-samples/ecs-blue-green-deployment-with-codedeploy ships /tmp/build.json: with discard-paths it becomes its
 * file name; without it, its path from / (tmp/build.json), since the buildspec reference does not describe
 * absolute locations (https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.artifacts.files).
 * Pure: no file system.
 */
import { basename } from 'node:path/posix';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { BuildspecArtifacts } from './buildspec-schema';

/** One path under the source directory (or under an absolute location's directory), as the runner found it. */
export interface TreeEntry {
  /** Relative to CODEBUILD_SRC_DIR, `/`-separated; or absolute, for a file an absolute location names. */
  path: string;
  /** A symbolic link is listed as 'file' or 'directory' when followed, 'symlink' when kept. */
  kind: 'file' | 'directory' | 'symlink';
}

/** A file to put in the artifact. */
export interface ArtifactFile {
  /** Relative to CODEBUILD_SRC_DIR, or absolute (outside it). */
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
  const [outside, inside] = partition(tree, (entry) => isAbsolute(entry.path));
  const [absoluteFiles, relativeFiles] = partition(artifacts.files, isAbsolute);
  const [absoluteExcludes, relativeExcludes] = partition(artifacts.excludePaths, isAbsolute);
  const includes = relativeFiles.map(matcher);
  const excludes = relativeExcludes.map(matcher);
  const seen = new Set<string>();
  const files: ArtifactFile[] = [];
  const add = (source: string, relative: string) => {
    const archivePath = artifacts.discardPaths ? basename(relative) : relative;
    // With discard-paths two files can share a name; the first one found is kept.
    if (seen.has(archivePath)) return;
    seen.add(archivePath);
    files.push({ source, archivePath });
  };
  const bases = relativeFiles.length > 0 ? baseDirectories(inside, artifacts.baseDirectory) : [];
  for (const base of bases) {
    for (const entry of inside) {
      if (entry.kind === 'directory') continue;
      if (base !== '' && !entry.path.startsWith(`${base}/`)) continue;
      const relative = base === '' ? entry.path : entry.path.slice(base.length + 1);
      if (!includes.some((match) => match(relative)) || excludes.some((match) => match(relative))) continue;
      add(entry.path, relative);
    }
  }
  // An absolute location is not under base-directory; its files are named by their path from /.
  const absoluteIncludes = absoluteFiles.map(matcher);
  const absoluteExcluded = absoluteExcludes.map(matcher);
  for (const entry of outside) {
    if (entry.kind === 'directory' || !absoluteIncludes.some((match) => match(entry.path))) continue;
    const relative = entry.path.replace(/^\/+/, '');
    if (absoluteExcluded.some((match) => match(entry.path)) || excludes.some((match) => match(relative)))
      continue;
    add(entry.path, relative);
  }
  if (files.length === 0) throw new InvalidInputError('no matching artifact paths found');
  return files;
}

/** True for a location that starts with /: a path outside CODEBUILD_SRC_DIR. */
export function isAbsolute(location: string): boolean {
  return location.trim().startsWith('/');
}

/** The absolute locations' fixed parts: the directory to list for each, and how deep its pattern reaches. */
export function absoluteRoots(locations: string[]): Array<{ location: string; root: string; depth: number }> {
  return locations.filter(isAbsolute).map((location) => {
    const parts = normalize(location).split('/').slice(1);
    const glob = parts.findIndex((part) => /[*?[]/.test(part));
    if (glob < 0) return { location, root: `/${parts.join('/')}`, depth: Number.POSITIVE_INFINITY };
    const rest = parts.slice(glob);
    return {
      location,
      root: `/${parts.slice(0, glob).join('/')}`,
      depth: rest.some((part) => part.includes('**')) ? Number.POSITIVE_INFINITY : rest.length,
    };
  });
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
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
