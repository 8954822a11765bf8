/**
 * What the stack commands (`switchyard deploy | status | history | promote | abort | rollback`) share: finding the
 * deployed stack's state machine, table and repository, the AWS clients, the running deployment, the operator
 * flags, starting and following an execution, and the formatting of durations, steps and tables.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Deployment, DeploymentsTable } from '../functions/lib/deployments';
import { InvalidInputError } from '../functions/lib/errors';
import {
  describeRequest,
  type OperatorRequest,
  operatorRequest,
  type RecordedStep,
} from '../functions/lib/shift';

/** A deployment record as the table holds it (functions/lib/deployments.ts); every field is read defensively. */
export type DeploymentRecord = Record<string, unknown>;

/** The options that say which deployed stack a command talks to. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  'state-machine': { type: 'string' },
  table: { type: 'string' },
  repository: { type: 'string' },
} as const;

/** Usage text of TARGET_OPTIONS, for each command's help. */
export const TARGET_USAGE = `  --stack NAME                the deployed Switchyard stack: its outputs StateMachineArn and
                              DeploymentsTableName and its parameter RepositoryName (CloudFormation DescribeStacks)
  --state-machine ARN         instead of --stack, or to override it: the pipeline state machine
  --table NAME                  ... the deployments table
  --repository NAME             ... the CodeCommit repository the stack deploys

AWS calls use the normal credential chain and region (AWS_REGION, AWS_PROFILE), and go where AWS_ENDPOINT_URL
points when it is set (an emulator).`;

/** What a stack command talks to. */
export interface Target {
  stateMachineArn: string;
  tableName: string;
  repository: string;
}

/** The AWS clients of the stack commands, created once per command run. */
export interface StackClients {
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
  cloudformation: CloudFormationClient;
}

/** Creates the clients; region, credentials and endpoint come from the environment. */
export function stackClients(): StackClients {
  return {
    sfn: new SFNClient({}),
    dynamodb: new DynamoDBClient({}),
    cloudformation: new CloudFormationClient({}),
  };
}

const FLAG_OF: Record<keyof Target, string> = {
  stateMachineArn: '--state-machine ARN',
  tableName: '--table NAME',
  repository: '--repository NAME',
};
const SOURCE_OF: Record<keyof Target, string> = {
  stateMachineArn: 'output StateMachineArn',
  tableName: 'output DeploymentsTableName',
  repository: 'parameter RepositoryName',
};

/**
 * Resolves the target: `--stack` reads the stack (DescribeStacks), explicit flags win over it; every field in
 * `needs` must end up set, or the error names the options to give.
 */
export async function resolveTarget<N extends keyof Target>(
  options: { stack?: string; 'state-machine'?: string; table?: string; repository?: string },
  needs: readonly N[],
  cloudformation: CloudFormationClient,
): Promise<Partial<Target> & Pick<Target, N>> {
  // The SDK would only say "Region is missing", at the first call.
  const region = await cloudformation.config.region().catch(() => undefined);
  if (!region) {
    throw new InvalidInputError('no AWS region: set AWS_REGION (or region in the config of AWS_PROFILE)');
  }
  const explicit: Partial<Target> = {
    ...(options['state-machine'] ? { stateMachineArn: options['state-machine'] } : {}),
    ...(options.table ? { tableName: options.table } : {}),
    ...(options.repository ? { repository: options.repository } : {}),
  };
  if (!options.stack) {
    const missing = needs.filter((field) => !explicit[field]);
    if (missing.length > 0) {
      throw new InvalidInputError(
        `--stack NAME or ${needs.map((field) => FLAG_OF[field]).join(' ')} is required ` +
          `(missing: ${missing.map((field) => FLAG_OF[field].split(' ')[0]).join(', ')})`,
      );
    }
    return explicit as Partial<Target> & Pick<Target, N>;
  }
  const stack = await describeStack(cloudformation, options.stack);
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const parameter = (key: string) => stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
  const fromStack: Partial<Target> = {
    stateMachineArn: output('StateMachineArn'),
    tableName: output('DeploymentsTableName'),
    repository: parameter('RepositoryName'),
  };
  const target = { ...fromStack, ...explicit };
  const missing = needs.filter((field) => !target[field]);
  if (missing.length > 0) {
    throw new InvalidInputError(
      `stack "${options.stack}" (${stack.StackStatus}) has no ${missing.map((field) => SOURCE_OF[field]).join(', ')}: ` +
        `is it a Switchyard stack (template.yaml), fully created? Outputs: ${(stack.Outputs ?? []).map((o) => o.OutputKey).join(', ') || 'none'}. ` +
        `Or give ${missing.map((field) => FLAG_OF[field]).join(' ')}`,
    );
  }
  return target as Partial<Target> & Pick<Target, N>;
}

