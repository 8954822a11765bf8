/**
 * `switchyard local`: a whole blue/green deployment on this machine. It starts the emulator, builds in it the
 * target side that fits the repository (ALB, listeners, target groups, cluster, EXTERNAL service with a version
 * already serving), the stack's own resources and an alarm, serves the repository's commit as CodeCommit, and runs
 * the real state machine with the real handlers from a push event. Waits are compressed; the step plan is not.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { readForward } from '../../functions/lib/deploy/listener';
import { findTaskSets } from '../../functions/lib/deploy/task-sets';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { type ParsedAppSpec, parseAppSpec } from '../../functions/lib/render/appspec';
import { parseJson } from '../../functions/lib/render/task-definition';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { type BlueGreenFixture, putTargetErrorAlarm } from '../emulator/fixture';
import { createNodeFunction } from '../emulator/functions';
import {
  type MotoServer,
  scriptBuildOutcomes,
  serveGitRepository,
  setBuildExecutor,
  setTargetHealth,
  startMoto,
} from '../emulator/moto';
import { createLocalStack } from './local-stack';
import { type LocalHandler, type RunEvent, type RunResult, startPipeline } from './state-machine';
import { PROJECT_ROOT } from './template';

/** The misbehaviours `--simulate` can ask the emulator for. */
export const SIMULATIONS = ['unhealthy-green', 'alarm', 'build-failure', 'hook-failure'] as const;
export type Simulation = (typeof SIMULATIONS)[number];

