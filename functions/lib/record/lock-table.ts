/**
 * The service lock's items in the deployments table, and every read and write of them. The holder is one item
 * (`LOCK#<cluster>/<service>`, `LOCK`) taken with a conditional put and released with a conditional delete; each
 * waiting deployment is one item (`QUEUE#<cluster>/<service>`, `<startedAt>#<deploymentId>`: a key its deployment
 * can rebuild from `$.deployment` alone, as RecordResult and CleanUp do), and carries an `expiresAt` that each of
 * its deployment's polls moves on past its next safety check (the table's TTL deletes it once its execution stops
 * polling), and, while its deployment waits in WaitForLock, that wait's task token (`waitToken`, lock-wait.ts).
 * The turns are not the key's order but the push order (`pushOrder`, commit-order.ts) that both items carry.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { asTransient } from '../shared/errors';
import type { OrderedDeployment, PushOrder } from './commit-order';
import type { Deployment } from './deployments';

/**
 * A queue item not refreshed by its deployment's polls for this long after its next safety check was due
 * (lock-wait.ts: up to a day) belongs to a dead execution.
 */
export const STALE_WAITER_SECONDS = 900;

/** Step Functions' SendTaskSuccess of `taskToken` with `output`, through whatever client the caller has. */
export type SendTaskSuccess = (taskToken: string, output: string) => Promise<void>;

/**
 * Where the lock and queue items live: the deployments table, through a document client; `sendTaskSuccess`
 * completes the task tokens of waiting deployments (lock-wait.ts), without it no one is woken.
 */
export interface LockTable {
  doc: DynamoDBDocumentClient;
  tableName: string;
  sendTaskSuccess?: SendTaskSuccess;
}

/** The service a lock guards. */
export interface ServiceRef {
  cluster: string;
  service: string;
}

/** The key of one item of the table. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** The lock item: who deploys the service now. */
export interface LockItem {
  deploymentId: string;
  commitId: string;
  executionId: string;
  startedAt: string;
  since: string;
  waitingSince?: string;
  /** The holder's place in the push order (commit-order.ts); absent for a manual deployment. */
  pushOrder?: PushOrder;
}

/** A queue item: a deployment waiting for the lock. */
export interface QueueItem {
  sk: string;
  deploymentId: string;
  commitId: string;
  executionId: string;
  enqueuedAt: string;
  expiresAt?: number;
  /** The deployment's start (also in `sk`) and its place in the push order (absent for a manual deployment). */
  startedAt?: string;
  pushOrder?: PushOrder;
  /** The task token of the deployment's WaitForLock in progress, and when it was armed. */
  waitToken?: string;
  armedAt?: string;
}

/**
 * A LockTable around a DynamoDB client (the same marshalling as DeploymentsTable), waking waiters with
 * `sendTaskSuccess`.
 */
export function lockTable(
  client: DynamoDBClient,
  tableName: string,
  sendTaskSuccess?: SendTaskSuccess,
): LockTable {
  return {
    doc: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
    ...(sendTaskSuccess ? { sendTaskSuccess } : {}),
  };
}

/** Key of a service's lock item. */
export function lockKey(ref: ServiceRef): ItemKey {
  return { pk: `LOCK#${ref.cluster}/${ref.service}`, sk: 'LOCK' };
}

/** Key of a deployment's item in a service's queue; sorts by start time. */
export function queueKey(ref: ServiceRef, deployment: Pick<Deployment, 'startedAt' | 'id'>): ItemKey {
  return { pk: `QUEUE#${ref.cluster}/${ref.service}`, sk: `${deployment.startedAt}#${deployment.id}` };
}

/** False once the queue item's deployment has not polled for STALE_WAITER_SECONDS (a dead execution). */
export function isWaiting(item: QueueItem, now: Date): boolean {
  return (item.expiresAt ?? Number.POSITIVE_INFINITY) > epochSeconds(now);
}

/** The service's lock item, if anyone holds it (strongly consistent). */
export async function getLock(table: LockTable, ref: ServiceRef): Promise<LockItem | undefined> {
  try {
    const out = await table.doc.send(
      new GetCommand({ TableName: table.tableName, Key: lockKey(ref), ConsistentRead: true }),
    );
    return out.Item as LockItem | undefined;
  } catch (error) {
    throw asTransient(`GetItem ${lockKey(ref).pk} in ${table.tableName}`, error);
  }
}

