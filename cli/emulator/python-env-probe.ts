/**
 * One Python call that says whether an interpreter can run the emulator: its version and real path, moto's version,
 * whether the server's modules import, and whether it could make a virtual environment. Nothing is remembered
 * between calls: every resolution asks again, so an uninstalled moto or a removed interpreter is seen at once.
 */
import { execFile } from 'node:child_process';

/** What the emulator needs from Python: the pip requirement, the moto version and the modules the server imports. */
export interface MotoRequirement {
  /** What pip installs into the private environment, e.g. `moto[server]==5.2.1`. */
  pip: string;
  /** The pinned version (names the private environment's folder); any `major.minor.x` of it is accepted. */
  version: string;
  /** Modules that must import besides `moto` (the `[server]` extra's: flask, flask_cors, werkzeug). */
  modules: string[];
}

/** moto 5.2.1 with its server: what cli/emulator/moto_launcher.py imports before it starts. */
export const MOTO_REQUIREMENT: MotoRequirement = {
  pip: 'moto[server]==5.2.1',
  version: '5.2.1',
  modules: ['flask', 'flask_cors', 'werkzeug.serving', 'moto.moto_server.werkzeug_app'],
};

/** moto 5.2 supports Python 3.9 and later (its package metadata's Requires-Python). */
export const MIN_PYTHON: readonly [number, number] = [3, 9];

/** What one interpreter answered. */
export interface Probe {
  /** The command or path that was run. */
  command: string;
  /** The interpreter's own path (sys.executable): what the emulator is then started with. */
  executable: string;
  /** `3.11.7`. */
  version: string;
  /** moto's `__version__`, or undefined when moto does not import. */
  moto?: string;
  /** Each module that did not import, with Python's reason. */
  problems: string[];
  /** Whether `venv` and `ensurepip` are there (Debian and Ubuntu ship them apart, in python3-venv). */
  canMakeVenv: boolean;
}

/** The interpreter could not be run at all. */
export interface ProbeFailure {
  command: string;
  /** `not found` (ENOENT), or why it failed. */
  reason: string;
  missing: boolean;
}

// `-c` puts the working directory first on sys.path: a folder named moto there must not pass for moto.
const SCRIPT = `
import importlib, importlib.util, json, sys
if sys.path and sys.path[0] in ("", "."):
    sys.path.pop(0)
out = {"executable": sys.executable, "version": "%d.%d.%d" % sys.version_info[:3], "moto": None, "problems": []}
try:
    import moto
    out["moto"] = str(getattr(moto, "__version__", "unknown"))
except Exception as error:
    out["problems"].append("moto: %s" % error)
else:
    for name in json.loads(sys.argv[1]):
        try:
            importlib.import_module(name)
        except Exception as error:
            out["problems"].append("%s: %s" % (name, error))
def found(name):
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:
        return False
out["venv"] = found("venv") and found("ensurepip")
print("SWITCHYARD-PROBE " + json.dumps(out))
`;

const PROBE_TIMEOUT_MS = 60_000;

/** Runs the probe with `command` (a path or a name looked up on env.PATH). */
export function probePython(
  command: string,
  requirement: MotoRequirement,
  env: NodeJS.ProcessEnv,
): Promise<Probe | ProbeFailure> {
  return new Promise((resolve) => {
    execFile(
      command,
      ['-c', SCRIPT, JSON.stringify(requirement.modules)],
      { env, timeout: PROBE_TIMEOUT_MS, encoding: 'utf8', maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((text) => text.startsWith('SWITCHYARD-PROBE '));
        if (line) {
          const out = JSON.parse(line.slice('SWITCHYARD-PROBE '.length)) as {
            executable: string;
            version: string;
            moto: string | null;
            problems: string[];
            venv: boolean;
          };
          resolve({
            command,
            executable: out.executable || command,
            version: out.version,
            ...(out.moto === null ? {} : { moto: out.moto }),
            problems: out.problems,
            canMakeVenv: out.venv,
          });
          return;
        }
        const code = (error as NodeJS.ErrnoException | null)?.code;
        if (code === 'ENOENT') {
          resolve({ command, reason: 'not found', missing: true });
          return;
        }
        const said = lastLine(stderr) || lastLine(stdout) || error?.message || 'no answer';
        resolve({ command, reason: `it did not run as Python 3 (${said})`, missing: false });
      },
    );
  });
}

/** Whether the probe ran. */
export function ran(probe: Probe | ProbeFailure): probe is Probe {
  return 'executable' in probe;
}

/** Why this interpreter cannot run the emulator, or undefined when it can. */
export function unsuitable(probe: Probe | ProbeFailure, requirement: MotoRequirement): string | undefined {
  if (!ran(probe)) return probe.reason;
  if (!isAtLeast(probe.version, MIN_PYTHON))
    return `it is Python ${probe.version}; moto needs ${MIN_PYTHON.join('.')}+`;
  if (probe.moto === undefined) return probe.problems[0] ?? 'moto does not import';
  const series = requirement.version.split('.').slice(0, 2).join('.');
  if (probe.moto !== series && !probe.moto.startsWith(`${series}.`))
    return `it has moto ${probe.moto}, the emulator needs ${series}.x`;
  if (probe.problems.length > 0) return `moto's server does not import (${probe.problems.join('; ')})`;
  return undefined;
}

/** Whether `version` (`3.11.7`) is at least `[major, minor]`. */
export function isAtLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [m = 0, n = 0] = version.split('.').map(Number);
  return m > major || (m === major && n >= minor);
}

/** The last line with text, for quoting a child's error. */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return lines[lines.length - 1] ?? '';
}
