/**
 * The control routes Switchyard's patches add to a running moto server (/moto-api/switchyard/...), and moto's own
 * reset: scripted CodeBuild outcomes and the recorded builds, the build executor, target health, task-set
 * stability, the emulator's timings, and a local git repository served as CodeCommit. Each is one HTTP call to the emulator's endpoint,
 * with the emulator's secret in a header (emulator-credentials.ts).
 */
import { join } from 'node:path';
import type { BuildStatus, PhaseType } from '../build/runner';
import { controlHeaders } from './emulator-credentials';

export type { BuildStatus };

/** A phase a scripted build can end in: the ones between being queued and completing. */
export type BuildPhase = Exclude<PhaseType, 'SUBMITTED' | 'QUEUED' | 'COMPLETED'>;

export interface BuildOutcome {
  /** BatchGetBuilds calls that report the build IN_PROGRESS before the final status (default 0). */
  inProgressPolls?: number;
  status: BuildStatus;
  /** Phase that ends with `status` when it is not SUCCEEDED (default BUILD). */
  failedPhase?: BuildPhase;
  /** `"STATUS_CODE: message"` for the failed phase's context, as CodeBuild words it. */
  phaseMessage?: string;
}

export interface RecordedBuild {
  id: string;
  arn: string;
  projectName: string;
  accountId: string;
  region: string;
  /** Epoch seconds. */
  startTime: number;
  buildStatus: string;
  /** BatchGetBuilds calls that included this build. */
  polls: number;
  /** Every StartBuild parameter except projectName, as sent. */
  overrides: Record<string, unknown>;
  /** The scripted outcome this build consumed, or null for moto's default (SUCCEEDED at once). */
  outcome: BuildOutcome | null;
}

export type TargetHealthState =
  | 'initial'
  | 'healthy'
  | 'unhealthy'
  | 'unhealthy.draining'
  | 'unused'
  | 'draining'
  | 'unavailable';

export interface TargetHealthOverride {
  targetGroupArn: string;
  /** One target; without it every target of the group, including ones registered later. */
  targetId?: string;
  state: TargetHealthState;
  reason?: string;
  description?: string;
}

/**
 * How long the emulator takes where AWS takes time (cli/emulator/emulator_timings.py). A scale multiplies the
 * target group's own setting (1 = AWS's duration, 0 = none).
 */
export interface EmulatorTimings {
  /** A new target is `initial` for the group's HealthCheckIntervalSeconds × this before `healthy`. */
  healthCheckScale: number;
  /** A deregistered target is `draining` for the group's deregistration delay × this before it is gone. */
  deregistrationScale: number;
  /** Seconds an ECS task spends in PROVISIONING, PENDING and ACTIVATING before RUNNING. */
  taskStartSeconds: number;
}

/** No waiting at all: targets healthy and tasks RUNNING at once, deregistered targets gone at once (the tests' default). */
export const INSTANT_TIMINGS: EmulatorTimings = {
  healthCheckScale: 0,
  deregistrationScale: 0,
  taskStartSeconds: 0,
};

/** Change some of the emulator's timings until the next reset; answers all of them and the launch ones. */
export async function setEmulatorTimings(
  endpoint: string,
  timings: Partial<EmulatorTimings>,
): Promise<EmulatorTimings & { launch: EmulatorTimings }> {
  return control(endpoint, 'POST', '/moto-api/switchyard/timings', timings);
}

/** The emulator's current timings and the launch ones (what a reset restores). */
export async function getEmulatorTimings(
  endpoint: string,
): Promise<EmulatorTimings & { launch: EmulatorTimings }> {
  return control(endpoint, 'GET', '/moto-api/switchyard/timings');
}

/** Clear every resource and every Switchyard control (scripted builds, target health, git repositories, task-set stability; timings back to the launch ones); optionally seed ids. */
export async function resetMoto(endpoint: string, options: { seed?: number } = {}): Promise<void> {
  await control(endpoint, 'POST', '/moto-api/reset');
  if (options.seed !== undefined) await control(endpoint, 'POST', `/moto-api/seed?a=${options.seed}`);
}

