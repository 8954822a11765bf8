/**
 * The lock of a deployment whose rollback failed. It is not released: the listener may still split traffic
 * between blue and green, and a new deployment must not start on it. RecordRollbackFailure marks the lock item
 * ROLLBACK_FAILED (a conditional update: only the holder's own item), so that AcquireLock can tell the waiters
 * what happened and how to get out of it; a resumed rollback that succeeds releases it as any end does.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient } from '../shared/errors';
import { type LockItem, type LockTable, lockKey, type ServiceRef } from './lock-table';

/** The lock item with the mark RecordRollbackFailure leaves on it. */
type MarkedLockItem = LockItem & { status?: string; rollbackFailedAt?: string };

/** What an operator does about a holder whose rollback failed. */
export function resumeRollbackFix(deploymentId: string): string {
  return (
    `the rollback of deployment ${deploymentId} failed and it keeps the service lock; look at its execution's ` +
    `Rollback error, fix the cause, then run \`switchyard rollback --resume ${deploymentId}\`, which rolls back ` +
    'again and releases the lock when it succeeds'
  );
}

/** The holder as AcquireLock reports it when the lock item is marked ROLLBACK_FAILED; undefined otherwise. */
export function rollbackFailedHolder(item: LockItem):
  | {
      deploymentId: string;
      commitId: string;
      since: string;
      status: 'ROLLBACK_FAILED';
      fix: string;
    }
  | undefined {
  if ((item as MarkedLockItem).status !== 'ROLLBACK_FAILED') return undefined;
  return {
    deploymentId: item.deploymentId,
    commitId: item.commitId,
    since: item.since,
    status: 'ROLLBACK_FAILED',
    fix: resumeRollbackFix(item.deploymentId),
  };
}

/**
 * Marks the service's lock ROLLBACK_FAILED if this deployment holds it. Idempotent; false when it does not hold
 * it (nothing is written: the lock of another deployment is never touched).
 */
export async function markLockRollbackFailed(
  table: LockTable,
  ref: ServiceRef,
  deploymentId: string,
  now: Date,
): Promise<boolean> {
  try {
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: lockKey(ref),
        UpdateExpression: 'SET #status = :failed, rollbackFailedAt = if_not_exists(rollbackFailedAt, :now)',
        ConditionExpression: 'deploymentId = :self',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'ROLLBACK_FAILED',
          ':now': now.toISOString(),
          ':self': deploymentId,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw asTransient(`UpdateItem ${lockKey(ref).pk} in ${table.tableName}`, error);
  }
}
