/**
 * Following a deployment, for a person: what a record and an execution's history say (durations, steps, flags,
 * the pause), the lines that say what changed between two looks at a record, and the loop that prints them until
 * the deployment ends.
 */
import {
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { describeRequest, operatorRequest, type RecordedStep } from '../functions/lib/shift';
import type { DeploymentRecord } from './stack';

/** Every status after which a deployment record does not change any more. */
export function isFinal(status: unknown): boolean {
  return typeof status === 'string' && status !== 'RUNNING';
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

// ---- following an execution ----

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
