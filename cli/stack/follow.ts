/**
 * Following a deployment: the lines that say what changed between two looks at a record, and the loop that
 * prints them until the deployment ends.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { ENDINGS } from '../../functions/lib/clean-up/status-change';
import {
  describeError,
  describeFlag,
  describeStep,
  formatDuration,
  isFinal,
  pauseFromRecord,
  recordDuration,
  recordSteps,
  recordTaskDefinition,
  shortCommit,
  targetGroupName,
  taskDefinitionRevision,
} from './describe';
import { hookLines } from './follow-hooks';
import type { DeploymentRecord } from './target';

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
  lines.push(...hookLines(previous, current));
  const seen = recordSteps(before).length;
  for (const step of recordSteps(current).slice(seen)) lines.push(describeStep(step, current.green));
  // Once per pause: the wait is armed again at each check, the step it pauses after stays the same.
  const pause = pauseFromRecord(current);
  const pausedAt = (record: DeploymentRecord) =>
    pauseFromRecord(record) === undefined ? undefined : recordSteps(record).length;
  if (pause && pausedAt(current) !== pausedAt(before)) lines.push(pause);
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
 * looks. An execution that ends while its record is still RUNNING (stopped, timed out, failed outside a catch) is
 * said once with why, from DescribeExecution (executionEnding), while CleanUp closes the record. Returns the exit
 * code: 0 only for SUCCEEDED.
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
  let endSaid = false;
  let looksSinceEnd = 0;
  for (;;) {
    const { execution, record } = await deps.look();
    const status = execution.status ?? 'UNKNOWN';
    const ended = status !== 'RUNNING' && status !== 'PENDING_REDRIVE';
    if (record) {
      // CleanUp closed it within one look of the end: why the execution ended is still said, before the end.
      if (ended && !endSaid && isFinal(record.status) && closedByCleanUp(record)) {
        say(`execution ${executionEnding(execution)}`);
        endSaid = true;
      }
      for (const line of stageLines(previous, record)) say(line);
      previous = record;
      if (isFinal(record.status)) return record.status === 'SUCCEEDED' ? 0 : 1;
    }
    if (ended && !record) {
      say(`execution ended without a deployment record: ${executionEnding(execution)}`);
      return 1;
    }
    if (ended && !endSaid) {
      // The run ended before its own states wrote how (stopped, timed out, failed outside a catch): CleanUp closes it.
      say(`execution ${executionEnding(execution)}: waiting for CleanUp to close the deployment record`);
      endSaid = true;
    } else if (!ended && status !== executionStatus && executionStatus !== undefined) {
      say(`execution ${status}`);
    }
    executionStatus = status;
    if (ended) {
      looksSinceEnd += 1;
      if (looksSinceEnd > graceLooks) {
        say(
          `execution ${executionEnding(execution)}, but the record is still RUNNING: CleanUp has not closed it ` +
            '(see `switchyard status`)',
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

/** A record CleanUp ended: its error is one of CleanUp's endings (functions/lib/clean-up/status-change.ts). */
function closedByCleanUp(record: DeploymentRecord): boolean {
  const name = (record.error as { name?: unknown } | undefined)?.name;
  return Object.values(ENDINGS).some((ending) => ending.name === name);
}

/**
 * Why an execution ended, as DescribeExecution says it: "stopped: <cause>" (StopExecution's cause, else its error),
 * "timed out", "failed: <error>: <cause>", or a run that succeeded without a record's reason (a duplicate commit).
 */
export function executionEnding(
  execution: Pick<DescribeExecutionCommandOutput, 'status' | 'error' | 'cause' | 'output'>,
): string {
  const { error, cause } = execution;
  switch (execution.status) {
    case 'ABORTED': {
      const why = cause || error;
      return why ? `stopped: ${why}` : 'stopped';
    }
    case 'TIMED_OUT':
      return 'timed out';
    case 'FAILED': {
      const why = [error, cause].filter(Boolean).join(': ');
      return why ? `failed: ${why}` : 'failed';
    }
    case 'SUCCEEDED':
      return outputReason(execution.output) ?? 'succeeded, no reason given';
    default:
      return `${String(execution.status ?? 'UNKNOWN')}${error || cause ? `: ${[error, cause].filter(Boolean).join(': ')}` : ''}`;
  }
}

function outputReason(output: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(output ?? 'null') as { reason?: unknown } | null;
    if (typeof parsed?.reason === 'string') return parsed.reason;
  } catch {
    // Not JSON: no reason to give.
  }
  return undefined;
}
