/**
 * `switchyard local` as a person runs it: a subprocess that starts its own emulator, deploys the sample app and
 * prints a JSON summary on the last line of stdout.
 */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { LocalRunSummary } from '../../cli/local/run-summary';

const BIN = resolve(__dirname, '../../bin/switchyard.js');

function local(...args: string[]): { code: number | null; summary: LocalRunSummary; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The command starts its own emulator: nothing of the test harness's may leak into it.
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  const out = spawnSync(process.execPath, [BIN, 'local', '--json', ...args], {
    env,
    encoding: 'utf8',
    timeout: 90_000,
  });
  const lines = out.stdout.trim().split('\n');
  return {
    code: out.status,
    summary: JSON.parse(lines[lines.length - 1] ?? '{}') as LocalRunSummary,
    stderr: out.stderr,
  };
}

/** Production as the summary reports it: which group has all the traffic, and the task sets. */
function expectOnOneGroup(summary: LocalRunSummary) {
  const weights = Object.values(summary.final.productionWeights).sort((a, b) => b - a);
  expect(weights[0]).toBe(100);
  expect(weights.slice(1).every((w) => w === 0)).toBe(true);
  expect(summary.final.taskSetCount).toBe(1);
  expect(summary.final.primaryTaskSet).not.toBeNull();
}

describe('switchyard local', () => {
  it.each([
    ['AllAtOnce', [100]],
    ['Canary10Percent5Minutes', [10, 100]],
    ['Canary10Percent15Minutes', [10, 100]],
    ['Linear10PercentEvery1Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
  ])('deploys the sample app with %s', (strategy, steps) => {
    const { code, summary, stderr } = local('--traffic', strategy);

    expect({ code, status: summary.status, error: summary.error }).toEqual({
      code: 0,
      status: 'SUCCEEDED',
      error: null,
    });
    expect(summary.strategy).toBe(strategy);
    expect(summary.imageUri).toMatch(/^public\.ecr\.aws\//);
    expect(summary.taskDefinitionArn).toMatch(/:task-definition\/switchyard-sample:1$/);
    const live = summary.final.liveTargetGroupArn ?? '';
    expect(summary.trafficSteps.map((step) => step.observedWeights[live])).toEqual(steps);
    expectOnOneGroup(summary);
    expect(summary.final.primaryTaskSet?.taskDefinition).toBe(summary.taskDefinitionArn);
    expect(summary.metrics.local.lambdaInvocations).toBeGreaterThan(10);
    // The AWS figures are labelled apart from this run's compressed ones.
    expect(summary.metrics.local.waits).toBe('compressed');
    expect(summary.metrics.awsModel).toMatchObject({
      transitions: summary.metrics.local.stateTransitions,
      costUsd: expect.any(Number),
      historyEvents: expect.any(Number),
    });
    // Progress for a person: a line per stage and the traffic bar.
    expect(stderr).toMatch(/✔ Build/);
    expect(stderr).toMatch(/blue ░{10}\s+0 % \| green █{10} 100 %/);
  });

  it.each([
    ['unhealthy-green', 'ROLLED_BACK', 'GreenUnhealthyError'],
    ['alarm', 'ROLLED_BACK', 'AlarmError'],
    ['hook-failure', 'ROLLED_BACK', 'HookFailedError'],
    ['build-failure', 'FAILED', 'BuildFailedError'],
  ])('ends %s with %s, production wholly on the group that was live', (simulation, status, error) => {
    const { code, summary } = local('--simulate', simulation);

    expect(code).toBe(1);
    expect(summary.status).toBe(status);
    expect(summary.error?.name).toBe(error);
    expectOnOneGroup(summary);
    // The version that served before the deployment still serves: not the one this run registered.
    expect(summary.final.primaryTaskSet?.taskDefinition).not.toBe(summary.taskDefinitionArn);
  });

  it('makes a first deployment with --fresh', () => {
    const { code, summary } = local('--fresh');

    expect(code).toBe(0);
    expectOnOneGroup(summary);
    expect(summary.final.primaryTaskSet?.taskDefinition).toBe(summary.taskDefinitionArn);
  });

  it('rolls back and stops the emulator on Ctrl-C', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
    const child = spawn(
      process.execPath,
      [BIN, 'local', '--json', '--traffic', 'Linear10PercentEvery3Minutes'],
      {
        env,
      },
    );
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Interrupt once production traffic has started to move (once: a second Ctrl-C would force an exit).
      if (!interrupted && /green █░{9}\s+10 %/.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as LocalRunSummary;
    // Interrupted, as a shell reports it (128 + SIGINT), after the rollback the abort asked for.
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: aborting the deployment as `switchyard abort` does/);
    expect(summary.status).toBe('ROLLED_BACK');
    expectOnOneGroup(summary);
    expect(summary.final.primaryTaskSet?.taskDefinition).not.toBe(summary.taskDefinitionArn);
  });

  it('refuses an unknown simulation before starting anything', () => {
    const out = spawnSync(process.execPath, [BIN, 'local', '--simulate', 'meteor'], { encoding: 'utf8' });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /--simulate meteor is not known: use one of unhealthy-green, alarm, build-failure, hook-failure/,
    );
  });

  it('refuses a traffic strategy it cannot plan before starting anything (no emulator, no build)', () => {
    const out = spawnSync(process.execPath, [BIN, 'local', '--traffic', 'Canary10PercentForever'], {
      encoding: 'utf8',
    });
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /^switchyard local: --traffic: TrafficStrategy "Canary10PercentForever" is not a strategy/,
    );
    expect(out.stderr).not.toMatch(/Source|moto|emulator/);
  });
});