async function describeStack(cloudformation: CloudFormationClient, name: string): Promise<Stack> {
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/does not exist/.test(message)) throw error;
  }
  if (!stack) {
    const region = await cloudformation.config.region().catch(() => 'the configured region');
    throw new InvalidInputError(
      `stack "${name}" does not exist in ${region}: check --stack (the name given to sam deploy) and AWS_REGION`,
    );
  }
  return stack;
}

/** Every status after which a deployment record does not change any more. */
export function isFinal(status: unknown): boolean {
  return typeof status === 'string' && status !== 'RUNNING';
}

/** The running deployments of the repository (status RUNNING), newest first, among the last 50 records. */
export async function runningRecords(
  table: DeploymentsTable,
  repository: string,
): Promise<DeploymentRecord[]> {
  return (await table.listRecords(repository, 50)).filter((record) => record.status === 'RUNNING');
}

/** Who runs this command, for the `by` of a promote or abort (STS is not a dependency: the login name). */
export function operatorName(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The outcome of setting a flag: set, or the record had moved on (its current state). */
export type FlagResult = { set: true } | { set: false; record: DeploymentRecord | undefined };

/**
 * Sets `promoteRequested` or `abortRequested` on a record, on condition that the deployment is still RUNNING (and
 * any extra condition), so a flag never lands on an ended deployment.
 */
export async function setOperatorFlag(options: {
  dynamodb: DynamoDBClient;
  tableName: string;
  record: DeploymentRecord;
  flag: 'promoteRequested' | 'abortRequested';
  request: OperatorRequest;
  requireSteps?: boolean;
}): Promise<FlagResult> {
  const { record, flag, tableName } = options;
  const doc = DynamoDBDocumentClient.from(options.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: 'SET #flag = :request',
        ConditionExpression: `#status = :running${options.requireSteps ? ' AND attribute_exists(#steps)' : ''}`,
        ExpressionAttributeNames: {
          '#flag': flag,
          '#status': 'status',
          ...(options.requireSteps ? { '#steps': 'steps' } : {}),
        },
        ExpressionAttributeValues: { ':request': options.request, ':running': 'RUNNING' },
      }),
    );
    return { set: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  // The record's own key, as listRecords returned it: no key is built outside functions/lib/deployments.ts.
  const now = await doc.send(
    new GetCommand({ TableName: tableName, Key: { pk: record.pk, sk: record.sk }, ConsistentRead: true }),
  );
  return { set: false, record: now.Item };
}

// ---- formatting ----

