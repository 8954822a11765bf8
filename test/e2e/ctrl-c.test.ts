import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROLLBACK_LINE } from '../../cli/local/ctrl-c';
import { type PtySession, processTree, startInPty, survivors } from '../support/pty-session';
import { localSampleRepository } from '../support/sample-repo';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
const CTRL_C = '\x03';
/** One manual step: the deployment waits at 10 % until promoted, long enough to press a key. */
const MANUAL_PAUSE = JSON.stringify([{ greenPercent: 10, pause: 'manual' }, { greenPercent: 100 }]);

function localInPty(...args: string[]): PtySession {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The command starts its own emulator: nothing of the test harness's may leak into it.
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  return startInPty([process.execPath, BIN, 'local', ...args], { env });
}

/**
 * The sample app whose build writes its shell's pid and starts a long sleep (its pid too), then waits: a build that
 * is running when the key is pressed. Returns the repository and where the pids are written.
 */
function sleepingBuildRepository(dir: string): { repo: string; shellPid: string; sleepPid: string } {
  const shellPid = join(dir, 'shell.pid');
  const sleepPid = join(dir, 'sleep.pid');
  const repo = localSampleRepository(dir, 'a build that sleeps', [
    [
      '|',
      `        echo $$ > ${shellPid}`,
      `        sleep 300 & echo $! > ${sleepPid}.tmp && mv ${sleepPid}.tmp ${sleepPid}`,
      '        wait',
    ].join('\n'),
  ]);
  return { repo, shellPid, sleepPid };
}

/** Waits until the build has written the sleep's pid; the build's shell is then running it. */
async function buildRunning(run: PtySession, sleepPid: string): Promise<void> {
  for (let attempt = 0; attempt < 600 && !existsSync(sleepPid); attempt += 1) {
    if (/✘|Error/.test(run.output()))
      throw new Error(`the run failed before its build started:\n${run.output()}`);
    await new Promise((resolvePromise) => setTimeout(resolvePromise, 100));
  }
  if (!existsSync(sleepPid)) throw new Error(`the build did not start:\n${run.output()}`);
}

/**
 * Whether `pid` still runs. A zombie has exited: the killed sleep is reparented when its shell dies with it, and
 * stays a table entry until its new parent reaps it, which signal 0 cannot tell from a live process.
 */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
};

describe('Ctrl-C in switchyard local, pressed in a terminal', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-ctrl-c-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rolls a deployment in its pause back to blue, prints the outcome and exits 130, leaving no process', async () => {
    const run = localInPty('--traffic', MANUAL_PAUSE);
    await run.waitFor(/green █░{9}\s+10 %/);
    const started = processTree(await run.pid);
    expect(started.filter((entry) => entry.args.includes('moto_launcher.py'))).toHaveLength(1);

    run.press(CTRL_C);
    const code = await run.exited;

    const shown = run.output();
    expect(shown).toContain(ROLLBACK_LINE);
    expect(shown).toMatch(
      /✘ ROLLED_BACK after [\d.]+ s: DeploymentAbortedError: .*Ctrl-C in switchyard local/,
    );
    expect(shown).toMatch(/production is back on the live target group, green removed/);
    // The emulator outlived the key press: no request of the rollback found it gone.
    expect(shown).not.toMatch(/ECONNREFUSED|stopped at once/);
    expect(code).toBe(130);
    expect(await survivors(started)).toEqual([]);
  });

  it("stops a running build as StopBuild does: the build's shell goes, the deployment ends ABORTED", async () => {
    const { repo, shellPid, sleepPid } = sleepingBuildRepository(dir);
    const run = localInPty('--repo', repo, '--trust');
    await buildRunning(run, sleepPid);
    const started = processTree(await run.pid);
    const shell = Number(readFileSync(shellPid, 'utf8'));
    const sleep = Number(readFileSync(sleepPid, 'utf8'));
    // The build runs in the emulator's build executor, in a session of its own, under the emulator.
    expect(started.map((entry) => entry.pid)).toEqual(expect.arrayContaining([shell, sleep]));

    run.press(CTRL_C);
    const code = await run.exited;

    const shown = run.output();
    expect(shown).toContain(ROLLBACK_LINE);
    expect(shown).toMatch(/✘ ABORTED after [\d.]+ s: DeploymentAbortedError: /);
    expect(shown).toMatch(/production was not touched: nothing to roll back/);
    expect(code).toBe(130);
    expect([alive(shell), alive(sleep)]).toEqual([false, false]);
    expect(await survivors(started)).toEqual([]);
  });

  it('stops at once on a second Ctrl-C, says nothing is left, exits 130 and kills the emulator and the build', async () => {
    const { repo, sleepPid } = sleepingBuildRepository(dir);
    const run = localInPty('--repo', repo, '--trust');
    await buildRunning(run, sleepPid);
    const started = processTree(await run.pid);
    // What must not outlive the stop: the emulator, its build executor (a session of its own) and the build's sleep.
    expect(started.filter((entry) => /moto_launcher\.py|build-executor\.js/.test(entry.args))).toHaveLength(
      2,
    );
    expect(started.map((entry) => entry.pid)).toContain(Number(readFileSync(sleepPid, 'utf8')));

    run.press(CTRL_C);
    await run.waitFor(new RegExp(ROLLBACK_LINE.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')));
    run.press(CTRL_C);
    const code = await run.exited;

    const shown = run.output();
    expect(shown).toMatch(/stopped at once: the deployment was not rolled back/);
    expect(shown).toMatch(
      /the emulator \(process group \d+\) is killed, and with it any build it was running: nothing is left behind/,
    );
    expect(shown).not.toMatch(/✘ (FAILED|ROLLED_BACK|ABORTED) after|✔ deployed/);
    expect(code).toBe(130);
    expect(await survivors(started)).toEqual([]);
  });
});
