/**
 * What the deployments' history says about the branch's pushes, for AcquireLock: which push is live (the last
 * SUCCEEDED push deployment) and which pushes are still on their way to the lock (RUNNING). Also writes why a
 * deployment was superseded into its record.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient } from '../shared/errors';
import { checkPushOrder, type Ordered, type OrderedDeployment } from './commit-order';
import { recordKey } from './deployments';
import type { LockTable } from './lock-table';

/** Records read per page, newest first, and pages read at most while looking for the live push. */
const PAGE_SIZE = 100;
const MAX_PAGES = 5;

/**
 * A RUNNING record older than this is not counted as a push on its way to the lock: CleanUp closes the records
 * of executions that die, so this only guards QUEUED services against a CleanUp that never ran. It is longer
 * than the longest CodeBuild build (36 hours, the largest timeoutInMinutes:
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html).
 */
export const IN_FLIGHT_HORIZON_SECONDS = 48 * 3600;

/** The branch's pushes as the history shows them. */
export interface PushHistory {
  /** The push deployment that ended SUCCEEDED last: what production runs (manual deployments aside). */
  live?: Ordered;
  /** Push deployments still RUNNING (building, waiting or deploying), other than the asking one. */
  inFlight: Ordered[];
}

/** Reads the live push and the pushes in flight of the deployment's repository and branch. */
export async function readPushHistory(
  table: LockTable,
  deployment: OrderedDeployment,
  now: Date,
): Promise<PushHistory> {
  const pk = recordKey({ repository: deployment.repository, startedAt: '', id: '' }).pk;
  const inFlight: Ordered[] = [];
  let live: (Ordered & { finishedAt: string }) | undefined;
  let start: Record<string, unknown> | undefined;
  let pages = 0;
  try {
    do {
      const out = await table.doc.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ScanIndexForward: false,
          Limit: PAGE_SIZE,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const record = asPushRecord(item, deployment);
        if (!record) continue;
        if (record.status === 'RUNNING') {
          const age = (now.getTime() - Date.parse(record.startedAt)) / 1000;
          if (age < IN_FLIGHT_HORIZON_SECONDS) inFlight.push(record);
        } else if (record.status === 'SUCCEEDED' && (!live || record.finishedAt > live.finishedAt)) {
          live = record;
        }
      }
      start = out.LastEvaluatedKey;
      pages += 1;
      // Newest first: once a page holds a SUCCEEDED push, the live one is in it; the RUNNING pushes that matter
      // started after it.
    } while (start && !live && pages < MAX_PAGES);
  } catch (error) {
    throw asTransient(`Query ${pk} in ${table.tableName}`, error);
  }
  return { ...(live ? { live: strip(live) } : {}), inFlight };
}

/** Writes into the deployment's record which push superseded it and why (a record that is missing stays so). */
export async function noteSuperseded(
  table: LockTable,
  deployment: OrderedDeployment,
  supersededBy: { deploymentId: string; commitId: string },
  reason: string,
): Promise<void> {
  try {
    await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: recordKey(deployment),
        UpdateExpression: 'SET supersededBy = :by, supersededReason = :why',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':by': supersededBy, ':why': reason },
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw asTransient(`UpdateItem ${recordKey(deployment).pk} in ${table.tableName}`, error);
  }
}

function asPushRecord(
  item: Record<string, unknown>,
  mine: OrderedDeployment,
): (Ordered & { status: string; finishedAt: string }) | undefined {
  if (item.trigger !== 'push' || item.branch !== mine.branch || item.deploymentId === mine.id)
    return undefined;
  if (typeof item.deploymentId !== 'string' || typeof item.commitId !== 'string') return undefined;
  if (typeof item.startedAt !== 'string') return undefined;
  let pushOrder: Ordered['pushOrder'];
  try {
    pushOrder = checkPushOrder(item.pushOrder);
  } catch {
    // A record written before pushes were ordered (or edited by hand): it takes no part in the order.
    return undefined;
  }
  if (!pushOrder) return undefined;
  return {
    deploymentId: item.deploymentId,
    commitId: item.commitId,
    startedAt: item.startedAt,
    pushOrder,
    status: String(item.status),
    finishedAt: typeof item.finishedAt === 'string' ? item.finishedAt : '',
  };
}

function strip(record: Ordered): Ordered {
  const { deploymentId, commitId, startedAt, pushOrder } = record;
  return { deploymentId, commitId, startedAt, ...(pushOrder ? { pushOrder } : {}) };
}
