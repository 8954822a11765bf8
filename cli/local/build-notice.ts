/**
 * `switchyard local --repo PATH` runs that repository's buildspec on this machine, as the user. Before the first run
 * of a repository's commit (the sample app aside) it says so, once: which repository, commit and buildspec, what the
 * build can reach, and how to hide the notice. It never asks and never waits, so a run in CI does not hang: Ctrl-C
 * stops the run before the build starts (the emulator and the target are prepared first). The commits already
 * announced are remembered in the user's cache folder, one `<commit> <repository path>` line each.
 */
import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Repository } from './repository';

/** What the notice depends on besides the repository. */
export interface BuildNoticeOptions {
  /** `--trust`: the user has read the buildspec; no notice. */
  trust?: boolean;
  /** `--inherit-env`: the build gets the user's whole environment, which the notice then says. */
  inheritEnv?: boolean;
  /** The user's Switchyard cache folder; default userCacheDir(). */
  cacheDir?: string;
}

/** `$XDG_CACHE_HOME/switchyard`, else `~/.cache/switchyard` (the XDG base directory spec ignores a relative one). */
export function userCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME ?? '';
  return join(isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'switchyard');
}

const RECORD = 'announced-builds';

/** The lines to print before running this repository's build, or [] when there is nothing to say. */
export function buildNotice(repo: Repository, options: BuildNoticeOptions = {}): string[] {
  if (repo.temporary || options.trust) return [];
  const cacheDir = options.cacheDir ?? userCacheDir();
  const entry = `${repo.commitId} ${repo.path}`;
  if (announced(cacheDir).has(entry)) return [];
  const buildspec = repo.layout.buildspec.path;
  const environment = options.inheritEnv
    ? "with your whole environment (--inherit-env): every variable of yours, your AWS credentials aside (the emulator's replace them)"
    : "with CodeBuild's variables, the emulator's endpoint and credentials, --build-env and the buildspec's own " +
      'variables, and of your environment only PATH, LANG, LC_*, TERM, TMPDIR, TZ and DOCKER_HOST (not your ' +
      'AWS_PROFILE, AWS_SESSION_TOKEN or other variables; --inherit-env passes them all)';
  remember(cacheDir, entry);
  return [
    `notice: this runs ${buildspec} of ${repo.path} (commit ${repo.commitId.slice(0, 12)}) on this machine, as you:`,
    '  its commands can read and change your files, reach your network and use your Docker daemon. It runs',
    `  ${environment}.`,
    '  Read the buildspec (and the scripts it calls) if you do not know it; Ctrl-C stops the run before the build.',
    `  This notice is shown once per commit of a repository (remembered in ${join(cacheDir, RECORD)});`,
    '  --trust hides it.',
  ];
}

/** The commits already announced; a record that others could have written counts for nothing. */
function announced(cacheDir: string): Set<string> {
  const file = join(cacheDir, RECORD);
  try {
    const info = lstatSync(file);
    const mine = typeof process.getuid !== 'function' || info.uid === process.getuid();
    if (!info.isFile() || !mine || (info.mode & 0o022) !== 0) return new Set();
    return new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean));
  } catch {
    return new Set();
  }
}

/** Adds one line to the record (folder 0700, file 0600); a failure only means the notice is shown again. */
function remember(cacheDir: string, entry: string): void {
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
    const fd = openSync(join(cacheDir, RECORD), 'a', 0o600);
    try {
      writeSync(fd, `${entry}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not remembered: the next run shows the notice again, which is the safe side.
  }
}
