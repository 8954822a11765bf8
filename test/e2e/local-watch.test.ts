import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type CliRun, runSwitchyard, startSwitchyard } from '../support/cli';
import { type PtySession, processTree, startInPty, survivors } from '../support/pty-session';
import { git, localSampleRepository } from '../support/sample-repo';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
const MANUAL_PAUSE = JSON.stringify([{ greenPercent: 10, pause: 'manual' }, { greenPercent: 100 }]);
const CTRL_C = '\x03';
const STACK = ['--stack', 'switchyard'];

/** Commits a change to the repository; returns the new head. */
function commit(repo: string, message: string): string {
  writeFileSync(join(repo, 'CHANGES.txt'), `${message}\n`, { flag: 'a' });
  git(repo, 'add', '--all');
  git(repo, 'commit', '--quiet', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

/** The environment the watch printed (`export NAME=value` lines), on top of one with no AWS settings. */
function printedEnvironment(output: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  for (const [, name, value] of output.matchAll(/^\s+export (\w+)=(\S+)\r?$/gm)) env[name as string] = value;
  return env;
}

describe('switchyard local --watch', () => {
  let dir: string;
  let repo: string;
  let watch: PtySession;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]): Promise<CliRun> => runSwitchyard(args, env);

  /** Reads `switchyard status` until the deployment is paused at 10 %. */
  async function pausedAtTen(id: string): Promise<string> {
    // The watch shows the step first; the record says the pause a moment later.
    await watch.waitFor(new RegExp(`▶ deployment ${id}[\\s\\S]*green █░{9}\\s+10 %`), 60_000);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { stdout } = await cli('status', ...STACK);
      if (stdout.includes(id) && /pause\s+paused at step 1 \(10 % to green\)/.test(stdout)) return stdout;
      await new Promise((done) => setTimeout(done, 200));
    }
    throw new Error(`deployment ${id} never showed its pause:\n${watch.output()}`);
  }

  /** Waits for the watch to start a deployment for `head`; returns its id. */
  async function deploymentOf(head: string): Promise<string> {
    const pattern = new RegExp(
      `▶ deployment (push-${head.slice(0, 8)}-\\w+): push of ${head.slice(0, 7)} to main`,
    );
    await watch.waitFor(pattern, 60_000);
    return (pattern.exec(watch.output()) as RegExpExecArray)[1] as string;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-watch-'));
    repo = localSampleRepository(dir, 'the sample app');
    const watchEnv: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(watchEnv)) if (name.startsWith('AWS_ENDPOINT_URL')) delete watchEnv[name];
    watch = startInPty(
      [process.execPath, BIN, 'local', '--watch', '--repo', repo, '--trust', '--traffic', MANUAL_PAUSE],
      { env: watchEnv },
    );
    await watch.waitFor(/watching .* branch main/, 90_000);
    env = printedEnvironment(watch.output());
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('deploys a new commit as a push; status shows its pause, promote ends it, history lists it', async () => {
    const head = commit(repo, 'change one');
    const id = await deploymentOf(head);

    const status = await pausedAtTen(id);
    expect(status).toContain(`commit      ${head.slice(0, 7)} on main, push`);
    expect(status).toMatch(/traffic\s+step 1: 10 % to green \(observed: .*10 %/);

    const promoted = await cli('promote', ...STACK, '--reason', 'looks good');
    expect({ status: promoted.status, stderr: promoted.stderr }).toEqual({ status: 0, stderr: '' });
    expect(promoted.stdout).toContain(`promote requested for deployment ${id}`);
    await watch.waitFor(new RegExp(`■ deployment ${id} ended SUCCEEDED`), 60_000);

    const history = await cli('history', ...STACK);
    expect(history.status).toBe(0);
    expect(history.stdout).toMatch(new RegExp(`${id}\\s+${head.slice(0, 7)}\\s+push\\s+SUCCEEDED`));
  }, 120_000);

  it('rolls back the deployment of the next commit on switchyard abort', async () => {
    const head = commit(repo, 'change two');
    const id = await deploymentOf(head);
    await pausedAtTen(id);

    const aborted = await cli('abort', ...STACK, '--reason', 'not today');
    expect(aborted.status).toBe(0);
    await watch.waitFor(new RegExp(`■ deployment ${id} ended ROLLED_BACK`), 60_000);

    const history = await cli('history', ...STACK);
    expect(history.stdout).toMatch(new RegExp(`${id}\\s+${head.slice(0, 7)}\\s+push\\s+ROLLED_BACK`));
    expect((await cli('status', ...STACK)).stdout).toContain('no deployment running');
  }, 120_000);

  it('stops a deployment whose execution is stopped on the emulator; CleanUp rolls it back', async () => {
    const head = commit(repo, 'change three');
    const id = await deploymentOf(head);
    await pausedAtTen(id);
    // As `aws stepfunctions stop-execution` does, with the endpoint and credentials the watch printed.
    const sfn = new SFNClient({
      endpoint: env.AWS_ENDPOINT_URL,
      region: env.AWS_REGION,
      credentials: {
        accessKeyId: String(env.AWS_ACCESS_KEY_ID),
        secretAccessKey: String(env.AWS_SECRET_ACCESS_KEY),
      },
    });
    try {
      const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
      const { executions = [] } = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: stateMachines[0]?.stateMachineArn,
          statusFilter: 'RUNNING',
        }),
      );
      const executionArn = executions.find((execution) => execution.name === id)?.executionArn;
      expect(executionArn).toBeDefined();
      await sfn.send(
        new StopExecutionCommand({ executionArn, error: 'Ops', cause: 'stopped from the console' }),
      );
    } finally {
      sfn.destroy();
    }

    await watch.waitFor(
      new RegExp(
        `■ deployment ${id}: its execution was stopped \\(stopped from the console\\); it stops here`,
      ),
      30_000,
    );
    // CleanUp rolled production back and removed green: the summary says so, and ECS has one task set left.
    await watch.waitFor(
      new RegExp(
        `■ deployment ${id} ended ABORTED[\\s\\S]*production is back on the live target group, green removed\\s+1 task set\\(s\\)`,
      ),
      60_000,
    );
    const history = await cli('history', ...STACK);
    expect(history.stdout).toMatch(new RegExp(`${id}\\s+${head.slice(0, 7)}\\s+push\\s+ABORTED`));
    const status = await cli('status', ...STACK);
    expect(status.stdout).toContain('no deployment running');
  }, 120_000);

  it('runs what switchyard deploy starts, and status --follow in another process prints it to its end', async () => {
    // Started first, and waiting (said) before the deployment starts: it follows the next one to start.
    const following = startSwitchyard(['status', '--follow', ...STACK], env);
    await following.waitFor(/no deployment running \(repository app\): waiting for the next one/);
    const started = await cli('deploy', ...STACK, '--force');
    expect(started.status).toBe(0);
    const id = /:execution:switchyard-pipeline:(manual-[\w-]+)\n/.exec(started.stdout)?.[1] as string;
    expect(id).toBeDefined();
    await watch.waitFor(new RegExp(`▶ deployment ${id}: manual start`), 30_000);
    await pausedAtTen(id);
    expect((await cli('promote', ...STACK)).status).toBe(0);

    const followed = await following.ended;
    const lines = followed.stdout.split('\n').map((line) => line.replace(/^\[\d\d:\d\d\] /, ''));
    const expected = [
      new RegExp(`^deployment ${id}: commit \\w{7} on main \\(manual\\)$`),
      /^build switchyard-build:/,
      /^task definition switchyard-sample:\d+$/,
      /^green task set /,
      /^step 1: 10 % to green \(observed: .*\)$/,
      /^paused at step 1 \(10 % to green\)/,
      /^step 2: 100 % to green/,
      /^finalized: green is the primary task set$/,
      /^SUCCEEDED in /,
    ];
    // Each stage once, in this order.
    const found = expected.map((pattern) => lines.findIndex((line) => pattern.test(line)));
    expect(found.every((index) => index >= 0)).toBe(true);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
    expect(followed.status).toBe(0);
    await watch.waitFor(new RegExp(`■ deployment ${id} ended SUCCEEDED`), 30_000);
  }, 120_000);

  it('stops the watch and the emulator on Ctrl-C while idle: exit status 0, no process left', async () => {
    const started = processTree(await watch.pid);
    expect(started.filter((entry) => entry.args.includes('moto_launcher.py'))).toHaveLength(1);

    watch.press(CTRL_C);

    expect(await watch.exited).toBe(0);
    expect(watch.output()).toContain('stopping the watch and the emulator (no deployment was running)');
    expect(await survivors(started)).toEqual([]);
  }, 60_000);
});