/** Options of a local run. */
export interface LocalRunOptions {
  repo?: string;
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

/** The JSON summary of a local run. */
export interface LocalRunSummary {
  status: 'SUCCEEDED' | 'ROLLED_BACK' | 'FAILED';
  commitId: string;
  strategy: string;
  imageUri: string | null;
  taskDefinitionArn: string | null;
  trafficSteps: { greenPercent: number; observedWeights: Record<string, number> }[];
  final: {
    productionWeights: Record<string, number>;
    liveTargetGroupArn: string | null;
    primaryTaskSet: { arn: string; taskDefinition: string } | null;
    taskSetCount: number;
  };
  error: { name: string; message: string } | null;
  metrics: { durationMs: number; stateTransitions: number; lambdaInvocations: number };
  endpoint: string | null;
}

const SAMPLE_APP = join(PROJECT_ROOT, 'examples', 'sample-app');
const ALARM = 'switchyard-local-5xx';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** The sample app is a folder of this project: it is copied into a fresh git repository with one commit. */
function sampleRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sample-'));
  cpSync(SAMPLE_APP, dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(
    dir,
    '-c',
    'user.name=Switchyard',
    '-c',
    'user.email=local@switchyard.invalid',
    'commit',
    '-q',
    '-m',
    'Sample app',
  );
  return dir;
}

interface Repository {
  path: string;
  name: string;
  branch: string;
  commitId: string;
  appspec: ParsedAppSpec;
  temporary: boolean;
}

function openRepository(options: LocalRunOptions): Repository {
  const temporary = options.repo === undefined;
  const path = temporary ? sampleRepository() : resolve(options.repo as string);
  if (!existsSync(join(path, '.git')) && !temporary) {
    throw new InvalidInputError(
      `--repo ${path} is not a git repository (no .git): give the root of a git clone`,
    );
  }
  const commitId = git(path, 'rev-parse', options.commit ?? 'HEAD');
  const branch = git(path, 'rev-parse', '--abbrev-ref', 'HEAD').replace(/^HEAD$/, 'main');
  const show = (file: string) => {
    try {
      return execFileSync('git', ['-C', path, 'show', `${commitId}:${file}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return undefined;
    }
  };
  const taskdef = show('taskdef.json');
  const appspecFile = ['appspec.yaml', 'appspec.yml', 'appspec.json'].find(
    (file) => show(file) !== undefined,
  );
  if (!taskdef || !appspecFile) {
    throw new InvalidInputError(
      `commit ${commitId.slice(0, 7)} of ${path} needs taskdef.json and appspec.yaml (or .yml/.json) at its root, as CodeDeploy did`,
    );
  }
  const taskDefinition = parseJson(taskdef, 'taskdef.json') as Parameters<typeof parseAppSpec>[2];
  const appspec = parseAppSpec(show(appspecFile) ?? '', appspecFile, taskDefinition);
  const name = temporary ? 'switchyard-sample-app' : basename(path).replace(/[^\w.-]/g, '-');
  return { path, name, branch, commitId, appspec, temporary };
}

/** Which stage a state belongs to, for the progress lines. */
const STAGES: Record<string, string> = {
  Prepare: 'Source',
  ArchiveSource: 'Source',
  StartBuild: 'Build',
  CheckBuild: 'Build',
  RenderTaskDefinition: 'Render',
  AcquireLock: 'Lock',
  BeforeInstallHooks: 'Green',
  CreateGreen: 'Green',
  AfterInstallHooks: 'Green',
  CheckGreen: 'Green',
  AllowTestTraffic: 'Test traffic',
  AfterAllowTestTrafficHooks: 'Test traffic',
  BeforeAllowTrafficHooks: 'Test traffic',
  ShiftTraffic: 'Shift',
  CheckPause: 'Shift',
  AfterAllowTrafficHooks: 'Bake',
  CheckBake: 'Bake',
  Finalize: 'Finalize',
  Rollback: 'Rollback',
};

/** `blue ███████░░░ 70 % | green ███░░░░░░░ 30 %` */
export function trafficBar(bluePercent: number, greenPercent: number): string {
  const bar = (percent: number) => '█'.repeat(Math.round(percent / 10)).padEnd(10, '░');
  return `blue ${bar(bluePercent)} ${String(bluePercent).padStart(3)} % | green ${bar(greenPercent)} ${String(greenPercent).padStart(3)} %`;
}

/** Prints one line per stage with its duration, the traffic bar at each step, and the rollback. */
function progress(print: (line: string) => void): { onEvent: (event: RunEvent) => void; finish: () => void } {
  let stage: { name: string; since: number } | undefined;
  const end = (at: number, mark = '✔') => {
    if (stage)
      print(`${mark} ${stage.name.padEnd(13)} ${((at - stage.since) / 1000).toFixed(1).padStart(6)} s`);
  };
  // Choices, waits and passes keep the current stage.
  const onEvent = (event: RunEvent) => {
    if (event.type === 'state-entered') {
      const name = STAGES[event.state];
      if (name && name !== stage?.name) {
        end(event.at);
        stage = { name, since: event.at };
        if (name === 'Rollback')
          print('↩ rolling back: production returns to the live target group, green is removed');
      }
    } else if (event.type === 'state-exited' && event.state === 'ShiftTraffic') {
      const traffic = (event.output as { traffic?: { greenPercent: number } }).traffic;
      if (traffic) print(`  ${trafficBar(100 - traffic.greenPercent, traffic.greenPercent)}`);
    } else if (event.type === 'state-failed' && STAGES[event.state]) {
      end(event.at, '✘');
      stage = undefined;
    }
  };
  return {
    onEvent,
    finish: () => {
      end(Date.now());
      stage = undefined;
    },
  };
}

/** Runs one local deployment and returns its summary. */
export async function runLocal(options: LocalRunOptions): Promise<LocalRunSummary> {
  const started = Date.now();
  const repo = openRepository(options);
  const strategy = options.traffic ?? 'CodeDeployDefault.ECSAllAtOnce';
  let server: MotoServer | undefined;
  try {
    if (!options.endpoint) {
      options.print('starting the AWS emulator (moto) …');
      server = await startMoto();
    }
    const endpoint = options.endpoint ?? (server as MotoServer).endpoint;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: 'emulator',
      AWS_SECRET_ACCESS_KEY: 'emulator',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    options.print(`emulator ready at ${endpoint}`);

    const stack = (await createLocalStack({
      name: 'switchyard',
      parameters: {
        RepositoryName: repo.name,
        BranchName: repo.branch,
        TrafficStrategy: strategy,
        AlarmNames: ALARM,
        // A simulated unhealthy green fails after a few seconds instead of ten minutes.
        ...(options.simulate === 'unhealthy-green' ? { GreenHealthTimeoutMinutes: '0.05' } : {}),
      },
      target: {
        containerName: repo.appspec.containerName,
        containerPort: repo.appspec.containerPort,
        serving: !options.fresh,
        ownNetwork: true,
      },
    })) as Awaited<ReturnType<typeof createLocalStack>> & { target: BlueGreenFixture };
    const target = stack.target;
    await serveGitRepository(endpoint, { name: repo.name, path: repo.path });
    await setBuildExecutor(endpoint);
    const cloudwatch = new CloudWatchClient({});
    await putTargetErrorAlarm(cloudwatch, ALARM);
    await createHooks(endpoint, repo.appspec, options.simulate === 'hook-failure', options.print);
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
      waitMs: () => 5,
      handlers,
      onEvent: stages.onEvent,
    });
    const abort = () => running.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    // Interrupted while the emulator was being prepared: the execution stops at once and is cleaned up.
    if (options.signal?.aborted) abort();
    const result = await running.result;
    stages.finish();
    options.signal?.removeEventListener('abort', abort);
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

function pushEvent(repo: Repository, region: string, account: string) {
  return {
    version: '0',
    id: `local-${Date.now()}`,
    'detail-type': 'CodeCommit Repository State Change',
    source: 'aws.codecommit',
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:codecommit:${region}:${account}:${repo.name}`],
    detail: {
      callerUserArn: `arn:aws:iam::${account}:user/local`,
      commitId: repo.commitId,
      event: 'referenceUpdated',
      referenceFullName: `refs/heads/${repo.branch}`,
      referenceName: repo.branch,
      referenceType: 'branch',
      repositoryName: repo.name,
    },
  };
}

/**
 * The AppSpec's hooks as emulator functions. The emulator cannot reach the team's own functions, so each hook is a
 * stand-in that logs its event and answers Succeeded (Failed with --simulate hook-failure).
 */
async function createHooks(
  endpoint: string,
  appspec: ParsedAppSpec,
  fail: boolean,
  print: (line: string) => void,
) {
  const names = [...new Set(Object.values(appspec.hooks).flat())];
  if (fail && names.length === 0) {
    throw new InvalidInputError('--simulate hook-failure needs an AppSpec with at least one hook (Hooks:)');
  }
  for (const reference of names) {
    const name = reference.split(':function:').pop()?.split(':')[0] ?? reference;
    const answer = fail
      ? "{ status: 'Failed', reason: 'simulated by switchyard local --simulate hook-failure' }"
      : "{ status: 'Succeeded' }";
    await createNodeFunction(endpoint, {
      name,
      files: {
        'index.js': `exports.handler = async (event) => { console.log(JSON.stringify(event)); return ${answer}; };\n`,
      },
    });
    print(`hook ${name}: a stand-in that answers ${fail ? 'Failed' : 'Succeeded'}`);
  }
}

async function simulate(
  simulation: Simulation | undefined,
  context: {
    endpoint: string;
    target: BlueGreenFixture;
    stack: { resources: Record<string, string> };
    cloudwatch: CloudWatchClient;
    print: (line: string) => void;
  },
): Promise<Record<string, LocalHandler> | undefined> {
  switch (simulation) {
    case undefined:
    case 'hook-failure':
      return undefined;
    case 'unhealthy-green':
      context.print(`simulating: every target of the green target group fails its health checks`);
      await setTargetHealth(context.endpoint, {
        targetGroupArn: context.target.targetGroups.green,
        state: 'unhealthy',
        reason: 'Target.FailedHealthChecks',
        description: 'Health checks failed with these codes: [502] (simulated)',
      });
      return undefined;
    case 'build-failure':
      context.print('simulating: the build fails in its BUILD phase');
      await scriptBuildOutcomes(context.endpoint, context.stack.resources.BuildProject as string, [
        {
          status: 'FAILED',
          inProgressPolls: 1,
          failedPhase: 'BUILD',
          phaseMessage:
            'COMMAND_EXECUTION_ERROR: Error while executing command: docker build. Reason: exit status 1 (simulated)',
        },
      ]);
      return undefined;
    case 'alarm': {
      context.print(`simulating: alarm ${ALARM} goes off once production traffic reaches green`);
      const { handler } = require('../../functions/shift-traffic/handler') as { handler: LocalHandler };
      const shiftThenAlarm: LocalHandler = async (event, lambdaContext) => {
        const out = await handler(event, lambdaContext);
        await context.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: ALARM,
            StateValue: 'ALARM',
            StateReason: 'Threshold crossed: 12 5XX responses (simulated)',
          }),
        );
        return out;
      };
      return { ShiftTrafficFunction: shiftThenAlarm };
    }
  }
}

