/**
 * A command run in a real pseudo-terminal (test/support/pty_driver.py, Python's pty module: no native dependency), so
 * a test presses keys as a person does: Ctrl-C goes through the terminal driver, which signals the whole foreground
 * process group. Also: the processes a command started, read from `ps`, to check none outlives it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';

const DRIVER = resolve(__dirname, 'pty_driver.py');
const CHILD_LINE = /^<<pty-child (\d+)>>\n/;

/** A command running in a pseudo-terminal. */
export interface PtySession {
  /** The command's pid: it leads the terminal's session and its foreground process group. */
  pid: Promise<number>;
  /** Everything the terminal showed so far (the command's stdout and stderr, and the echo of keys). */
  output(): string;
  /** Waits until the terminal shows a match of `pattern`; fails with what it showed if the command ends first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Types `keys` on the terminal ("\x03" is Ctrl-C). */
  press(keys: string): void;
  /** The command's exit status, 128 + N when signal N ended it. */
  exited: Promise<number | null>;
}

/** Starts `argv` in a new pseudo-terminal. */
export function startInPty(
  argv: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): PtySession {
  const driver = spawn('python3', [DRIVER, ...argv], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let raw = '';
  const waiters = new Set<() => void>();
  let resolvePid: (pid: number) => void = () => undefined;
  const pid = new Promise<number>((resolvePromise) => {
    resolvePid = resolvePromise;
  });
  driver.stdout.setEncoding('utf8');
  driver.stdout.on('data', (chunk: string) => {
    raw += chunk;
    const child = CHILD_LINE.exec(raw);
    if (child) resolvePid(Number(child[1]));
    for (const waiter of waiters) waiter();
  });
  const exited = new Promise<number | null>((resolvePromise) => driver.on('close', resolvePromise));
  let ended = false;
  void exited.then(() => {
    ended = true;
    for (const waiter of waiters) waiter();
  });
  const output = () => raw.replace(CHILD_LINE, '').replace(/\r\n/g, '\n');
  return {
    pid,
    output,
    exited,
    press: (keys) => {
      driver.stdin.write(keys);
    },
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolvePromise, reject) => {
        const check = () => {
          if (pattern.test(output())) done(undefined);
          else if (ended) done(new Error(`the command ended before showing ${pattern}:\n${output()}`));
        };
        const timer = setTimeout(
          () => done(new Error(`${pattern} not shown within ${timeoutMs} ms:\n${output()}`)),
          timeoutMs,
        );
        const done = (error: Error | undefined) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolvePromise();
        };
        waiters.add(check);
        check();
      }),
  };
}

/** A process as `ps` shows it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  args: string;
}

/** Every live process (zombies left out: they have ended, only their parent has not reaped them yet). */
export function processes(): ProcessEntry[] {
  const out = execFileSync('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return out.split('\n').flatMap((line) => {
    const match = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!match || match[4]?.startsWith('Z')) return [];
    return [{ pid: Number(match[1]), ppid: Number(match[2]), pgid: Number(match[3]), args: match[5] ?? '' }];
  });
}

/** `root` and every process under it, whatever group or session each one runs in. */
export function processTree(root: number): ProcessEntry[] {
  const all = processes();
  const tree = all.filter((entry) => entry.pid === root);
  for (let i = 0; i < tree.length; i += 1) {
    const parent = tree[i]?.pid;
    tree.push(...all.filter((entry) => entry.ppid === parent));
  }
  return tree;
}

/**
 * Of `seen`, the processes still alive (the same pid with the same command line), waiting up to `timeoutMs` for
 * them to go: a process stopped by its watchdog takes a moment.
 */
export async function survivors(seen: ProcessEntry[], timeoutMs = 15_000): Promise<ProcessEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const live = processes();
    const left = seen.filter((old) => live.some((now) => now.pid === old.pid && now.args === old.args));
    // A group that outlives its leader is left behind too.
    const groups = new Set(seen.map((entry) => entry.pgid));
    const inGroups = live.filter(
      (now) => groups.has(now.pgid) && !left.some((entry) => entry.pid === now.pid),
    );
    const all = [...left, ...inGroups];
    if (all.length === 0 || Date.now() > deadline) return all;
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
  }
}
