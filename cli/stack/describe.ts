/**
 * What a deployment record and an execution's history say, for a person: durations, commits, steps, flags,
 * errors, the pause in progress, and tables.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { describeRequest, operatorRequest } from '../../functions/lib/record/operator-requests';
import type { RecordedStep } from '../../functions/lib/record/traffic-record';
import pipeline from '../../statemachine/pipeline.asl.json';
import type { DeploymentRecord } from './target';

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

/** The machine's states: a history that names none of them is not the pipeline's (moto answers a canned one). */
const PIPELINE_STATES = new Set(Object.keys(pipeline.States));
const PAUSE_STATES = new Set(['StartPause', 'CheckPause', 'IsPauseOver', 'WaitInPause']);
const BAKE_STATES = new Set(['AfterAllowTrafficHooks', 'StartBake', 'CheckBake', 'IsBakeOver', 'WaitInBake']);

/**
 * What the machine is doing about the pause, from the newest events of its history (newest first): the state it
 * is in and the pause the last ShiftTraffic / CheckPause / CheckBake returned. Undefined when unknown.
 */
export function pauseFromHistory(events: readonly HistoryEvent[]): string | undefined {
  const current = events.find((event) => event.stateEnteredEventDetails)?.stateEnteredEventDetails?.name;
  if (!current || !PIPELINE_STATES.has(current)) return undefined;
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

/**
 * The pause as the record shows it, where the history cannot be read (`switchyard local --watch`): CheckPause
 * leaves each wait's token on the record (`pauseWait`, functions/lib/deploy/pause-wait.ts); one armed after the
 * last step is the pause of that step, or the bake after the last. Undefined when not paused or ended.
 */
export function pauseFromRecord(record: DeploymentRecord): string | undefined {
  const wait = record.pauseWait as { armedAt?: unknown } | undefined;
  const last = recordSteps(record).at(-1);
  if (record.status !== 'RUNNING' || record.finalizedAt || record.rollback) return undefined;
  if (!last || typeof wait?.armedAt !== 'string' || Date.parse(wait.armedAt) < Date.parse(last.at))
    return undefined;
  const what = last.greenPercent >= 100 ? 'baking (blue is removed at its end)' : 'paused';
  return `${what} at step ${last.step + 1} (${last.greenPercent} % to green) since ${last.at}; \`switchyard promote\` ends it now`;
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