/** Takes the lock unless another deployment holds it; false when one does. */
export async function putLock(
  table: LockTable,
  ref: ServiceRef,
  deployment: OrderedDeployment,
  now: Date,
  waitingSince: string,
): Promise<boolean> {
  const item: LockItem = {
    deploymentId: deployment.id,
    commitId: deployment.commitId,
    executionId: deployment.executionId,
    startedAt: deployment.startedAt,
    since: now.toISOString(),
    waitingSince,
    pushOrder: deployment.pushOrder,
  };
  try {
    await table.doc.send(
      new PutCommand({
        TableName: table.tableName,
        Item: { ...lockKey(ref), ...item },
        ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :self',
        ExpressionAttributeValues: { ':self': deployment.id },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw asTransient(`PutItem ${lockKey(ref).pk} in ${table.tableName}`, error);
  }
}

/** Deletes the lock item if this deployment holds it; false when it does not (another holder, or none). */
export async function deleteLock(table: LockTable, ref: ServiceRef, deploymentId: string): Promise<boolean> {
  try {
    await table.doc.send(
      new DeleteCommand({
        TableName: table.tableName,
        Key: lockKey(ref),
        ConditionExpression: 'deploymentId = :self',
        ExpressionAttributeValues: { ':self': deploymentId },
      }),
    );
    return true;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw asTransient(`DeleteItem ${lockKey(ref).pk} in ${table.tableName}`, error);
    }
    return false;
  }
}

/** The service's whole queue, oldest first (a queue holds a handful of items: one page). */
export async function readQueue(table: LockTable, pk: string): Promise<QueueItem[]> {
  const items: QueueItem[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const out = await table.doc.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as QueueItem[]));
      start = out.LastEvaluatedKey;
    } while (start);
  } catch (error) {
    throw asTransient(`Query ${pk} in ${table.tableName}`, error);
  }
  return items;
}

/**
 * Puts the deployment's queue item, keeping when it first queued and moving its expiry past its next safety check
 * (`pollSeconds` from now). The put drops the token of an earlier wait, which has ended. Only this deployment
 * writes this key, so the put needs no condition.
 */
export async function enqueue(
  table: LockTable,
  key: ItemKey,
  deployment: OrderedDeployment,
  enqueuedAt: string,
  now: Date,
  pollSeconds = 0,
): Promise<void> {
  const item: Omit<QueueItem, 'sk'> = {
    deploymentId: deployment.id,
    commitId: deployment.commitId,
    executionId: deployment.executionId,
    enqueuedAt,
    expiresAt: epochSeconds(now) + pollSeconds + STALE_WAITER_SECONDS,
    startedAt: deployment.startedAt,
    pushOrder: deployment.pushOrder,
  };
  try {
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { ...key, ...item } }));
  } catch (error) {
    throw asTransient(`PutItem ${key.pk} ${key.sk} in ${table.tableName}`, error);
  }
}

/**
 * Leaves a wait's task token on the deployment's queue item, for the wakers, and moves its expiry past the wait.
 * False when the item is gone (released meanwhile): the caller then ends the wait itself.
 */
export async function setWaitToken(
  table: LockTable,
  key: ItemKey,
  wait: { token: string; armedAt: Date; waitSeconds: number },
): Promise<boolean> {
  try {
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: key,
        UpdateExpression: 'SET waitToken = :token, armedAt = :at, expiresAt = :expires',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':token': wait.token,
          ':at': wait.armedAt.toISOString(),
          ':expires': epochSeconds(wait.armedAt) + wait.waitSeconds + STALE_WAITER_SECONDS,
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw asTransient(`UpdateItem ${key.pk} ${key.sk} in ${table.tableName}`, error);
  }
}

/** Deletes a queue item; true when there was one. */
export async function deleteQueueItem(table: LockTable, key: ItemKey): Promise<boolean> {
  try {
    const out = await table.doc.send(
      new DeleteCommand({ TableName: table.tableName, Key: key, ReturnValues: 'ALL_OLD' }),
    );
    return out.Attributes !== undefined;
  } catch (error) {
    throw asTransient(`DeleteItem ${key.pk} ${key.sk} in ${table.tableName}`, error);
  }
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
