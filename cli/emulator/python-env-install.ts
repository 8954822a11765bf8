/**
 * Making the private environment: `python3 -m venv` in a folder of its own, pip installs the pinned moto with its
 * progress shown, the result is probed, the marker is written last and only then is the folder renamed into place.
 * So the environment's name only ever holds a complete, verified install; a failure removes what was made, and a
 * folder left by a killed run (`.building-<pid>-…`) is removed by the next one. Two runs that install at once each
 * build their own folder; the first rename wins and the other uses it.
 * venv: https://docs.python.org/3/library/venv.html; pip's environment variables (PIP_INDEX_URL, PIP_FIND_LINKS,
 * PIP_NO_INDEX, proxies): https://pip.pypa.io/en/stable/topics/configuration/
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  BUILDING_PREFIX,
  isRunning,
  MARKER,
  makePrivateDirs,
  rootProblem,
  venvName,
  venvPython,
} from './python-env-private';
import { lastLine, type MotoRequirement, type Probe, probePython, unsuitable } from './python-env-probe';

/** A Python environment could not be found or made; the message says what was tried and how to fix it. */
export class PythonEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PythonEnvError';
  }
}

/** What an install needs to know. */
export interface InstallContext {
  root: string;
  requirement: MotoRequirement;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  uid: number;
  /** Why no existing interpreter was used, for the one line that says where and why. */
  why: string;
}

/** Signs in pip's output that the package index was not reached (rather than, say, a version that does not exist). */
const UNREACHABLE =
  /NewConnectionError|Connection refused|Name or service not known|Temporary failure in name resolution|ProxyError|SSLError|timed out|Network is unreachable|No route to host|getaddrinfo failed/i;

/** Makes the environment for `base`'s Python, installs the requirement, verifies it and returns its probe. */
export async function installPrivateVenv(base: Probe, context: InstallContext): Promise<Probe> {
  const { root, requirement, env, log } = context;
  makePrivateDirs(root);
  const rootIssue = rootProblem(root, context.uid);
  if (rootIssue)
    throw new PythonEnvError(
      `Cannot make a private Python environment for the emulator: ${rootIssue}. Remove it (rm -rf '${root}') so it ` +
        `is made again, private to you, set XDG_CACHE_HOME to a folder of your own, or set SWITCHYARD_PYTHON to a ` +
        `Python that has ${requirement.pip}.`,
    );
  removeAbandoned(root);
  const final = join(root, venvName(base.version, requirement));
  // Before any work: a stranger's folder in the environment's place stops the install.
  refuseForeign(final, context.uid);
  const building = join(root, `${BUILDING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  log(
    `switchyard: ${context.why}; installing ${requirement.pip} into a private Python environment, ${final} ` +
      `(once; later runs reuse it)`,
  );
  makePrivateDirs(building);
  try {
    const venv = await run(base.executable, ['-m', 'venv', building], env, () => undefined);
    if (venv.code !== 0) throw new PythonEnvError(venvFailure(base, venv.output));
    const pip = await run(
      venvPython(building),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', requirement.pip],
      env,
      (line) => log(`  pip | ${line}`),
    );
    if (pip.code !== 0) throw new PythonEnvError(pipFailure(requirement, final, env, pip.output));
    const probe = await probePython(venvPython(building), requirement, env);
    const problem = unsuitable(probe, requirement);
    if (problem)
      throw new PythonEnvError(
        `pip installed ${requirement.pip} into ${building}, but the emulator still cannot use it: ${problem}. ` +
          `Set SWITCHYARD_PYTHON to a Python that has ${requirement.pip}.`,
      );
    chmodSync(building, 0o700);
    const marker = { requirement: requirement.pip, python: base.version, base: base.executable };
    writeFileSync(join(building, MARKER), `${JSON.stringify(marker)}\n`, { mode: 0o600, flag: 'wx' });
    replaceInto(building, final, context.uid);
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  const installed = await probePython(venvPython(final), requirement, env);
  const problem = unsuitable(installed, requirement);
  if (problem || !('executable' in installed))
    throw new PythonEnvError(
      `The private Python environment ${final} was made but does not run: ${problem}.`,
    );
  log(`switchyard: moto ${installed.moto} is ready in ${final}`);
  return installed;
}

/** Moves the finished folder to its name; an unusable folder of this user's there is removed first. */
function replaceInto(building: string, final: string, uid: number): void {
  if (refuseForeign(final, uid)) {
    // The caller found it unusable (unmarked, loosened or broken): set it aside, then out of the way.
    const aside = join(dirname(final), `${BUILDING_PREFIX}discarded-${randomBytes(4).toString('hex')}`);
    renameSync(final, aside);
    rmSync(aside, { recursive: true, force: true });
  }
  try {
    renameSync(building, final);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another run's rename came first: its environment is as complete as this one.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  }
}

/** Whether something is at `final`; throws when it is not this user's (it is neither used nor removed). */
function refuseForeign(final: string, uid: number): boolean {
  let existing: ReturnType<typeof lstatSync>;
  try {
    existing = lstatSync(final);
  } catch {
    return false;
  }
  if (existing.uid !== uid)
    throw new PythonEnvError(
      `Cannot install the emulator's Python environment: ${final} is there and owned by uid ${existing.uid}, not ` +
        `by you (uid ${uid}); it is not used. Remove it (rm -rf '${final}') or set XDG_CACHE_HOME to a folder of ` +
        'your own.',
    );
  return true;
}