/** `42s`, `3m 05s`, `2h 07m`, `3d 04h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${pad(Math.floor(seconds / 60) % 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${pad(Math.floor(seconds / 3600) % 24)}h`;
}

/** How long a deployment ran: to its end, or to `now` while it runs; undefined without a valid start. */
export function recordDuration(record: DeploymentRecord, now: Date): number | undefined {
  const start = Date.parse(String(record.startedAt));
  const end = typeof record.finishedAt === 'string' ? Date.parse(record.finishedAt) : now.getTime();
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

/** The first 7 characters of a commit id. */
export function shortCommit(commitId: unknown): string {
  return typeof commitId === 'string' && commitId !== '' ? commitId.slice(0, 7) : '-';
}

/** The record's task definition: set by a redeploy at the start, by RecordResult at the end. */
export function recordTaskDefinition(record: DeploymentRecord): string | undefined {
  if (typeof record.taskDefinitionArn === 'string') return record.taskDefinitionArn;
  const render = record.render as { taskDefinitionArn?: unknown } | undefined;
  return typeof render?.taskDefinitionArn === 'string' ? render.taskDefinitionArn : undefined;
}

/** `family:revision` of a task definition ARN (the ARN itself when it is not one). */
export function taskDefinitionRevision(arn: string | undefined): string {
  if (!arn) return '-';
  return /:task-definition\/(.+)$/.exec(arn)?.[1] ?? arn;
}

/** The name of a target group from its ARN (`…:targetgroup/<name>/<id>`). */
export function targetGroupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** The steps a record holds, as ShiftTraffic appended them. */
export function recordSteps(record: DeploymentRecord): RecordedStep[] {
  return Array.isArray(record.steps) ? (record.steps as RecordedStep[]) : [];
}

/** `step 2: 10 % to green (observed: app-b (green) 10 %, app-a (live) 90 %)`. */
export function describeStep(step: RecordedStep, green: unknown): string {
  const groups = (green ?? {}) as { greenTargetGroupArn?: string; liveTargetGroupArn?: string };
  const observed = Object.entries(step.observedWeights ?? {})
    .map(([arn, weight]) => {
      const role =
        arn === groups.greenTargetGroupArn ? ' (green)' : arn === groups.liveTargetGroupArn ? ' (live)' : '';
      return `${targetGroupName(arn)}${role} ${weight} %`;
    })
    .join(', ');
  return `step ${step.step + 1}: ${step.greenPercent} % to green${observed ? ` (observed: ${observed})` : ''}`;
}

/** ` by alice at 2026-…: reason` for a flag in any of the formats CheckPause reads. */
export function describeFlag(value: unknown): string {
  return describeRequest(operatorRequest(value) ?? {});
}

/** `AlarmError: CloudWatch alarm …` from a record's `error`. */
export function describeError(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { name, message } = error as { name?: unknown; message?: unknown };
  return [name, message].filter((part) => typeof part === 'string' && part !== '').join(': ') || undefined;
}

/** A plain text table: a header row and left-aligned columns two spaces apart. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

// ---- the pause, from the execution's history ----

const PAUSE_STATES = new Set(['StartPause', 'CheckPause', 'IsPauseOver', 'WaitInPause']);
const BAKE_STATES = new Set(['AfterAllowTrafficHooks', 'StartBake', 'CheckBake', 'IsBakeOver', 'WaitInBake']);

/**
 * What the machine is doing about the pause, from the newest events of its history (newest first): the state it
 * is in and the pause the last ShiftTraffic / CheckPause / CheckBake returned. Undefined when unknown.
 */
export function pauseFromHistory(events: readonly HistoryEvent[]): string | undefined {
  const current = events.find((event) => event.stateEnteredEventDetails)?.stateEnteredEventDetails?.name;
  if (!current) return undefined;
  const inPause = PAUSE_STATES.has(current);
  const inBake = BAKE_STATES.has(current);
  if (!inPause && !inBake) return `not paused (state ${current})`;
  const exited = events.find((event) =>
    ['ShiftTraffic', 'CheckPause', 'CheckBake'].includes(event.stateExitedEventDetails?.name ?? ''),
  )?.stateExitedEventDetails;
  let pause: unknown;
  try {
    const output = JSON.parse(exited?.output ?? 'null') as {
      traffic?: { pause?: unknown };
      pauseCheck?: { pause?: unknown };
    } | null;
    pause = exited?.name === 'ShiftTraffic' ? output?.traffic?.pause : output?.pauseCheck?.pause;
  } catch {
    pause = undefined;
  }
  const what = inBake ? 'baking' : 'paused';
  if (pause && typeof pause === 'object' && 'manual' in pause) {
    const since = (pause as { since?: unknown }).since;
    return `${what} until \`switchyard promote\`${typeof since === 'string' ? ` (since ${since})` : ''}`;
  }
  if (pause && typeof pause === 'object' && 'remainingSeconds' in pause) {
    const left = Number((pause as { remainingSeconds: unknown }).remainingSeconds);
    const after = inBake ? ' before the blue task set is removed' : ' before the next step';
    return `${what}: about ${formatDuration(left * 1000)} left${after} (\`switchyard promote\` ends it now)`;
  }
  return `${what} (state ${current})`;
}

/** The pause of a running execution, from GetExecutionHistory; undefined when it cannot be read. */
export async function readPause(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  try {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 50,
        includeExecutionData: true,
      }),
    );
    return pauseFromHistory(out.events ?? []);
  } catch {
    return undefined;
  }
}

// ---- starting and following an execution ----

