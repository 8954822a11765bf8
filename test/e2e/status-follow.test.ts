/**
 * `switchyard status --follow` attaching to a deployment it did not start: a push deployed by `switchyard local
 * --watch`, already paused when the follow starts. It prints what happened so far, then the abort another process
 * asks for, the rollback and the end, and exits 1 (the deployment did not succeed). Then Ctrl-C pressed on the watch
 * while the next push deploys: the watch rolls it back as `switchyard abort` does, exits 130 and leaves no process.
 * Also the flags' help and suggestions, and the checks made before anything starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runSwitchyard, startSwitchyard } from '../support/cli';
import { processTree, startInPty, survivors } from '../support/pty-session';
import { git, localSampleRepository } from '../support/sample-repo';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
const MANUAL_PAUSE = JSON.stringify([{ greenPercent: 10, pause: 'manual' }, { greenPercent: 100 }]);
const CTRL_C = '\x03';

/** An environment with no AWS settings: what the commands reach is what they are told. */
function noAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
}

/** `switchyard status --follow --stack switchyard` in a process of its own, its output read as it comes. */
function followInBackground(env: NodeJS.ProcessEnv) {
  return startSwitchyard(['status', '--follow', '--stack', 'switchyard'], env);
}

describe('switchyard status --follow', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-follow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('attaches to a running deployment and prints its stages to the end, exit 1 for a rollback; Ctrl-C on the watch rolls the next back', async () => {
    const repo = localSampleRepository(dir, 'the sample app');
    const watch = startInPty(
      [process.execPath, BIN, 'local', '--watch', '--repo', repo, '--trust', '--traffic', MANUAL_PAUSE],
      { env: noAws() },
    );
    await watch.waitFor(/watching .* branch main/, 90_000);
    const env = noAws();
    for (const [, name, value] of watch.output().matchAll(/^\s+export (\w+)=(\S+)\r?$/gm))
      env[name as string] = value;

    writeFileSync(join(repo, 'CHANGES.txt'), 'a change\n');
    git(repo, 'add', '--all');
    git(repo, 'commit', '--quiet', '-m', 'a change');
    const head = git(repo, 'rev-parse', 'HEAD');
    await watch.waitFor(/blue █{9}░\s+90 % \| green █░{9}\s+10 %/, 60_000);

    const following = followInBackground(env);
    // Attached once it has printed the pause; then aborted from a third process.
    await following.waitFor(/paused at step 1/);
    const aborted = await runSwitchyard(['abort', '--stack', 'switchyard', '--reason', 'seen enough'], env);
    expect(aborted.status).toBe(0);

    const followed = await following.ended;
    const lines = followed.stdout.split('\n').map((line) => line.replace(/^\[\d\d:\d\d\] /, ''));
    const expected = [
      new RegExp(`^deployment push-${head.slice(0, 8)}-\\w+: commit ${head.slice(0, 7)} on main \\(push\\)$`),
      /^build switchyard-build:/,
      /^task definition switchyard-sample:\d+$/,
      /^green task set \S+ behind app-b$/,
      /^hooks AfterAllowTestTraffic: CodeDeployHook_switchyard_sample_smoke_test succeeded \(\d+ ms\)$/,
      /^step 1: 10 % to green \(observed: app-b \(green\) 10 %, app-a \(live\) 90 %\)$/,
      /^paused at step 1 \(10 % to green\) since .*`switchyard promote` ends it now$/,
      /^abort requested by .*: seen enough$/,
      /^rolled back/,
      /^ROLLED_BACK in \S+: DeploymentAbortedError: /,
    ];
    const found = expected.map((pattern) => lines.findIndex((line) => pattern.test(line)));
    expect(expected.filter((_, index) => found[index] === -1)).toEqual([]);
    expect([...found].sort((a, b) => a - b)).toEqual(found);
    expect(followed.status).toBe(1);

    // Ctrl-C on the watch while the next push is deployed: rolled back as an abort, exit status 130.
    writeFileSync(join(repo, 'CHANGES.txt'), 'another change\n');
    git(repo, 'commit', '--quiet', '--all', '-m', 'another change');
    await watch.waitFor(/▶ deployment push-[\s\S]*▶ deployment push-[\s\S]*green █░{9}\s+10 %/, 60_000);
    const started = processTree(await watch.pid);
    watch.press(CTRL_C);

    expect(await watch.exited).toBe(130);
    expect(watch.output()).toMatch(/interrupted: aborting push-\w+-\w+ as `switchyard abort` does/);
    expect(watch.output().match(/■ deployment push-\w+-\w+ ended ROLLED_BACK/g)).toHaveLength(2);
    expect(await survivors(started)).toEqual([]);
  }, 150_000);

  it('shows an example in its help and suggests the flag a typo meant', async () => {
    const help = await runSwitchyard(['status', '--help'], noAws());
    expect(help.stdout).toMatch(
      /Examples:\n {2}switchyard status --stack switchyard\n {2}switchyard status --follow/,
    );

    const typo = await runSwitchyard(['status', '--folow', '--stack', 'switchyard'], noAws());
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('unknown option --folow: did you mean --follow?');
  }, 30_000);

  it('refuses --follow with --json, and --watch without --repo, before reaching AWS', async () => {
    const both = await runSwitchyard(['status', '--follow', '--json', '--stack', 'x'], noAws());
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('--json and --follow do not go together');

    const watch = await runSwitchyard(['local', '--watch'], noAws());
    expect(watch.status).toBe(1);
    expect(watch.stderr).toContain('--watch needs --repo PATH');
    const keep = await runSwitchyard(['local', '--watch', '--repo', dir, '--keep'], noAws());
    expect(keep.stderr).toContain('--keep does not go with --watch');
  }, 30_000);
});
