/**
 * The RecordResult core: ends a deployment's record with its final status and what the run produced or why it
 * failed, so that the history says what happened and the commit may be run again after a failure. Every end
 * releases the service's lock and queue item of the deployment and wakes the deployments waiting for it
 * (record/lock-wait.ts), so the next one goes at once.
 */

import { InvalidInputError } from '../shared/errors';
import { logger } from '../shared/log';
import type { Deployment, DeploymentStatus, DeploymentsTable } from './deployments';
import { releaseLock } from './lock';
import type { LockTable, ServiceRef } from './lock-table';
import { holdLockAfterRollbackFailure } from './rollback-failure';

/** The error object a Step Functions Catch puts at ResultPath: `{Error, Cause}`. */
export interface CaughtError {
  Error: string;
  Cause?: string;
}

/** Input of RecordResult. */
export interface RecordResultInput {
  deployment: Deployment;
  status: DeploymentStatus;
  error?: CaughtError;
  /** RecordRollbackFailure: why the rollback failed (`error` stays the cause of the rollback). */
  rollbackError?: CaughtError;
  source?: { bucket: string; key: string; versionId?: string; sha256: string; files: number; bytes: number };
  buildResult?: { buildId?: string; image?: unknown; logsUrl?: string | null };
  render?: { taskDefinitionArn?: string; appspec?: unknown };
  green?: unknown;
  finalize?: unknown;
  rollback?: unknown;
}

/** A failure as it is stored and shown: the error's name and a readable message. */
export interface FailureSummary {
  name: string;
  message: string;
}

/**
 * Turns a caught error into a name and message. Lambda puts a JSON document `{errorType, errorMessage, trace}`
 * in `Cause`; other states put plain text. The stack trace is not kept.
 */
export function summarizeFailure(error: CaughtError): FailureSummary {
  const cause = error.Cause ?? '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed) {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      return {
        name: typeof errorType === 'string' ? errorType : error.Error,
        message: String(errorMessage),
      };
    }
  } catch {
    // Not JSON: the cause is the message itself.
  }
  return { name: error.Error, message: cause };
}

/**
 * Writes the final status, then releases the service's lock and queue item (the handler always passes `lock`);
 * ROLLBACK_FAILED keeps the lock instead (marked, with the alarm's metric: rollback-failure.ts).
 * Returns what was recorded.
 */
export async function recordResult(
  input: RecordResultInput,
  table: DeploymentsTable,
  lock?: ServiceRef & { table: LockTable },
): Promise<{ status: DeploymentStatus; error: FailureSummary | null }> {
  if (!input.deployment || typeof input.deployment.id !== 'string') {
    throw new InvalidInputError(
      'RecordResult expects {"deployment": {...}, "status": ..., "error"?: {"Error", "Cause"}} (see events/record-result.json)',
    );
  }
  if (input.status === 'RUNNING') {
    throw new InvalidInputError('RecordResult field "status" is RUNNING: a result must be a final status');
  }
  // A rollback that found blue already deleted (Finalize got that far) left production on the new revision: the
  // record says SUCCEEDED, with the error, and never ROLLED_BACK while green serves 100 %.
  if (input.status === 'ROLLED_BACK' && (input.rollback as { keptGreen?: unknown })?.keptGreen === true) {
    input = { ...input, status: 'SUCCEEDED' };
  }
  const error = input.error ? summarizeFailure(input.error) : null;
  await table.finish(input.deployment, input.status, {
    error: error ?? undefined,
    source: input.source
      ? {
          bucket: input.source.bucket,
          key: input.source.key,
          versionId: input.source.versionId,
          sha256: input.source.sha256,
          files: input.source.files,
          bytes: input.source.bytes,
        }
      : undefined,
    build: input.buildResult?.buildId
      ? {
          id: input.buildResult.buildId,
          image: input.buildResult.image,
          logsUrl: input.buildResult.logsUrl ?? null,
        }
      : undefined,
    taskDefinitionArn: input.render?.taskDefinitionArn,
    // The revision and its AppSpec settings: a later {"rollback": true} redeploys them.
    render: input.render?.taskDefinitionArn
      ? { taskDefinitionArn: input.render.taskDefinitionArn, appspec: input.render.appspec }
      : undefined,
    green: input.green && Object.keys(input.green).length > 0 ? input.green : undefined,
    finalize: input.finalize,
    rollback: input.rollback,
    rollbackError: input.rollbackError ? summarizeFailure(input.rollbackError) : undefined,
  });
  if (input.status === 'ROLLBACK_FAILED') {
    if (lock) {
      const { lockKept, fix } = await holdLockAfterRollbackFailure(lock, input.deployment);
      logger.error(`ROLLBACK_FAILED: ${fix}${lockKept ? '' : ' (it did not hold the lock any more)'}`);
    }
    return { status: input.status, error };
  }
  // After the record: a waiter that takes the lock next finds this deployment already ended in the history.
  if (lock) {
    await releaseLock(lock.table, {
      deployment: input.deployment,
      cluster: lock.cluster,
      service: lock.service,
      // A rollback that succeeded (a resumed one too) frees a lock kept after a failed rollback.
      rollbackDone: input.status === 'ROLLED_BACK' || input.status === 'SUCCEEDED',
    });
  }
  return { status: input.status, error };
}