/** `manual-20260102T030405Z-1a2b3c`: a valid, unique, sortable execution name (it becomes the deployment id). */
export function executionName(prefix: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** One look at a deployment in progress: its execution and, once Prepare wrote it, its record. */
export interface FollowSnapshot {
  execution: Pick<DescribeExecutionCommandOutput, 'status' | 'error' | 'cause' | 'output'>;
  record?: DeploymentRecord;
}

/** The lines that say what changed between two looks at a record (undefined: not written yet). */
export function stageLines(previous: DeploymentRecord | undefined, current: DeploymentRecord): string[] {
  const lines: string[] = [];
  const before = previous ?? {};
  if (!previous) {
    lines.push(
      `deployment ${String(current.deploymentId)}: commit ${shortCommit(current.commitId)}` +
        `${current.branch ? ` on ${String(current.branch)}` : ''} (${String(current.trigger ?? 'unknown')})`,
    );
  }
  const buildId = (record: DeploymentRecord) => (record.build as { id?: string } | undefined)?.id;
  if (buildId(current) && buildId(current) !== buildId(before)) lines.push(`build ${buildId(current)}`);
  const taskDefinition = recordTaskDefinition(current);
  if (taskDefinition && taskDefinition !== recordTaskDefinition(before)) {
    lines.push(`task definition ${taskDefinitionRevision(taskDefinition)}`);
  }
  const green = current.green as { greenTaskSetArn?: string; greenTargetGroupArn?: string } | undefined;
  const greenBefore = before.green as { greenTaskSetArn?: string } | undefined;
  if (green?.greenTaskSetArn && green.greenTaskSetArn !== greenBefore?.greenTaskSetArn) {
    const group = green.greenTargetGroupArn ? ` behind ${targetGroupName(green.greenTargetGroupArn)}` : '';
    lines.push(`green task set ${green.greenTaskSetArn.split('/').pop()}${group}`);
  }
  const seen = recordSteps(before).length;
  for (const step of recordSteps(current).slice(seen)) lines.push(describeStep(step, current.green));
  for (const [flag, verb] of [
    ['promoteRequested', 'promote'],
    ['abortRequested', 'abort'],
  ] as const) {
    if (current[flag] && JSON.stringify(current[flag]) !== JSON.stringify(before[flag])) {
      lines.push(`${verb} requested${describeFlag(current[flag])}`);
    }
  }
  if (current.finalizedAt && !before.finalizedAt) lines.push('finalized: green is the primary task set');
  const rollback = current.rollback as { summary?: string } | undefined;
  if (rollback && !before.rollback)
    lines.push(`rolled back${rollback.summary ? `: ${rollback.summary}` : ''}`);
  if (isFinal(current.status) && current.status !== before.status) {
    const duration = recordDuration(current, new Date());
    const error = describeError(current.error);
    lines.push(
      `${String(current.status)}${duration === undefined ? '' : ` in ${formatDuration(duration)}`}${error ? `: ${error}` : ''}`,
    );
  }
  return lines;
}

/** How the follow loop reads, waits and writes; injected so tests run it on a fake clock. */
export interface FollowDeps {
  look: () => Promise<FollowSnapshot>;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  write: (line: string) => void;
  intervalMs?: number;
  /** Looks to wait, once the execution has ended, for CleanUp to close a record still RUNNING. */
  graceLooks?: number;
}

/**
 * Follows a deployment until it ends, one line per change, each prefixed with the time since `startedAt`. The
 * record's status is authoritative: a final status ends the loop whatever the execution says (it is still in its
 * last states, or an emulator never ends it). The execution's end only counts without a record: it ended before
 * Prepare wrote one (a duplicate commit, an invalid input), or CleanUp did not close the record within the grace
 * looks. Returns the exit code: 0 only for SUCCEEDED.
 */
export async function followDeployment(startedAt: Date, deps: FollowDeps): Promise<number> {
  const interval = deps.intervalMs ?? 2000;
  const graceLooks = deps.graceLooks ?? 15;
  const stamp = () => {
    const seconds = Math.max(0, Math.floor((deps.now().getTime() - startedAt.getTime()) / 1000));
    return `[${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}]`;
  };
  const say = (line: string) => deps.write(`${stamp()} ${line}\n`);
  let previous: DeploymentRecord | undefined;
  let executionStatus: string | undefined;
  let waitingSaid = false;
  let looksSinceEnd = 0;
  for (;;) {
    const { execution, record } = await deps.look();
    if (record) {
      for (const line of stageLines(previous, record)) say(line);
      previous = record;
      if (isFinal(record.status)) return record.status === 'SUCCEEDED' ? 0 : 1;
    }
    const status = execution.status ?? 'UNKNOWN';
    const ended = status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
    if (status !== executionStatus && executionStatus !== undefined) say(`execution ${status}`);
    executionStatus = status;
    if (ended && !record) {
      say(`execution ended ${status} without a deployment record: ${executionOutcome(execution)}`);
      return 1;
    }
    if (ended) {
      looksSinceEnd += 1;
      if (looksSinceEnd > graceLooks) {
        say(
          `execution ended ${status} but the record is still RUNNING: CleanUp has not closed it; ` +
            `${executionOutcome(execution)} (see \`switchyard status\`)`,
        );
        return 1;
      }
    }
    if (!record && !waitingSaid) {
      say('execution RUNNING: waiting for Prepare to write the deployment record');
      waitingSaid = true;
    }
    await deps.sleep(interval);
  }
}

function executionOutcome(execution: FollowSnapshot['execution']): string {
  if (execution.error || execution.cause) {
    return [execution.error, execution.cause].filter(Boolean).join(': ');
  }
  try {
    const output = JSON.parse(execution.output ?? 'null') as { reason?: unknown } | null;
    if (typeof output?.reason === 'string') return output.reason;
  } catch {
    // Not JSON: nothing more to say than the status.
  }
  return 'no error or reason given';
}

/**
 * Starts an execution of the pipeline and prints its ARN; with `follow`, follows it (followDeployment) and
 * returns its exit code.
 */
export async function startDeployment(options: {
  clients: StackClients;
  target: Partial<Target> & Pick<Target, 'stateMachineArn'>;
  prefix: string;
  input: Record<string, unknown>;
  follow: boolean;
  write: (text: string) => void;
}): Promise<number> {
  const { clients, target, write } = options;
  const now = new Date();
  const name = executionName(options.prefix, now);
  const out = await clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      name,
      input: JSON.stringify(options.input),
    }),
  );
  const executionArn = out.executionArn ?? '';
  write(`${executionArn}\n`);
  if (!options.follow) return 0;
  if (!target.tableName || !target.repository) {
    throw new InvalidInputError(
      '--follow needs the deployments table and repository: give --stack, or --table and --repository',
    );
  }
  const startedAt = out.startDate ?? now;
  const table = new DeploymentsTable(clients.dynamodb, target.tableName);
  const repository = target.repository;
  let deployment: Deployment | undefined;
  return followDeployment(startedAt, {
    look: async () => {
      // The execution first: a record written before the execution ended is then always seen with it.
      const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      deployment ??= (await table.findRecord(repository, name, startedAt.getTime()))?.deployment;
      return { execution, record: deployment ? await table.getRecord(deployment) : undefined };
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    write,
  });
}

