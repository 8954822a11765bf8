/**
 * The CleanUp core: an execution that was aborted or timed out runs none of its states again, so what it left
 * running is stopped here (its build) and its record is closed, letting the commit be deployed again.
 */
import type { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { getBuild, stopBuild } from './build';
import type { DeploymentsTable } from './deployments';
import { InvalidInputError } from './errors';

/** The part of the EventBridge "Step Functions Execution Status Change" event CleanUp reads. */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  source?: string;
  detail?: {
    executionArn?: string;
    name?: string;
    status?: string;
    startDate?: number;
    stopDate?: number | null;
  };
}

/** What CleanUp did. */
export interface CleanUpResult {
  deploymentId: string;
  action: 'closed' | 'already-ended' | 'no-record';
  stoppedBuild: string | null;
}

/** Cleans up after one aborted or timed-out execution. */
export async function cleanUp(
  event: ExecutionStatusChange,
  deps: { codebuild: CodeBuildClient; table: DeploymentsTable; repository: string },
): Promise<CleanUpResult> {
  const detail = event?.detail;
  if (
    event?.source !== 'aws.states' ||
    !detail?.name ||
    typeof detail.startDate !== 'number' ||
    (detail.status !== 'ABORTED' && detail.status !== 'TIMED_OUT')
  ) {
    throw new InvalidInputError(
      'CleanUp expects an EventBridge "Step Functions Execution Status Change" event with status ABORTED or TIMED_OUT (see events/clean-up.json)',
    );
  }
  const record = await deps.table.findRecord(deps.repository, detail.name, detail.startDate);
  if (!record) return { deploymentId: detail.name, action: 'no-record', stoppedBuild: null };
  if (record.status !== 'RUNNING')
    return { deploymentId: detail.name, action: 'already-ended', stoppedBuild: null };

  let stoppedBuild: string | null = null;
  const buildId = record.build?.id;
  if (buildId) {
    const build = await getBuild(deps.codebuild, buildId);
    if (build.buildStatus === 'IN_PROGRESS') {
      await stopBuild(deps.codebuild, buildId);
      stoppedBuild = buildId;
    }
  }
  const reason = detail.status === 'ABORTED' ? 'the execution was aborted' : 'the execution timed out';
  await deps.table.finish(record.deployment, 'ABORTED', {
    error: {
      name: detail.status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut',
      message: `${reason}${stoppedBuild ? `; build ${stoppedBuild} was stopped` : ''}`,
    },
  });
  return { deploymentId: detail.name, action: 'closed', stoppedBuild };
}
