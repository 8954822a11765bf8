/**
 * Deployments whose rollback failed (status ROLLBACK_FAILED), as `switchyard status`, `switchyard history` and
 * `switchyard rollback --resume` show and resume them. Such a deployment keeps the service's lock until its
 * rollback is resumed and succeeds (functions/lib/record/rollback-failure.ts).
 */
import type { DeploymentsTable } from '../../functions/lib/record/deployments';
import { resumeRollbackFix } from '../../functions/lib/record/lock-rollback-failed';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { DeploymentRecord } from './target';

/** The deployments of the repository whose rollback failed, newest first, among the last 50 records. */
export async function rollbackFailedRecords(
  table: DeploymentsTable,
  repository: string,
): Promise<DeploymentRecord[]> {
  return (await table.listRecords(repository, 50)).filter((record) => record.status === 'ROLLBACK_FAILED');
}

/** The lines that tell an operator about deployments whose rollback failed (empty when there is none). */
export function describeRollbackFailed(records: readonly DeploymentRecord[]): string {
  return records
    .map((record) => {
      const id = String(record.deploymentId);
      const error = record.rollbackError as { name?: string; message?: string } | undefined;
      const why = error ? ` (${[error.name, error.message].filter(Boolean).join(': ')})` : '';
      return `ROLLBACK_FAILED  ${id}, commit ${String(record.commitId ?? '-').slice(0, 8)}${why}: ${resumeRollbackFix(id)}\n`;
    })
    .join('');
}

/** The execution input of a resumed rollback, as Prepare reads it (functions/lib/record/resume-rollback.ts). */
export function resumeRollbackInput(deploymentId: string): { resumeRollback: { deploymentId: string } } {
  return { resumeRollback: { deploymentId } };
}

/**
 * Which deployment `switchyard rollback --resume` resumes: the one named, or else the newest whose rollback
 * failed (the state machine's Prepare checks again that it keeps the lock).
 */
export async function deploymentToResume(
  named: string | undefined,
  find: () => Promise<DeploymentRecord[]>,
): Promise<string> {
  if (named !== undefined) {
    if (!/^[\w.-]{1,80}$/.test(named)) {
      throw new InvalidInputError(
        `--resume ${named}: expected a deployment id as switchyard history prints it (letters, digits, - _ .)`,
      );
    }
    return named;
  }
  const [newest, ...others] = await find();
  if (!newest) {
    throw new InvalidInputError(
      'no deployment with status ROLLBACK_FAILED among the last 50: there is no rollback to resume ' +
        '(switchyard history lists the deployments; give the id with --resume ID)',
    );
  }
  if (others.length > 0) {
    process.stderr.write(
      `resuming the newest of ${others.length + 1} deployments with a failed rollback: ${String(newest.deploymentId)}\n`,
    );
  }
  return String(newest.deploymentId);
}