/** Queue outcomes for the next StartBuilds of a CodeBuild project, consumed in order. */
export async function scriptBuildOutcomes(
  endpoint: string,
  projectName: string,
  outcomes: BuildOutcome[],
): Promise<{ projectName: string; queued: number }> {
  return control(endpoint, 'POST', '/moto-api/switchyard/codebuild/outcomes', { projectName, outcomes });
}

/** Every CodeBuild build started since the last reset, oldest first, with its StartBuild overrides. */
export async function listRecordedBuilds(endpoint: string): Promise<RecordedBuild[]> {
  const result = await control<{ builds: RecordedBuild[] }>(
    endpoint,
    'GET',
    '/moto-api/switchyard/codebuild/builds',
  );
  return result.builds;
}

/** Make DescribeTargetHealth report `state` for one target or for a whole target group. */
export async function setTargetHealth(
  endpoint: string,
  override: TargetHealthOverride,
): Promise<TargetHealthOverride> {
  return control(endpoint, 'POST', '/moto-api/switchyard/elbv2/target-health', override);
}

/** Exactly one of `taskSetArn` (that task set) and `serviceArn` (every task set the service creates from now on). */
export type TaskSetStability = (
  | { taskSetArn: string; serviceArn?: never }
  | { serviceArn: string; taskSetArn?: never }
) & {
  /** DescribeTaskSets calls that report STABILIZING before the task set's own stability shows (0 clears). */
  stabilizingPolls: number;
};

/**
 * Make a task set report STABILIZING for its next `stabilizingPolls` DescribeTaskSets (a slow green), or give
 * every task set a service creates from now on that many. Otherwise stability follows the tasks and targets.
 */
export async function setTaskSetStability(
  endpoint: string,
  stability: TaskSetStability,
): Promise<{ taskSetArn?: string; serviceArn?: string; stabilizingPolls: number }> {
  return control(endpoint, 'POST', '/moto-api/switchyard/ecs/task-set-stability', stability);
}

export interface GitRepositoryBinding {
  /** CodeCommit repository name (case-sensitive); created in moto if it does not exist. */
  name: string;
  /** Absolute path of the repository's root: a worktree, or a bare repository's directory. */
  path: string;
  /** Default: moto's default account. */
  accountId?: string;
  /** Default: us-east-1. */
  region?: string;
}

export interface ServedGitRepository {
  name: string;
  path: string;
  /** The repository's git directory, which the emulator reads. */
  gitDir: string;
  accountId: string;
  region: string;
  /** Whether the binding created the CodeCommit repository (false: it existed in moto already). */
  created: boolean;
  /** As GetRepository returns it; `defaultBranch` is the branch HEAD pointed to when bound. */
  repositoryMetadata: Record<string, unknown>;
}

/**
 * Serve CodeCommit GetBranch, GetCommit, GetFolder, GetFile and GetBlob for `name` from the local git
 * repository at `path` (read at each call, so later commits show). `/moto-api/reset` and DeleteRepository
 * drop the binding.
 */
export async function serveGitRepository(
  endpoint: string,
  binding: GitRepositoryBinding,
): Promise<ServedGitRepository> {
  return control(endpoint, 'POST', '/moto-api/switchyard/codecommit/repositories', binding);
}

/** The command that runs a build in the emulator: the local build runner (build-executor.ts), under this Node. */
export function buildExecutorCommand(): string[] {
  return [process.execPath, join(__dirname, 'build-executor.js')];
}

/**
 * Makes the emulator's CodeBuild run every new unscripted build for real with the executor it was launched with
 * (`startMoto({buildExecutor})`, default the local build runner), or, with false, go back to scripted outcomes.
 * Cleared by a reset. The command itself is never sent: no request can choose what the emulator runs.
 */
export async function setBuildExecutor(endpoint: string, enabled = true): Promise<{ enabled: boolean }> {
  return control(endpoint, 'POST', '/moto-api/switchyard/codebuild/run-builds', { enabled });
}

async function control<T>(
  endpoint: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const headers = controlHeaders(endpoint);
  const response = await fetch(new URL(path, endpoint), {
    method,
    ...(body === undefined
      ? { headers }
      : { body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}