// ---- promote and abort ----

/** Options of `switchyard promote` / `switchyard abort` besides the target. */
export const FLAG_OPTIONS = {
  deployment: { type: 'string' },
  reason: { type: 'string' },
} as const;

/**
 * Sets a promote or abort flag on a running deployment: the newest running one, or `deploymentId`'s. Throws a
 * message saying what is running instead when there is nothing to flag; returns the record that was flagged.
 */
export async function flagRunningDeployment(options: {
  clients: Pick<StackClients, 'dynamodb'>;
  target: Pick<Target, 'tableName' | 'repository'>;
  flag: 'promoteRequested' | 'abortRequested';
  deploymentId?: string;
  reason?: string;
  now: Date;
  by: string;
}): Promise<DeploymentRecord> {
  const { clients, target, flag } = options;
  const verb = flag === 'promoteRequested' ? 'promote' : 'abort';
  const table = new DeploymentsTable(clients.dynamodb, target.tableName);
  const running = await runningRecords(table, target.repository);
  const record = options.deploymentId
    ? running.find((candidate) => candidate.deploymentId === options.deploymentId)
    : running[0];
  if (!record) {
    const which = options.deploymentId
      ? `deployment ${options.deploymentId} is not running`
      : 'no deployment is running';
    const others = running.map((r) => String(r.deploymentId)).join(', ');
    const [newest] = await table.listRecords(target.repository, 1);
    const latest = newest
      ? `the newest, ${String(newest.deploymentId)}, is ${String(newest.status)}`
      : 'it has no deployments yet';
    throw new InvalidInputError(
      `${which} for repository ${target.repository} (${others ? `running: ${others}` : latest}); nothing to ${verb}`,
    );
  }
  const request: OperatorRequest = {
    by: options.by,
    at: options.now.toISOString(),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  // Step 0 drops a promote given before the shift starts, so one that early is refused rather than lost.
  const requireSteps = flag === 'promoteRequested';
  const result = await setOperatorFlag({
    dynamodb: clients.dynamodb,
    tableName: target.tableName,
    record,
    flag,
    request,
    requireSteps,
  });
  if (!result.set) {
    const now = result.record;
    const id = String(record.deploymentId);
    if (now && isFinal(now.status)) {
      throw new InvalidInputError(
        `deployment ${id} ended ${String(now.status)}${typeof now.finishedAt === 'string' ? ` at ${now.finishedAt}` : ''} before the ${verb} was recorded; nothing to ${verb}`,
      );
    }
    if (now && requireSteps && recordSteps(now).length === 0) {
      throw new InvalidInputError(
        `deployment ${id} has not started shifting traffic, and its first step drops a promote given earlier: ` +
          'run `switchyard promote` again once `switchyard status` shows a pause',
      );
    }
    throw new InvalidInputError(
      `deployment ${id}'s record changed while the ${verb} was being recorded; try again`,
    );
  }
  return record;
}
