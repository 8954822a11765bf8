import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildStatus, PhaseType } from '../build/runner';

/** The launcher sits next to this file, in the source tree and in any copy of `cli/`. */
const LAUNCHER = join(__dirname, 'moto_launcher.py');
const INSTALL_HINT = "pip install 'moto[server]==5.2.1'";
/** The launcher's exit code when moto cannot be imported. */
const MISSING_MOTO_EXIT_CODE = 3;
const READY_LINE = /^moto ready on (http:\/\/\S+)$/m;
const STDERR_TAIL_CHARS = 4000;

export interface StartMotoOptions {
  /** Port on 127.0.0.1; default 0, the launcher binds a free port (no race between choosing and binding). */
  port?: number;
  /** File that receives moto's request log and tracebacks (truncated); without it only a tail is kept. */
  log?: string;
  /** Python interpreter with moto installed; default `python3`. */
  python?: string;
  /** How long to wait for the ready line; default 30 s. */
  readyTimeoutMs?: number;
}

export interface MotoServer {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`. */
  endpoint: string;
  pid: number;
  /** File with moto's log, when one was asked for. */
  log?: string;
  /** Kill the server and wait until it has exited. */
  stop(): Promise<void>;
}

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

/** Start a patched moto server (cli/emulator/moto_launcher.py) that exits with this process. */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? 'python3';
  const logFd = options.log === undefined ? undefined : openSync(options.log, 'w');
  const args = [LAUNCHER, '--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  let child: ChildProcess;
  try {
    child = spawn(python, [...args, '--parent-pid', String(process.pid)], {
      stdio: ['ignore', 'pipe', logFd ?? 'pipe'],
    });
  } finally {
    // The child holds its own copy of the descriptor.
    if (logFd !== undefined) closeSync(logFd);
  }

  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const tail = (): string => {
    const text = options.log === undefined ? stderrTail : readTail(options.log);
    return text.trim() ? `\nmoto's stderr (last lines):\n${text.trim()}` : '';
  };

  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `moto did not report ready within ${options.readyTimeoutMs ?? 30000} ms (${LAUNCHER})${tail()}`,
        ),
      );
    }, options.readyTimeoutMs ?? 30000);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      stdout += chunk;
      const match = READY_LINE.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const what =
        error.code === 'ENOENT' ? `${python} was not found on PATH` : `${python} failed: ${error.message}`;
      reject(
        new Error(`Cannot start the moto server: ${what}. It needs Python 3 with moto: ${INSTALL_HINT}`),
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Let the last stderr chunk arrive before quoting it.
      setImmediate(() => {
        const hint = code === MISSING_MOTO_EXIT_CODE ? ` moto is missing: ${INSTALL_HINT}.` : '';
        reject(
          new Error(
            `The moto server (${python} ${LAUNCHER}) exited before it was ready (code ${code}, signal ${signal}).${hint}${tail()}`,
          ),
        );
      });
    });
  });

  // Keep draining stdout so the launcher never blocks on a full pipe; stderr keeps its tail.
  child.stdout?.resume();
  const pid = child.pid;
  if (pid === undefined) throw new Error('The moto server started without a pid');
  return {
    endpoint,
    pid,
    ...(options.log === undefined ? {} : { log: options.log }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
    },
  };
}

/** Stop a moto server by PID from a process that did not start it (jest's globalTeardown). */
export async function stopMotoByPid(pid: number, timeoutMs = 5000): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  const deadline = Date.now() + timeoutMs;
  while (signal(pid, 0)) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Clear every resource and every Switchyard control (scripted builds, target health, git repositories, task-set stability); optionally seed ids. */
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

export interface DefaultNetwork {
  vpcId: string;
  subnets: { subnetId: string; availabilityZone: string }[];
  /** The default VPC's `default` security group (ECS awsvpc tasks need one in moto). */
  securityGroupId: string;
}

/**
 * moto's default VPC, its default subnets (one per zone) and security group, which ELBv2 and ECS
 * fixtures need; their ids change after every reset. Read through EC2's query API, as the project
 * has no EC2 client.
 */
export async function describeDefaultNetwork(
  endpoint: string,
  region = 'us-east-1',
): Promise<DefaultNetwork> {
  const ec2 = async (action: string, filters: Record<string, string>): Promise<string> => {
    const body = new URLSearchParams({ Action: action, Version: '2016-11-15' });
    Object.entries(filters).forEach(([name, value], index) => {
      body.set(`Filter.${index + 1}.Name`, name);
      body.set(`Filter.${index + 1}.Value.1`, value);
    });
    const response = await fetch(endpoint, {
      method: 'POST',
      // moto routes by the credential scope; it does not check the signature.
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${region}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto EC2 ${action} answered ${response.status}: ${text}`);
    return text;
  };
  // Each item has exactly one of each element read here (nested items such as tags have none).
  const all = (xml: string, tag: string) =>
    [...xml.matchAll(new RegExp(`<${tag}>([^<]+)</${tag}>`, 'g'))].map((m) => m[1]);

  const vpcId = all(await ec2('DescribeVpcs', { isDefault: 'true' }), 'vpcId')[0];
  if (!vpcId) throw new Error(`moto at ${endpoint} has no default VPC in ${region}`);
  const subnetXml = await ec2('DescribeSubnets', { 'vpc-id': vpcId, 'default-for-az': 'true' });
  const zones = all(subnetXml, 'availabilityZone');
  const subnets = all(subnetXml, 'subnetId').flatMap((subnetId, i) => {
    const availabilityZone = zones[i];
    return subnetId && availabilityZone ? [{ subnetId, availabilityZone }] : [];
  });
  const groupXml = await ec2('DescribeSecurityGroups', { 'vpc-id': vpcId, 'group-name': 'default' });
  const securityGroupId = all(groupXml, 'groupId')[0];
  if (!securityGroupId) throw new Error(`moto at ${endpoint} has no default security group in ${vpcId}`);
  return { vpcId, subnets, securityGroupId };
}

/** The command that runs a build in the emulator: the local build runner (build-executor.ts), under this Node. */
export function buildExecutorCommand(): string[] {
  return [process.execPath, join(__dirname, 'build-executor.js')];
}

/**
 * Makes the emulator's CodeBuild run every new build for real with `command` (default: the local build runner),
 * or, with null, go back to scripted outcomes. Cleared by a reset.
 */
export async function setBuildExecutor(
  endpoint: string,
  command: string[] | null = buildExecutorCommand(),
): Promise<{ command: string[] | null }> {
  return control(endpoint, 'POST', '/moto-api/switchyard/codebuild/executor', { command });
}

async function control<T>(
  endpoint: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(new URL(path, endpoint), {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-STDERR_TAIL_CHARS);
  } catch {
    return '';
  }
}
