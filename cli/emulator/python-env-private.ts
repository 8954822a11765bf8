/**
 * The private Python environments' folder and its checks, to the standard of the emulator's Lambda cache
 * (cli/emulator/lambda_node_cache.py): whatever Python is in there runs as this user, so a folder someone else owns
 * or can write is never used. `$XDG_CACHE_HOME/switchyard` (else `~/.cache/switchyard`) must be this user's and
 * writable by no one else; each environment `python-<major.minor>-moto-<version>` must be a real folder of this
 * user's with mode 0700 (no one else can reach what is inside) and hold a 0600 marker of this user's, written only
 * after the install was verified, that names the requirement it was made for.
 */
import { lstatSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { MotoRequirement } from './python-env-probe';

/** The marker's name inside an environment; it is written last, after the verified install. */
export const MARKER = '.switchyard-complete.json';
/** Prefix of a folder being built (`.building-<pid>-<random>`): never used, removed once its process is gone. */
export const BUILDING_PREFIX = '.building-';
const SHARED_WRITE = 0o022;

/** `$XDG_CACHE_HOME/switchyard`, else `~/.cache/switchyard` (the XDG base directory spec ignores a relative one). */
export function cacheRoot(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME ?? '';
  const base = isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'switchyard');
}

/** The folder name of the environment for a Python `major.minor` and the pinned moto. */
export function venvName(pythonVersion: string, requirement: MotoRequirement): string {
  return `python-${pythonVersion.split('.').slice(0, 2).join('.')}-moto-${requirement.version}`;
}

/** The interpreter inside an environment. */
export function venvPython(dir: string): string {
  return join(dir, 'bin', 'python');
}

/** The environments there are for this requirement, newest Python first (the folder may not exist). */
export function listVenvs(root: string, requirement: MotoRequirement): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const suffix = `-moto-${requirement.version}`;
  const version = (name: string): number[] =>
    name.slice('python-'.length, -suffix.length).split('.').map(Number);
  return names
    .filter(
      (name) =>
        name.startsWith('python-') &&
        name.endsWith(suffix) &&
        /^\d+\.\d+$/.test(name.slice('python-'.length, -suffix.length)),
    )
    .sort((a, b) => {
      const [am = 0, an = 0] = version(a);
      const [bm = 0, bn = 0] = version(b);
      return bm - am || bn - an;
    })
    .map((name) => join(root, name));
}

/** Why the cache folder may not hold an interpreter this user runs, or undefined when it is this user's alone. */
export function rootProblem(root: string, uid: number): string | undefined {
  let link: ReturnType<typeof lstatSync>;
  let target: ReturnType<typeof statSync>;
  try {
    link = lstatSync(root);
    target = statSync(root);
  } catch (error) {
    return `${root} cannot be read (${(error as Error).message})`;
  }
  for (const info of [link, target]) {
    if (info.uid !== uid) return `${root} is owned by uid ${info.uid}, not by you (uid ${uid})`;
  }
  if (!target.isDirectory()) return `${root} is not a folder`;
  if (target.mode & SHARED_WRITE)
    return `${root} is writable by its group or others (mode ${octal(target.mode)})`;
  return undefined;
}

/** Why an environment may not be used, or undefined when it is private, this user's and marked complete. */
export function venvProblem(dir: string, requirement: MotoRequirement, uid: number): string | undefined {
  let info: ReturnType<typeof lstatSync>;
  try {
    info = lstatSync(dir);
  } catch (error) {
    return `it cannot be read (${(error as Error).message})`;
  }
  if (!info.isDirectory()) return 'it is not a folder (a link or a file)';
  if (info.uid !== uid) return `it is owned by uid ${info.uid}, not by you (uid ${uid})`;
  if (info.mode & 0o077) return `its mode is ${octal(info.mode)}, not 0700`;
  const marker = join(dir, MARKER);
  let mark: ReturnType<typeof lstatSync>;
  try {
    mark = lstatSync(marker);
  } catch {
    return 'it has no completion marker (its install never finished)';
  }
  if (!mark.isFile() || mark.uid !== uid || mark.mode & 0o077)
    return `its marker ${marker} is not a 0600 file of yours`;
  try {
    const written = JSON.parse(readFileSync(marker, 'utf8')) as { requirement?: unknown };
    if (written.requirement !== requirement.pip)
      return `it was made for ${String(written.requirement)}, not ${requirement.pip}`;
  } catch {
    return `its marker ${marker} is not the JSON Switchyard writes`;
  }
  return undefined;
}

/** Creates each missing folder of `path` with mode 0700 (a folder made at the same time elsewhere is fine). */
export function makePrivateDirs(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/** Whether a process with that pid still runs (a folder it was building is then left alone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
