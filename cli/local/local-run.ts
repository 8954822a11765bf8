/**
 * `switchyard local`: a whole blue/green deployment on this machine. It starts the emulator, builds in it the
 * target side that fits the repository (ALB, listeners, target groups, cluster, EXTERNAL service with a version
 * already serving), the stack's own resources and an alarm, serves the repository's commit as CodeCommit, and runs
 * the real state machine with the real handlers from a push event. Waits are compressed; the step plan is not.
 * Here: the run from start to summary, and Ctrl-C; its parts are repository.ts, local-target.ts, simulations.ts,
 * progress.ts and run-summary.ts; Ctrl-C's are ctrl-c.ts, local-abort.ts and forced-stop.ts.
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
import { InterruptedBeforeDeploying } from './ctrl-c';
import type { LocalRunResources } from './forced-stop';
import { abortLocalDeployment } from './local-abort';
import { prepareTarget } from './local-target';
import { progress } from './progress';
import { openRepository, pushEvent } from './repository';
import type { LayoutFlags } from './repository-layout';
import { forgetHookStandIns } from './reuse-target';
import { type LocalRunSummary, printSummary, summarize } from './run-summary';
import type { Screen } from './screen-live';
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
  /** Where `print` goes, when it is a screen with a live region for the running stage (screen-live.ts). */
  screen?: Screen;
  /**
   * Set to stop the run (the first Ctrl-C): the deployment is aborted as `switchyard abort` aborts it, and the run
   * waits for its end; before the deployment has started, the run ends (InterruptedBeforeDeploying).
   */
  signal?: AbortSignal;
  /** Filled in as the run starts things, for a forced stop (the second Ctrl-C: forced-stop.ts). */
  resources?: LocalRunResources;
}

/**
 * The target and the local stack in the emulator at `endpoint`, as a run's options ask (a single run's and the
 * watch's alike). A reused emulator holds an earlier run's hook stand-ins: this run makes its own.
 */
export async function prepareLocalTarget(
  endpoint: string,
  repo: Parameters<typeof prepareTarget>[1],
  strategy: string,
  options: Pick<LocalRunOptions, 'endpoint' | 'buildVariables' | 'simulate' | 'fresh' | 'print'>,
): ReturnType<typeof prepareTarget> {
  if (options.endpoint) await forgetHookStandIns(repo.appspec);
  return prepareTarget(endpoint, repo, {
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
}

/** Runs one local deployment and returns its summary. */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  // A running emulator serves only the credentials it was launched with: without them, stop before anything else.
  const given = options.endpoint ? emulatorCredentials(options.endpoint) : undefined;
  const repo = openRepository(options);
  const resources = options.resources ?? { external: false, keep: false };
  Object.assign(resources, {
    external: options.endpoint !== undefined,
    keep: options.keep ?? false,
    ...(repo.temporary ? { temporaryRepo: repo.path } : {}),
  });
  // Checked after each step of the set-up: a Ctrl-C there ends the run before anything is deployed.
  const stopIfInterrupted = () => {
    if (options.signal?.aborted) throw new InterruptedBeforeDeploying();
  };
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
      resources.server = server;
    }
    const endpoint = options.endpoint ?? (server as MotoServer).endpoint;
    resources.endpoint = endpoint;
    stopIfInterrupted();
    const credentials = given ?? (server as MotoServer).credentials;
    useEmulator(endpoint, credentials);
    options.print(`emulator ready at ${endpoint}`);

    const { stack, cloudwatch } = await prepareLocalTarget(endpoint, repo, strategy, options);
    stopIfInterrupted();
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

    const stages = progress(options.screen ?? options.print, {
      controls: {
        tableName: stack.resources.DeploymentsTable as string,
        repository: repo.name,
        endpoint,
        // The template's default when the stack does not set it.
        manualPauseTimeoutMinutes: Number(stack.parameters.ManualPauseTimeoutMinutes ?? 1440),
      },
    });
    const executionName = `local-${repo.commitId.slice(0, 8)}-${Date.now().toString(36)}`;
    stopIfInterrupted();
    resources.deploymentId = executionName;
    const running = startPipeline({
      input: pushEvent(repo, stack.region, stack.accountId),
      stack,
      executionName,
      waitMs: localWait,
      handlers,
      onEvent: stages.onEvent,
    });
    const result = await untilEnded(running, options.signal, {
      tableName: stack.resources.DeploymentsTable as string,
      repository: repo.name,
      deploymentId: executionName,
      print: options.print,
    });
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
    printSummary(summary, result, options.print, options.screen?.paint);
    if (options.keep)
      for (const line of keptEnvironment(endpoint, credentials, stack.region)) options.print(line);
    return summary;
  } finally {
    if (repo.temporary) {
      const remove = () => rmSync(repo.path, { recursive: true, force: true });
      // A kept emulator still serves the copy as its CodeCommit repository: it goes when the emulator does.
      if (options.keep) process.once('exit', remove);
      else remove();
    }
    if (server && !options.keep) {
      await server.stop();
      resources.server = undefined;
    }
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
export function useEmulator(endpoint: string, credentials: EmulatorCredentials): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    ...credentialEnvironment(credentials),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
}

/**
 * The run's result; `signal` (Ctrl-C) aborts the deployment as `switchyard abort` does (local-abort.ts), and the
 * run goes on to the end the abort leads to: rolled back, or ABORTED before green. Only when the abort cannot be
 * recorded is the execution itself stopped, then cleaned up as EventBridge would.
 */
async function untilEnded(
  running: RunningPipeline,
  signal: AbortSignal | undefined,
  deployment: { tableName: string; repository: string; deploymentId: string; print: (line: string) => void },
): Promise<RunResult> {
  let aborting: Promise<void> | undefined;
  const abort = () => {
    aborting = abortLocalDeployment({ ...deployment, ended: running.result, fallback: running.abort });
  };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const result = await running.result;
    await aborting;
    return result;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/**
 * The build variables of --build-env as the stack parameter, with the emulator's parameters and secrets all
 * readable: Prepare checks that the stack grants each one, and in the emulator every one is the team's own.
 */
export function localBuildVariables(json: string): Record<string, string> {
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
export function localWait(state: string, seconds = 0, payload?: unknown): number {
  // A manual pause waits for a person: its waits last as in AWS (promote and abort end them at once), so its
  // ManualPauseTimeoutMinutes is real time here too, not a few compressed seconds.
  if (isManualPause(payload)) return seconds * 1000;
  return state === 'PollBuild' || state === 'WaitForGreen' || state === 'WaitForGreenHealth' ? 100 : 5;
}

/** Whether a callback wait's payload is that of a manual pause (WaitInPause passes `$.traffic`). */
export function isManualPause(payload: unknown): boolean {
  const pause = (payload as { traffic?: { pause?: { manual?: unknown } | null } } | undefined)?.traffic
    ?.pause;
  return pause?.manual === true;
}