/** Removes folders whose builder is gone (a run killed halfway), and set-aside ones. */
function removeAbandoned(root: string): void {
  for (const name of readdirSync(root)) {
    if (!name.startsWith(BUILDING_PREFIX)) continue;
    const pid = Number(/^\.building-(\d+)-/.exec(name)?.[1]);
    if (!pid || !isRunning(pid)) rmSync(join(root, name), { recursive: true, force: true });
  }
}

function venvFailure(base: Probe, output: string[]): string {
  const said = lastLine(output.join('\n')) || 'no output';
  const [major, minor] = base.version.split('.');
  return (
    `Cannot make a private Python environment for the emulator: \`${base.executable} -m venv\` failed (${said}). ` +
    `Install Python's venv module: on Debian and Ubuntu \`sudo apt install python3-venv\` (or ` +
    `python${major}.${minor}-venv); elsewhere reinstall Python 3 with ensurepip. Or set SWITCHYARD_PYTHON to a ` +
    `Python that has moto[server] installed.`
  );
}

function pipFailure(
  requirement: MotoRequirement,
  final: string,
  env: NodeJS.ProcessEnv,
  output: string[],
): string {
  const all = output.join('\n');
  const last = lastLine(all) || 'no output';
  // pip names where it looked (its configuration files and PIP_* included) in its first lines.
  const looked = output
    .filter((line) => /^Looking in (indexes|links): /.test(line))
    .map((line) => line.replace(/^Looking in /, '').trim());
  const where = looked.length > 0 ? looked.join('; ') : (env.PIP_INDEX_URL ?? 'https://pypi.org/simple');
  const reachLine = output.find((line) => UNREACHABLE.test(line));
  const reach =
    reachLine && (/new connection: ([^'"]+)/.exec(reachLine)?.[1] ?? reachLine.trim().slice(0, 300));
  // With retries off pip says nothing of the connection: only that it saw no version at all.
  const none = !reach && output.some((line) => /from versions: none/.test(line));
  return [
    `Cannot install the emulator's Python packages: \`pip install ${requirement.pip}\` into a new private ` +
      `environment (${final}) failed; pip looked in ${where}.`,
    reach ? `The package index could not be reached: ${reach.trim()}.` : undefined,
    none
      ? 'pip found no version at all there: the index was probably not reached (`pip -v` says why).'
      : undefined,
    `pip's last line: ${last}`,
    'Fix one of:',
    '  - behind a proxy or mirror: set HTTPS_PROXY, or PIP_INDEX_URL to your index, and run again;',
    `  - offline: put the wheels of ${requirement.pip} and its dependencies in a folder (\`pip download ` +
      `'${requirement.pip}' -d DIR\` on a connected machine), then set PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR;`,
    `  - or set SWITCHYARD_PYTHON to a Python that already has ${requirement.pip}.`,
    `Nothing half-made is left in ${dirname(final)}.`,
  ]
    .filter((line): line is string => line !== undefined)
    .join('\n');
}

/** Runs a child, passing each output line to `onLine` and keeping the last ones for the error message. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<{ code: number | null; output: string[] }> {
  return new Promise((resolve) => {
    const output: string[] = [];
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const take = (stream: NodeJS.ReadableStream | null) => {
      let pending = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (pending + chunk).split(/\r?\n|\r/);
        pending = lines.pop() ?? '';
        for (const line of lines) keep(line);
      });
      stream?.on('end', () => keep(pending));
    };
    const keep = (line: string) => {
      if (!line.trim()) return;
      output.push(line);
      if (output.length > 200) output.shift();
      onLine(line);
    };
    take(child.stdout);
    take(child.stderr);
    child.once('error', (error) => resolve({ code: -1, output: [...output, error.message] }));
    child.once('close', (code) => resolve({ code, output }));
  });
}
