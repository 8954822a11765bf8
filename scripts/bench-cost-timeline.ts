/**
 * The AWS timeline of bench-cost.ts on a virtual clock: every Wait state advances it by the seconds the machine
 * asked for (locally it passes at once), a `.sync` build advances it by the build's duration. The real build of
 * the sample app is held at a gate in its buildspec until the clock says it has run its AWS duration; green's
 * targets stay `initial` until the clock says their health checks have passed.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { setTargetHealth } from '../cli/emulator/moto-controls';
import type { RunEvent } from '../cli/local/state-machine';

const ROOT = resolve(__dirname, '..');

/** A git copy of examples/sample-app whose build waits for a gate file before its first command. */
export function gatedSampleApp() {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const path = join(dir, 'bench-app');
  const gate = join(dir, 'gate');
  cpSync(join(ROOT, 'examples', 'sample-app'), path, { recursive: true });
  const buildspec = join(path, 'buildspec.yml');
  const text = readFileSync(buildspec, 'utf8');
  const anchor = '  pre_build:\n    commands:\n';
  if (!text.includes(anchor)) throw new Error(`${buildspec}: no pre_build commands to put the gate before`);
  writeFileSync(
    buildspec,
    text.replace(anchor, `${anchor}      - while [ ! -e '${gate}' ]; do sleep 0.02; done\n`),
  );
  const env = {
    ...process.env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.com',
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: path, env, stdio: 'ignore' });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '--message', 'bench');
  return {
    path,
    open: () => writeFileSync(gate, ''),
    close: () => rmSync(gate, { force: true }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

type WaitState = { Type: string; Seconds?: number; SecondsPath?: string; Resource?: string };

function readPath(value: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], value);
}

/** The virtual clock of one run, and the hooks that keep the emulator on it. */
export async function timeline(options: {
  endpoint: string;
  greenTargetGroupArn: string;
  buildSeconds: number;
  greenSeconds: number;
  openGate: () => void;
}) {
  const definition = JSON.parse(readFileSync(join(ROOT, 'statemachine', 'pipeline.asl.json'), 'utf8')) as {
    States: Record<string, WaitState>;
  };
  const codebuild = new CodeBuildClient({});
  await setTargetHealth(options.endpoint, {
    targetGroupArn: options.greenTargetGroupArn,
    state: 'initial',
    reason: 'Elb.InitialHealthChecking',
    description: 'Initial health checks in progress.',
  });
  let now = 0;
  let buildStartedAt: number | undefined;
  let greenCreatedAt: number | undefined;
  let greenHealthy = false;
  let lastWaitSeconds = 0;

  const untilBuildEnds = async (id: string) => {
    for (;;) {
      const { builds = [] } = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }));
      if (builds[0]?.buildComplete) return;
      await new Promise((done) => setTimeout(done, 20));
    }
  };

  return {
    awsSeconds: () => now,
    onEvent(event: RunEvent): void {
      const state = 'state' in event ? definition.States[event.state] : undefined;
      if (event.type === 'state-entered') {
        if (event.state === 'StartBuild') buildStartedAt = now;
        if (state?.Resource?.includes('codebuild:startBuild')) {
          // Step Functions waits for the build itself: the build's whole duration passes inside this state.
          options.openGate();
          now += options.buildSeconds;
        }
      } else if (event.type === 'state-failed' && event.error === 'States.HeartbeatTimeout') {
        // A callback wait that ran its whole heartbeat: the pause's wait passed on AWS.
        now += lastWaitSeconds;
      } else if (event.type === 'state-exited') {
        const traffic = (event.output as { traffic?: { waitSeconds?: number } } | null)?.traffic;
        if (typeof traffic?.waitSeconds === 'number') lastWaitSeconds = traffic.waitSeconds;
        if (event.state === 'CreateGreen') greenCreatedAt = now;
        if (state?.Type === 'Wait') {
          const seconds = state.SecondsPath ? readPath(event.output, state.SecondsPath) : state.Seconds;
          now += Number(seconds ?? 0);
        }
      }
    },
    async beforeTask(stateName: string, input: unknown): Promise<void> {
      // The library reports state events asynchronously: let the Wait that led here reach the clock first.
      await new Promise((done) => setTimeout(done, 2));
      if (
        stateName === 'CheckBuild' &&
        buildStartedAt !== undefined &&
        now - buildStartedAt >= options.buildSeconds
      ) {
        options.openGate();
        await untilBuildEnds(String(readPath(input, '$.build.id')));
      }
      if (!greenHealthy && greenCreatedAt !== undefined && now - greenCreatedAt >= options.greenSeconds) {
        greenHealthy = true;
        await setTargetHealth(options.endpoint, {
          targetGroupArn: options.greenTargetGroupArn,
          state: 'healthy',
        });
      }
    },
  };
}
