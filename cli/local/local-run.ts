/**
 * `switchyard local`: a whole blue/green deployment on this machine. It starts the emulator, builds in it the
 * target side that fits the repository (ALB, listeners, target groups, cluster, EXTERNAL service with a version
 * already serving), the stack's own resources and an alarm, serves the repository's commit as CodeCommit, and runs
 * the real state machine with the real handlers from a push event. Waits are compressed; the step plan is not.
 * Here: the run from start to summary, and Ctrl-C; its parts are repository.ts, local-target.ts, simulations.ts,
 * progress.ts and run-summary.ts.
 */
import { rmSync } from 'node:fs';
import { type MotoServer, startMoto } from '../emulator/moto';
import { prepareTarget } from './local-target';
import { progress } from './progress';
import { openRepository, pushEvent } from './repository';
import type { LayoutFlags } from './repository-layout';
import { type LocalRunSummary, printSummary, summarize } from './run-summary';
import { failsHooks, type Simulation, simulate, simulationParameters } from './simulations';
import { type RunningPipeline, type RunResult, startPipeline } from './state-machine';

/** Options of a local run. */
export interface LocalRunOptions extends LayoutFlags {
  repo?: string;
  /** BuildEnvironmentVariables' JSON list, from --build-env. */
  buildVariables?: string;
  commit?: string;
  traffic?: string;
  simulate?: Simulation;
  endpoint?: string;
  keep?: boolean;
  fresh?: boolean;
  /** Progress for a person (stderr with --json). */
  print: (line: string) => void;
  /** Set to stop the run (Ctrl-C): the execution is aborted and cleaned up as EventBridge would. */
  signal?: AbortSignal;
}

/** Runs one local deployment and returns its summary. */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  const repo = openRepository(options);
  for (const note of repo.layout.notes) options.print(note);
  const strategy = options.traffic ?? 'CodeDeployDefault.ECSAllAtOnce';
  let server: MotoServer | undefined;
  try {
    if (!options.endpoint) {
      options.print('starting the AWS emulator (moto) …');
      server = await startMoto();
    }
    const endpoint = options.endpoint ?? (server as MotoServer).endpoint;
    useEmulator(endpoint);
    options.print(`emulator ready at ${endpoint}`);

    const { stack, cloudwatch } = await prepareTarget(endpoint, repo, {
      strategy,
      parameters: {
        ...(options.buildVariables ? localBuildVariables(options.buildVariables) : {}),
        ...simulationParameters(options.simulate),
      },
      serving: !options.fresh,
      failHooks: failsHooks(options.simulate),
      buildVariables: options.buildVariables,
      print: options.print,
    });
    const target = stack.target;
    const handlers = await simulate(options.simulate, {
      endpoint,
      target,
      stack,
      cloudwatch,
      print: options.print,
    });
    options.print(
      `target: service ${target.serviceName} (${options.fresh ? 'no version serving yet' : 'a version serving on target group A'}); strategy ${strategy}`,
    );
    options.print(`deploying ${repo.name} ${repo.commitId.slice(0, 7)} (${repo.branch})`);

    const stages = progress(options.print);
    const executionName = `local-${repo.commitId.slice(0, 8)}-${Date.now().toString(36)}`;
    const running = startPipeline({
      input: pushEvent(repo, stack.region, stack.accountId),
      stack,
      executionName,
      waitMs: localWait,
      handlers,
      onEvent: stages.onEvent,
    });
    const result = await untilEnded(running, options.signal);
    stages.finish();
    const summary = await summarize(result, {
      repo,
      strategy,
      target,
      started,
      endpoint: options.keep ? endpoint : null,
      tableName: stack.resources.DeploymentsTable as string,
      executionName,
    });
    printSummary(summary, result, options.print);
    if (options.keep)
      options.print(`the emulator keeps running at ${endpoint} (AWS_ENDPOINT_URL=${endpoint})`);
    return summary;
  } finally {
    if (repo.temporary) rmSync(repo.path, { recursive: true, force: true });
    if (server && !options.keep) await server.stop();
  }
}

/** Points every AWS SDK client this process makes, the handlers' included, at the emulator. */
function useEmulator(endpoint: string): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: 'emulator',
    AWS_SECRET_ACCESS_KEY: 'emulator',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/** The run's result; `signal` (Ctrl-C) aborts the execution, which is then cleaned up as EventBridge would. */
async function untilEnded(running: RunningPipeline, signal: AbortSignal | undefined): Promise<RunResult> {
  const abort = () => running.abort();
  signal?.addEventListener('abort', abort, { once: true });
  // Interrupted while the emulator was being prepared: the execution stops at once and is cleaned up.
  if (signal?.aborted) abort();
  try {
    return await running.result;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/**
 * The build variables of --build-env as the stack parameter, with the emulator's parameters and secrets all
 * readable: Prepare checks that the stack grants each one, and in the emulator every one is the team's own.
 */
function localBuildVariables(json: string): Record<string, string> {
  return {
    BuildEnvironmentVariables: json,
    BuildParameterStoreArns: 'arn:aws:ssm:*:*:parameter/*',
    BuildSecretsManagerArns: 'arn:aws:secretsmanager:*:*:secret:*',
  };
}

/**
 * How long a local run's Wait states last. The build and green's health are real waits on the emulator (a build
 * runs for seconds, new targets are `initial` for a while): polling them every 100 ms keeps the run as fast with a
 * tenth of the invocations. Every other Wait (lock, pauses, which count the machine's own waits) passes in 5 ms.
 */
export function localWait(state: string): number {
  return state === 'WaitForBuild' || state === 'WaitForGreen' ? 100 : 5;
}
