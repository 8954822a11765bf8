/**
 * The build executor's watchdog (cli/emulator/executor-watchdog.ts): the executor runs in a session of its own, so
 * nothing signals it when the emulator that started it dies; once its parent is gone it must stop its build (here a
 * `sleep` in a process group of its own, as shell-session.ts starts a build's commands) and exit by itself.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { processes } from '../../../support/pty-session';

const ROOT = resolve(__dirname, '../../../..');

/** The executor's stand-in: a build command in its own group, the watchdog stopping it, then nothing keeping it alive. */
const EXECUTOR = `
require('tsx/cjs/api').register();
const { spawn } = require('node:child_process');
const { stopWhenOrphaned } = require('./cli/emulator/executor-watchdog.ts');
const build = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
process.stdout.write('build ' + build.pid + '\\n');
stopWhenOrphaned(() => {
  process.kill(-build.pid, 'SIGKILL');
  process.stdout.write('stopped\\n');
}, 50);
process.send('watching', () => process.disconnect());
`;

/** The emulator's stand-in: starts the executor in a new session, and exits once the executor watches it. */
const EMULATOR = `
const { spawn } = require('node:child_process');
const executor = spawn(process.execPath, ['-e', process.env.EXECUTOR], {
  detached: true,
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
executor.once('message', () => process.exit(0));
`;

describe('the build executor once the emulator is gone', () => {
  it("stops the build's process group and exits by itself", async () => {
    const emulator = spawn(process.execPath, ['-e', EMULATOR], {
      cwd: ROOT,
      env: { ...process.env, EXECUTOR },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    emulator.stdout.setEncoding('utf8');
    emulator.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    // The pipe closes only when every holder has exited: the emulator first, then the executor after its stop.
    await new Promise((resolvePromise) => emulator.stdout.on('close', resolvePromise));

    const build = Number(/^build (\d+)$/m.exec(out)?.[1]);
    expect(out).toMatch(/^stopped$/m);
    expect(build).toBeGreaterThan(0);
    // Not among the live processes (a zombie is not one: it has ended, nobody reaped it yet).
    expect(processes().filter((entry) => entry.pid === build)).toEqual([]);
  });
});
