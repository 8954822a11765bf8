import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { runningRecords } from '../stack/actions';
import {
  describeFlag,
  describeStep,
  formatDuration,
  pauseFromRecord,
  readPause,
  recordDuration,
  recordSteps,
  recordTaskDefinition,
  shortCommit,
  targetGroupName,
} from '../stack/describe';
import { describeRollbackFailed, rollbackFailedRecords } from '../stack/rollback-failed';
import { followRunning } from '../stack/status-follow';
import {
  type DeploymentRecord,
  resolveTarget,
  stackClients,
  TARGET_OPTIONS,
  TARGET_USAGE,
} from '../stack/target';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

/** The lines of `switchyard status` for a running deployment; `pause` and `execution` when they could be read. */
export function describeRunning(
  record: DeploymentRecord,
  context: { now: Date; pause?: string; execution?: { status?: string; error?: string; cause?: string } },
): string {
  const rows: [string, string][] = [];
  const duration = recordDuration(record, context.now);
  rows.push(['deployment', `${String(record.deploymentId)} (RUNNING)`]);
  rows.push([
    'commit',
    `${shortCommit(record.commitId)}${record.branch ? ` on ${String(record.branch)}` : ''}, ${String(record.trigger ?? 'unknown')}`,
  ]);
  rows.push([
    'started',
    `${String(record.startedAt)}${duration === undefined ? '' : ` (${formatDuration(duration)} ago)`}`,
  ]);
  const steps = recordSteps(record);
  const last = steps.at(-1);
  const green = record.green as { greenTaskSetArn?: string; greenTargetGroupArn?: string } | undefined;
  if (last) rows.push(['traffic', `${describeStep(last, record.green)} at ${last.at}`]);
  else if (green?.greenTaskSetArn) {
    rows.push([
      'traffic',
      `not shifted yet; green task set ${green.greenTaskSetArn.split('/').pop()}` +
        `${green.greenTargetGroupArn ? ` behind ${targetGroupName(green.greenTargetGroupArn)}` : ''}`,
    ]);
  } else rows.push(['traffic', 'not shifted yet (source, build, render or waiting for the lock)']);
  if (context.pause) rows.push(['pause', context.pause]);
  const build = (record.build as { id?: string } | undefined)?.id;
  rows.push(['build', build ?? '-']);
  rows.push(['task def', recordTaskDefinition(record) ?? '-']);
  if (record.promoteRequested) rows.push(['promote', `requested${describeFlag(record.promoteRequested)}`]);
  if (record.abortRequested) rows.push(['abort', `requested${describeFlag(record.abortRequested)}`]);
  const execution = context.execution;
  if (execution?.status && execution.status !== 'RUNNING') {
    const why = [execution.error, execution.cause].filter(Boolean).join(': ');
    rows.push([
      'warning',
      `the execution ended ${execution.status}${why ? ` (${why})` : ''} but the record is not closed yet ` +
        "(CleanUp closes it when the execution ends outside the machine's own catches)",
    ]);
  }
  if (typeof record.executionId === 'string') rows.push(['execution', record.executionId]);
  return `${rows.map(([key, value]) => `${key.padEnd(10)}  ${value}`).join('\n')}\n`;
}

async function executionOf(sfn: SFNClient, executionArn: unknown) {
  if (typeof executionArn !== 'string' || !executionArn.startsWith('arn:')) return undefined;
  try {
    return await sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch {
    return undefined;
  }
}

/** `switchyard status`: the running deployment. */
export const status: Command = {
  summary: 'show the running deployment: commit, elapsed time, traffic step, pause, build, task definition',
  usage: `switchyard status [--json | --follow] (--stack NAME | --table NAME --repository NAME)

Shows the running deployment (the newest record with status RUNNING): its id, commit, trigger, elapsed time,
the last traffic step (green percentage and the weights read back from the listener), the pause the state
machine is in when its history says so, the build and the task definition. Prints "no deployment running" when
there is none (exit status 0). Other running deployments (queued behind the lock) are listed after it. A
deployment whose rollback failed (ROLLBACK_FAILED: it keeps the lock) is shown first, with the command that resumes it.

  --json                      print the record as the table holds it (null when none is running)
  --follow                    attach to the running deployment (when none runs, say so and wait for the next
                              one) and print each change every second until it ends: build, task definition,
                              green, each traffic step with the weights read back, a pause, promote and abort
                              requests, a rollback, the end; exit status 0 only when it ends SUCCEEDED
${TARGET_USAGE}

Examples:
  switchyard status --stack switchyard
  switchyard status --follow --stack switchyard     (a deployment started by a push, or by someone else)`,
  run: async (args) => {
    const { values } = parseFlags('status', {
      args,
      options: { ...TARGET_OPTIONS, json: { type: 'boolean' }, follow: { type: 'boolean' } },
    });
    if (values.json && values.follow) {
      throw new InvalidInputError(
        '--json and --follow do not go together: --follow prints lines as they happen',
      );
    }
    const clients = stackClients();
    const target = await resolveTarget(values, ['tableName', 'repository'] as const, clients.cloudformation);
    if (values.follow) return followRunning({ clients, target, write: (text) => process.stdout.write(text) });
    const table = new DeploymentsTable(clients.dynamodb, target.tableName);
    const [record, ...others] = await runningRecords(table, target.repository);
    // A failed rollback keeps the service locked: it comes first, whatever runs.
    if (!values.json)
      process.stdout.write(describeRollbackFailed(await rollbackFailedRecords(table, target.repository)));
    if (values.json) {
      process.stdout.write(`${JSON.stringify(record ?? null, null, 2)}\n`);
      return 0;
    }
    if (!record) {
      process.stdout.write(`no deployment running (repository ${target.repository})\n`);
      return 0;
    }
    const execution = await executionOf(clients.sfn, record.executionId);
    const pause =
      execution?.status === 'RUNNING' && typeof record.executionId === 'string'
        ? await readPause(clients.sfn, record.executionId)
        : undefined;
    // Where the history cannot be read (an emulator), the record's own mark of the wait.
    const pauseRow = pause ?? pauseFromRecord(record);
    process.stdout.write(describeRunning(record, { now: new Date(), pause: pauseRow, execution }));
    for (const other of others) {
      process.stdout.write(
        `also running: ${String(other.deploymentId)} (commit ${shortCommit(other.commitId)}, started ${String(other.startedAt)})\n`,
      );
    }
    return 0;
  },
};
