/**
 * The build's shell session. CodeBuild 0.2 runs "all build commands in the same instance of the default
 * shell", so `cd`, assignments and exports carry over between commands and phases. Each command runs in a
 * fresh shell (bash, or /bin/sh: see resolveShell) that first sources the state the previous command left
 * (`export -p` output and the working directory), runs the command in the current shell with `set -a` (so
 * plain assignments carry over too), and saves the state again from an EXIT trap. Compared with one long-lived
 * shell fed commands on stdin, a command cannot read the next commands from stdin, `exit 3` ends only that
 * command (with status 3), and the exit status needs no in-band marker in the output.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { Interrupt } from './interrupt';
import { LineSplitter } from './log';

/** The build's directories: CODEBUILD_SRC_DIR, the shell state between commands, and HOME. */
export interface Dirs {
  src: string;
  state: string;
  home: string;
}

/** How long output may keep flowing after a command exits (a background job holding the pipe). */
const OUTPUT_GRACE_MS = 200;

/** The build's shell state on disk, and a fresh shell per command that restores and saves it. */
export class ShellSession {
  private readonly groups = new Set<number>();
  private readonly envFile: string;
  private readonly cwdFile: string;

  constructor(
    private readonly shell: string,
    private readonly dirs: Dirs,
    private readonly interrupt: Interrupt,
  ) {
    this.envFile = join(dirs.state, 'env.sh');
    this.cwdFile = join(dirs.state, 'cwd');
  }

  async start(env: Record<string, string>): Promise<void> {
    const lines = Object.entries(env).map(([name, value]) => `export ${name}=${quote(value)}\n`);
    await writeFile(this.envFile, lines.join(''));
    await writeFile(this.cwdFile, `${this.dirs.src}\n`);
  }

  /** Runs one command where the previous one left off; its output (stdout and stderr merged) goes to `onLine`. */
  async run(command: string, succeeding: boolean, onLine: (line: string) => void) {
    const commandFile = join(this.dirs.state, 'command.sh');
    const scriptFile = join(this.dirs.state, 'run.sh');
    await writeFile(commandFile, `${command}\n`);
    // `set -- "$?"` keeps the status without a variable that `set -a` would export into the state.
    const save = `set -- "$?"; set +a; export -p > ${quote(this.envFile)}; pwd > ${quote(this.cwdFile)}; exit "$1"`;
    const script = [
      'exec 2>&1',
      `. ${quote(this.envFile)}`,
      `CODEBUILD_BUILD_SUCCEEDING=${succeeding ? 1 : 0}`,
      'export CODEBUILD_BUILD_SUCCEEDING',
      `trap ${quote(save)} EXIT`,
      'set -a',
      `. ${quote(commandFile)}`,
    ];
    await writeFile(scriptFile, `${script.join('\n')}\n`);
    const lines = new LineSplitter(onLine);
    const result = await this.spawn([scriptFile], await this.cwd(), (chunk) => lines.push(chunk));
    lines.end();
    this.interrupt.throwIfFired();
    return result;
  }

  /** The current values of `names` (valid identifiers); an unset variable is absent. */
  async read(names: string[]): Promise<Map<string, string>> {
    const script = names.map((name) => `[ -n "\${${name}+set}" ] && printf '%s\\0%s\\0' ${name} "$${name}"`);
    const out = await this.probe(`${script.join('\n')}\n:`);
    const parts = out.toString('utf8').split('\0');
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < parts.length; i += 2) values.set(parts[i] ?? '', parts[i + 1] ?? '');
    return values;
  }

  /** Expands `text` as a double-quoted shell word (variables, $(...)), as CodeBuild expands artifacts.name. */
  async evaluate(text: string): Promise<string> {
    const word = text.replace(/[\\"]/g, '\\$&');
    return (await this.probe(`printf '%s' "${word}"`)).toString('utf8');
  }

  /** Kills what commands left running in the background: the build is over, as its container would be. */
  killLeftovers(): void {
    for (const group of this.groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    }
    this.groups.clear();
  }

  private async probe(script: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const file = join(this.dirs.state, 'probe.sh');
    await writeFile(file, `. ${quote(this.envFile)} >/dev/null 2>&1\n${script}\n`);
    await this.spawn([file], this.dirs.src, (chunk) => chunks.push(chunk), 'ignore');
    return Buffer.concat(chunks);
  }

  private async cwd(): Promise<string> {
    const saved = (await readFile(this.cwdFile, 'utf8').catch(() => '')).replace(/\n$/, '');
    const ok =
      saved !== '' &&
      (await stat(saved).then(
        (s) => s.isDirectory(),
        () => false,
      ));
    return ok ? saved : this.dirs.src;
  }

  private spawn(
    args: string[],
    cwd: string,
    onData: (chunk: Buffer) => void,
    stderr: 'pipe' | 'ignore' = 'pipe',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolvePromise, reject) => {
      // Empty environment: the state file is the whole environment, so `unset` in a command sticks.
      // Own process group (detached), so a timeout or stop kills the command's children too.
      const child = spawn(this.shell, args, {
        cwd,
        env: {},
        stdio: ['ignore', 'pipe', stderr],
        detached: true,
      });
      const group = child.pid;
      if (group !== undefined) this.groups.add(group);
      const kill = () => {
        if (group !== undefined) {
          try {
            process.kill(-group, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
      this.interrupt.signal.addEventListener('abort', kill, { once: true });
      let openStreams = stderr === 'pipe' ? 2 : 1;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let grace: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = () => {
        if (settled || !exit) return;
        settled = true;
        clearTimeout(grace);
        this.interrupt.signal.removeEventListener('abort', kill);
        resolvePromise(exit);
      };
      const streamClosed = () => {
        openStreams -= 1;
        if (openStreams === 0) settle();
      };
      for (const stream of [child.stdout, child.stderr]) {
        stream?.on('data', onData);
        stream?.on('close', streamClosed);
      }
      child.on('error', (error) => {
        this.interrupt.signal.removeEventListener('abort', kill);
        reject(error);
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        if (openStreams === 0) return settle();
        // A background job may hold the pipe open for ever; its output after this is dropped.
        grace = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          settle();
        }, OUTPUT_GRACE_MS);
      });
    });
  }
}

/**
 * The shell that runs the commands, for the buildspec's env.shell (absent: the default). CodeBuild runs commands
 * with the image's /bin/sh unless env.shell names bash
 * (https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-cmd.html): bash on the Amazon Linux
 * images, dash on the Ubuntu standard images. The default here is bash, the richer of the two, so a buildspec
 * written for either runs; /bin/sh only where this machine has no bash. docs/LOCAL-BUILDS.md lists what dash
 * rejects.
 */
export async function resolveShell(
  shell: 'sh' | 'bash' | undefined,
  path: string | undefined,
  { standardDirs = ['/bin', '/usr/bin'] } = {},
): Promise<string> {
  if (shell === 'sh') return '/bin/sh';
  const bash = await findBash([...(path ?? '').split(delimiter), ...standardDirs]);
  if (bash) return bash;
  if (shell === undefined) return '/bin/sh';
  throw new InvalidInputError(
    'env.shell is bash, but bash is not on the PATH of this machine; use /bin/sh or install bash',
  );
}

async function findBash(dirs: string[]): Promise<string | undefined> {
  for (const dir of dirs.filter(Boolean)) {
    const candidate = join(dir, 'bash');
    const executable = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return candidate;
  }
  return undefined;
}

/** A single-quoted shell word. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
