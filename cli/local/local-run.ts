/**
 * `switchyard local`: a whole blue/green deployment on this machine. It starts the emulator, builds in it the
 * target side that fits the repository (ALB, listeners, target groups, cluster, EXTERNAL service with a version
 * already serving), the stack's own resources and an alarm, serves the repository's commit as CodeCommit, and runs
 * the real state machine with the real handlers from a push event. Waits are compressed; the step plan is not.
 * Here: the run from start to summary, and Ctrl-C; its parts are repository.ts, local-target.ts, simulations.ts,
 * progress.ts and run-summary.ts.
 */
import { rmSync } from 'node:fs';
import { INHERIT_ENV_VARIABLE } from '../build/base-env';
import {
  credentialEnvironment,
  type EmulatorCredentials,
  emulatorCredentials,
} from '../emulator/emulator-credentials';
import { type MotoServer, startMoto } from '../emulator/moto';
import { buildNotice } from './build-notice';
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
  /** `--trust`: no notice before running a repository's buildspec (build-notice.ts). */
  trust?: boolean;
  /** `--inherit-env`: the build starts with this process's whole environment, not the minimal one. */
  inheritEnv?: boolean;
  /** Progress for a person (stderr with --json). */
  print: (line: string) => void;
  /** Set to stop the run (Ctrl-C): the execution is aborted and cleaned up as EventBridge would. */
  signal?: AbortSignal;
}

/** Runs one local deployment and returns its summary. */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  // A running emulator serves only the credentials it was launched with: without them, stop before anything else.
  const given = options.endpoint ? emulatorCredentials(options.endpoint) : undefined;
  const repo = openRepository(options);
  for (const note of repo.layout.notes) options.print(note);
  for (const line of buildNotice(repo, options)) options.print(line);
  // The emulator's build executor inherits this from the emulator, which inherits it from this process.
  if (options.inheritEnv) process.env[INHERIT_ENV_VARIABLE] = '1';
  else delete process.env[INHERIT_ENV_VARIABLE];
  if (options.inheritEnv && options.endpoint)
    options.print(
      `warning: --inherit-env does not reach the emulator at ${options.endpoint}: its builds take the environment it was started with`,
    );
  const strategy = options.traffic ?? 'CodeDeployDefault.ECSAllAtOnce';
  let server: MotoServer | undefined;
  try {
    if (!options.endpoint) {
      options.print('starting the AWS emulator (moto) …');
      server = await startMoto();
    }
    const endpoint = options.endpoint ?? (server as MotoServer).endpoint;
    const credentials = given ?? (server as MotoServer).credentials;
    useEmulator(endpoint, credentials);
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
      for (const line of keptEnvironment(endpoint, credentials, stack.region)) options.print(line);
    return summary;
  } finally {
    if (repo.temporary) rmSync(repo.path, { recursive: true, force: true });
    if (server && !options.keep) await server.stop();
  }
}

/**
 * What a person needs to reach a kept emulator (switchyard status, the AWS CLI): its endpoint and the only
 * credentials it accepts. Printed for the person who started it, never put on a command line.
 */
export function keptEnvironment(
  endpoint: string,
  credentials: EmulatorCredentials,
  region: string,
): string[] {
  // AWS_DEFAULT_REGION for the AWS CLI version 1, which reads no AWS_REGION.
  const env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    ...credentialEnvironment(credentials),
  };
  return [
    `the emulator keeps running at ${endpoint}; it answers only these credentials. To use it:`,
    ...Object.entries(env).map(([name, value]) => `  export ${name}=${value}`),
  ];
}

/** Points every AWS SDK client this process makes, the handlers' included, at the emulator, with its credentials. */
function useEmulator(endpoint: string, credentials: EmulatorCredentials): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    ...credentialEnvironment(credentials),
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
  return state === 'PollBuild' || state === 'WaitForGreen' || state === 'WaitForGreenHealth' ? 100 : 5;
}