async function summarize(
  result: RunResult,
  context: {
    repo: Repository;
    strategy: string;
    target: BlueGreenFixture;
    started: number;
    endpoint: string | null;
    tableName: string;
    executionName: string;
  },
): Promise<LocalRunSummary> {
  const elbv2 = new ElasticLoadBalancingV2Client({});
  const ecs = new ECSClient({});
  const forward = await readForward(elbv2, context.target.listenerArn);
  const sets = await findTaskSets(ecs, context.target.clusterName, context.target.serviceName);
  // As percentages: a listener that forwards to one group without weights reads back as weight 1.
  const productionWeights = Object.fromEntries(
    forward.targetGroups.map((group) => [group.arn, group.percent]),
  );
  const live = forward.targetGroups.find(
    (group) => group.weight > 0 && group.weight === Math.max(...forward.targetGroups.map((g) => g.weight)),
  );
  // The deployment record says what was built, registered and shifted, whatever path the execution took.
  const table = new DeploymentsTable(new DynamoDBClient({}), context.tableName);
  const record = (await table.listRecords(context.repo.name, 20)).find(
    (item) => item.deploymentId === context.executionName,
  ) as
    | {
        build?: { image?: { imageUri?: string } };
        taskDefinitionArn?: string;
        steps?: { greenPercent: number; observedWeights: Record<string, number> }[];
        rollback?: unknown;
        error?: { message?: string };
      }
    | undefined;
  // A rollback by the machine, or by CleanUp after an abort (Ctrl-C).
  const rolledBack =
    result.statesVisited.includes('RecordRollback') ||
    (result.status === 'ABORTED' && /rolled back/.test(record?.error?.message ?? ''));
  const error = result.error ? { name: result.error.name, message: causeMessage(result.error.cause) } : null;
  return {
    status: result.status === 'SUCCEEDED' ? 'SUCCEEDED' : rolledBack ? 'ROLLED_BACK' : 'FAILED',
    commitId: context.repo.commitId,
    strategy: context.strategy,
    imageUri: record?.build?.image?.imageUri ?? null,
    taskDefinitionArn: record?.taskDefinitionArn ?? null,
    trafficSteps: (record?.steps ?? []).map(({ greenPercent, observedWeights }) => ({
      greenPercent,
      observedWeights,
    })),
    final: {
      productionWeights,
      liveTargetGroupArn: live?.arn ?? null,
      primaryTaskSet: sets.primary
        ? { arn: sets.primary.arn, taskDefinition: sets.primary.taskDefinition }
        : null,
      taskSetCount: (sets.primary ? 1 : 0) + sets.active.length,
    },
    error,
    metrics: {
      durationMs: Date.now() - context.started,
      stateTransitions: result.stateTransitions,
      lambdaInvocations: result.lambdaInvocations,
    },
    endpoint: context.endpoint,
  };
}

function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

function printSummary(summary: LocalRunSummary, result: RunResult, print: (line: string) => void): void {
  const seconds = (summary.metrics.durationMs / 1000).toFixed(1);
  if (summary.status === 'SUCCEEDED') {
    print(
      `✔ deployed ${summary.commitId.slice(0, 7)} in ${seconds} s: ${summary.taskDefinitionArn} serves 100 % of production`,
    );
  } else {
    print(`✘ ${summary.status} after ${seconds} s: ${summary.error?.name}: ${summary.error?.message}`);
    if (summary.status === 'ROLLED_BACK')
      print('  production is back on the live target group, green removed');
  }
  print(
    `  ${summary.final.taskSetCount} task set(s); primary ${summary.final.primaryTaskSet?.taskDefinition ?? 'none'}; ${result.stateTransitions} state transitions, ${result.lambdaInvocations} function invocations`,
  );
}
