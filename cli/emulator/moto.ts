/**
 * The patched moto server as a child process: started from cli/emulator/moto_launcher.py on a free loopback port,
 * ready once it prints its endpoint, exiting with this process; and stopped again, by this process or by PID from
 * another (jest's globalTeardown). What a running server is told to do is in moto-controls.ts. Each server gets
 * its own random credentials (emulator-credentials.ts), through its environment: it serves no other caller.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type EmulatorCredentials,
  forgetEmulator,
  LAUNCH_ENV,
  newEmulatorCredentials,
  rememberEmulator,
} from './emulator-credentials';
import { buildExecutorCommand, type EmulatorTimings } from './moto-controls';
import { resolveMotoPython } from './python-env';

/** The launcher sits next to this file, in the source tree and in any copy of `cli/`. */
const LAUNCHER = join(__dirname, 'moto_launcher.py');
const INSTALL_HINT =
  "set SWITCHYARD_PYTHON to a Python that has 'moto[server]==5.2.1', or pass no interpreter: Switchyard then " +
  'finds one on PATH or installs moto in a private environment of its own (cli/emulator/python-env.ts)';
/** The launcher's exit code when moto cannot be imported. */
const MISSING_MOTO_EXIT_CODE = 3;
const READY_LINE = /^moto ready on (http:\/\/\S+)$/m;
const STDERR_TAIL_CHARS = 4000;

export interface StartMotoOptions {
  /** Port on 127.0.0.1; default 0, the launcher binds a free port (no race between choosing and binding). */
  port?: number;
  /** File that receives moto's request log and tracebacks (truncated); without it only a tail is kept. */
  log?: string;
  /** Python interpreter with moto installed; default the one resolveMotoPython() finds or installs (python-env.ts). */
  python?: string;
  /** How long to wait for the ready line; default 30 s. */
  readyTimeoutMs?: number;
  /**
   * How long the emulator's slow AWS behaviours take (target health checks, deregistration, task start); the
   * ones left out keep the launcher's defaults, those of `switchyard local` (a few seconds in all). A reset
   * restores these. Tests pass `INSTANT_TIMINGS`.
   */
  timings?: Partial<EmulatorTimings>;
  /**
   * The command that runs builds for real once a control turns it on (`setBuildExecutor`); default the local build
   * runner (build-executor.js); null: builds are only ever scripted. Fixed for the server's life: no request can
   * change it.
   */
  buildExecutor?: string[] | null;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`. */
  endpoint: string;
  pid: number;
  /** The only credentials the server accepts: AWS requests signed with this key id, controls with this secret. */
  credentials: EmulatorCredentials;
  /** File with moto's log, when one was asked for. */
  log?: string;
  /** Kill the server (its whole process group) and wait until it has exited. */
  stop(): Promise<void>;
  /** Kill the server's process group at once (SIGKILL), without waiting: a forced stop. */
  kill(): void;
}

/** Start a patched moto server (cli/emulator/moto_launcher.py) that exits with this process. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? (await resolveMotoPython()).executable;
  // Only this user reads the log: it holds request lines, and a presigned URL's key id with them.
  const logFd = options.log === undefined ? undefined : openSync(options.log, 'w', 0o600);
  const args = [LAUNCHER, '--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  if (options.timings) args.push('--timings', JSON.stringify(options.timings));
  const executor = options.buildExecutor === undefined ? buildExecutorCommand() : options.buildExecutor;
  if (executor) args.push('--build-executor', JSON.stringify(executor));
  const credentials = newEmulatorCredentials();
  // Through the environment, which only this user can read (/proc/<pid>/environ), not argv, which `ps` shows.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [LAUNCH_ENV.accessKeyId]: credentials.accessKeyId,
    [LAUNCH_ENV.secretAccessKey]: credentials.secretAccessKey,
  };
  // The user's AWS profile and session mean nothing to the emulator, and a profile this machine's config lacks
  // makes botocore (under moto) refuse to start.
  for (const name of ['AWS_PROFILE', 'AWS_DEFAULT_PROFILE', 'AWS_SESSION_TOKEN']) delete env[name];
  let child: ChildProcess;
  try {
    child = spawn(python, [...args, '--parent-pid', String(process.pid)], {
      stdio: ['ignore', 'pipe', logFd ?? 'pipe'],
      env,
      // Its own process group (a new session): a terminal's Ctrl-C goes to the foreground group only, so the
      // server outlives it and `switchyard local` can still roll back through it. It is killed by group
      // (killGroup), and still exits with this process (--parent-pid: parent_watchdog.py).
      detached: true,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }

  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const tail = (): string => {
    const text = options.log === undefined ? stderrTail : readTail(options.log);
    return text.trim() ? `\nmoto's stderr (last lines):\n${text.trim()}` : '';
  };

  // Any exit of this process (process.exit included) takes the group with it at once; the watchdog covers a crash.
  const killAtExit = () => killGroup(child.pid, 'SIGKILL');
  process.once('exit', killAtExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      // What the server started in its group goes with it (by group only: the pid itself may be reused now).
      if (child.pid !== undefined) signal(-child.pid, 'SIGKILL');
      process.removeListener('exit', killAtExit);
      resolve();
    }),
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      killGroup(child.pid, 'SIGKILL');
      reject(
        new Error(
          `moto did not report ready within ${options.readyTimeoutMs ?? 30000} ms (${LAUNCHER})${tail()}`,
        ),
      );
    }, options.readyTimeoutMs ?? 30000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const match = READY_LINE.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const what =
        error.code === 'ENOENT' ? `${python} was not found on PATH` : `${python} failed: ${error.message}`;
      reject(
        new Error(`Cannot start the moto server: ${what}. It needs Python 3 with moto: ${INSTALL_HINT}`),
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the last stderr chunk arrive before quoting it.
      setImmediate(() => {
        const hint = code === MISSING_MOTO_EXIT_CODE ? ` moto is missing: ${INSTALL_HINT}.` : '';
        reject(
          new Error(
            `The moto server (${python} ${LAUNCHER}) exited before it was ready (code ${code}, signal ${signal}).${hint}${tail()}`,
          ),
        );
      });
    });
  });

  // Keep draining stdout so the launcher never blocks on a full pipe; stderr keeps its tail.
  child.stdout?.resume();
  const pid = child.pid;
  if (pid === undefined) throw new Error('The moto server started without a pid');
  rememberEmulator(endpoint, credentials);
  return {
    endpoint,
    pid,
    credentials,
    ...(options.log === undefined ? {} : { log: options.log }),
    stop: async () => {
      forgetEmulator(endpoint);
      if (child.exitCode === null && child.signalCode === null) {
        killGroup(child.pid, 'SIGTERM');
        const killed = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
    },
    kill: () => {
      forgetEmulator(endpoint);
      killGroup(child.pid, 'SIGKILL');
    },
  };
}

/**
 * Signals the process group `pid` leads (the server is spawned detached, so it leads one), else the process alone;
 * false when neither exists.
 */
function killGroup(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  return signal(-pid, sig) || signal(pid, sig);
}

/** Stop a moto server by PID from a process that did not start it (jest's globalTeardown). */
export async function stopMotoByPid(pid: number, timeoutMs = 5000): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  const deadline = Date.now() + timeoutMs;
  while (signal(pid, 0)) {
    if (Date.now() > deadline) {
      killGroup(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-STDERR_TAIL_CHARS);
  } catch {
    return '';
  }
}
