/**
 * Following a deployment: the lines that say what changed between two looks at a record, and the loop that
 * prints them until the deployment ends.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
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
import type { DeploymentRecord } from './target';

export interface FollowSnapshot {
  execution: Pick<DescribeExecutionCommandOutput, 'status' | 'error' | 'cause' | 'output'>;
  record?: DeploymentRecord;
  /** Lines from elsewhere than the record to print with this look (the hooks, from the history: follow-hooks.ts). */
  notes?: string[];
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
    const { execution, record, notes = [] } = await deps.look();
    for (const note of notes) say(note);
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
