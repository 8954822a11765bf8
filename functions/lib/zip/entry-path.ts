/**
 * The paths a zip entry may have, the same for the writer and the reader (what one writes, the other reads):
 * non-empty and relative, no ".." component (it would reach outside the directory the archive is extracted
 * to) and no ".git" component (it would write into a git directory, whose hooks and config run code).
 */

/** Why an entry path is refused. */
export type EntryPathProblem = 'empty' | 'absolute' | 'parent' | 'git';

// Backslashes count as separators too: Windows tools extract them as such.
const SEPARATORS = /[\\/]/;
const ABSOLUTE = /^([\\/]|[a-zA-Z]:)/;
// Case-insensitive filesystems (macOS, Windows) take ".GIT" for ".git"; Windows drops trailing dots and
// spaces.
const GIT = /^\.git[. ]*$/i;

/** What is wrong with an entry path, or undefined when the archive may hold it. */
export function entryPathProblem(path: string): EntryPathProblem | undefined {
  if (path === '') return 'empty';
  if (ABSOLUTE.test(path)) return 'absolute';
  const parts = path.split(SEPARATORS);
  if (parts.includes('..')) return 'parent';
  if (parts.some((part) => GIT.test(part))) return 'git';
  return undefined;
}
