/**
 * Which Python runs the emulator (cli/emulator/moto_launcher.py), found or made without the user's help:
 *   1. `SWITCHYARD_PYTHON`, when set: it must run and have moto 5.2.x with its server, else a clear error;
 *   2. Switchyard's private environment, `$XDG_CACHE_HOME/switchyard/python-<major.minor>-moto-5.2.1` (else under
 *      `~/.cache`), when it is this user's alone and marked complete (python-env-private.ts);
 *   3. `python3`, then `python`, on PATH, when it already has moto 5.2.x with its server;
 *   4. else that private environment is made with `python3 -m venv` and pip (python-env-install.ts), pip's progress
 *      shown, and used from then on.
 * Each candidate is checked with one Python call every time (python-env-probe.ts): nothing is cached that could
 * go stale. `switchyard local`, the jest harness (test/support/global-setup.ts) and CI, which runs the tests, all
 * resolve through here.
 */
import { existsSync } from 'node:fs';
import { installPrivateVenv, PythonEnvError } from './python-env-install';
import { cacheRoot, listVenvs, rootProblem, venvProblem, venvPython } from './python-env-private';
import {
  isAtLeast,
  MIN_PYTHON,
  MOTO_REQUIREMENT,
  type MotoRequirement,
  type Probe,
  type ProbeFailure,
  probePython,
  ran,
  unsuitable,
} from './python-env-probe';

export { PythonEnvError } from './python-env-install';
export { MOTO_REQUIREMENT, type MotoRequirement } from './python-env-probe';

/** The variable that names the emulator's interpreter. */
export const PYTHON_VARIABLE = 'SWITCHYARD_PYTHON';

/** Where the interpreter came from. */
export type MotoPythonSource = 'SWITCHYARD_PYTHON' | 'private environment' | 'PATH' | 'installed';

/** An interpreter that can run the emulator. */
export interface MotoPython {
  /** Its path (sys.executable): start moto_launcher.py with it. */
  executable: string;
  source: MotoPythonSource;
  pythonVersion: string;
  motoVersion: string;
}

export interface ResolveMotoPythonOptions {
  /** The environment to read (SWITCHYARD_PYTHON, PATH, XDG_CACHE_HOME, HOME, PIP_*) and to run Python with. */
  env?: NodeJS.ProcessEnv;
  /** Where the progress lines go; default stderr. */
  log?: (line: string) => void;
  /** What to install and check; default moto[server]==5.2.1 (tests install a small stand-in). */
  requirement?: MotoRequirement;
  /** The user the private folders must belong to; default this process's effective uid. */
  uid?: number;
}

/** Finds (or installs) the Python that runs the emulator; a PythonEnvError says what was tried and the fixes. */
export async function resolveMotoPython(options: ResolveMotoPythonOptions = {}): Promise<MotoPython> {
  const env = options.env ?? process.env;
  const requirement = options.requirement ?? MOTO_REQUIREMENT;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const uid = options.uid ?? process.geteuid?.() ?? 0;

  const named = env[PYTHON_VARIABLE];
  if (named) return fromVariable(named, requirement, env);

  const tried: string[] = [];
  const root = cacheRoot(env);
  if (existsSync(root)) {
    const issue = rootProblem(root, uid);
    if (issue) {
      log(`switchyard: not using the private Python environments in ${root}: ${issue}`);
      tried.push(`the private environments (${issue})`);
    } else {
      for (const dir of listVenvs(root, requirement)) {
        // A folder that fails the checks is never run: its Python is not asked anything.
        const refused = venvProblem(dir, requirement, uid);
        const probe = refused ? undefined : await probePython(venvPython(dir), requirement, env);
        const problem = refused ?? (probe && unsuitable(probe, requirement));
        if (probe && ran(probe) && !problem) return chosen(probe, 'private environment');
        log(`switchyard: not using the private Python environment ${dir}: ${problem}`);
        tried.push(`${dir} (${problem})`);
      }
    }
  }

  const probes: Array<Probe | ProbeFailure> = [];
  for (const command of ['python3', 'python']) {
    const probe = await probePython(command, requirement, env);
    probes.push(probe);
    const problem = unsuitable(probe, requirement);
    if (ran(probe) && !problem) return chosen(probe, 'PATH');
    tried.push(`${command} on PATH (${problem})`);
  }

  const base = probes.find((probe): probe is Probe => ran(probe) && isAtLeast(probe.version, MIN_PYTHON));
  if (!base) throw new PythonEnvError(noPython(probes, requirement));
  if (!base.canMakeVenv) throw new PythonEnvError(noVenv(base, requirement));
  const series = requirement.version.split('.').slice(0, 2).join('.');
  const installed = await installPrivateVenv(base, {
    root,
    requirement,
    env,
    log,
    uid,
    why: `no Python with moto ${series}.x was found (tried ${tried.join('; ')})`,
  });
  return chosen(installed, 'installed');
}

async function fromVariable(named: string, requirement: MotoRequirement, env: NodeJS.ProcessEnv) {
  const probe = await probePython(named, requirement, env);
  const problem = unsuitable(probe, requirement);
  if (ran(probe) && !problem) return chosen(probe, 'SWITCHYARD_PYTHON');
  const what = ran(probe) ? `${named} (Python ${probe.version}, ${probe.executable})` : named;
  const fix = ran(probe)
    ? `install it there (\`${probe.executable} -m pip install '${requirement.pip}'\`), point ${PYTHON_VARIABLE} at a Python that has it`
    : `point ${PYTHON_VARIABLE} at an existing Python 3 interpreter that has ${requirement.pip}`;
  throw new PythonEnvError(
    `${PYTHON_VARIABLE}=${named} cannot run the emulator: ${what}: ${problem}. Fix: ${fix}, or unset ` +
      `${PYTHON_VARIABLE} so Switchyard finds a Python with moto or installs ${requirement.pip} in a private ` +
      'environment of its own.',
  );
}

function chosen(probe: Probe, source: MotoPythonSource): MotoPython {
  return {
    executable: probe.executable,
    source,
    pythonVersion: probe.version,
    motoVersion: probe.moto ?? '',
  };
}

function noPython(probes: Array<Probe | ProbeFailure>, requirement: MotoRequirement): string {
  const seen = probes.map((probe) =>
    ran(probe) ? `${probe.command}: Python ${probe.version}` : `${probe.command}: ${probe.reason}`,
  );
  return (
    `No Python ${MIN_PYTHON.join('.')}+ to run the emulator (moto): ${PYTHON_VARIABLE} is unset and on PATH ` +
    `${seen.join(', ')}. Install Python 3 with its venv module (Debian/Ubuntu: \`sudo apt install python3 ` +
    'python3-venv`; Fedora: `sudo dnf install python3`; macOS: `brew install python`) and run again: Switchyard ' +
    `then installs ${requirement.pip} in a private environment. Or set ${PYTHON_VARIABLE} to a Python that has it.`
  );
}

function noVenv(base: Probe, requirement: MotoRequirement): string {
  const [major, minor] = base.version.split('.');
  return (
    `No Python with moto was found and ${base.command} (Python ${base.version}, ${base.executable}) cannot make ` +
    `the private environment to install ${requirement.pip} in: its venv/ensurepip modules are missing. On ` +
    `Debian and Ubuntu install them with \`sudo apt install python3-venv\` (or python${major}.${minor}-venv); ` +
    `or set ${PYTHON_VARIABLE} to a Python that has ${requirement.pip}.`
  );
}
