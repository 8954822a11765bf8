/**
 * The RUNNING items of the deployments table that outlived their execution: commit claims and records still
 * RUNNING although nothing runs them any more. The reconciler lists them to re-drive CleanUp; CleanUp closes a
 * claim whose deployment never got a record (Prepare stopped between the claim and the record).
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient } from '../shared/errors';
import { claimKey, type DeploymentStatus, recordKey } from './deployments';

/** A RUNNING claim or record: which execution should be running it. */
export interface RunningItem {
  kind: 'claim' | 'record';
  deploymentId: string;
  /** The execution ARN (Prepare stores `$$.Execution.Id`). */
  executionId: string;
  commitId: string;
  startedAt: string;
}

/** The most items of one kind read per call: a page of DynamoDB is at most 1 MB anyway. */
const MAX_ITEMS = 500;

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Claims of the repository still RUNNING, and RUNNING records among its newest `recentRecords` deployments (a
 * redeploy has a record but no claim). Strongly consistent, so an item just closed is not re-driven again.
 */
export async function runningItems(
  client: DynamoDBClient,
  tableName: string,
  repository: string,
  recentRecords = 50,
): Promise<RunningItem[]> {
  const doc = documentClient(client);
  // Claims: every RUNNING one (filtered by DynamoDB, read page by page); records: the newest few, whatever status.
  const query = async (pk: string, limit: number, newestFirst: boolean, runningOnly: boolean) => {
    const items: Record<string, unknown>[] = [];
    if (limit <= 0) return items;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await doc
        .send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'pk = :pk',
            ...(runningOnly
              ? {
                  FilterExpression: '#status = :running',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':pk': pk, ':running': 'RUNNING' },
                }
              : { ExpressionAttributeValues: { ':pk': pk } }),
            ScanIndexForward: !newestFirst,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        )
        .catch((error) => {
          throw asTransient(`Query ${pk} in ${tableName}`, error);
        });
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items.slice(0, limit);
  };
  const claims = await query(claimKey(repository, '').pk, MAX_ITEMS, false, true);
  const records = await query(
    recordKey({ repository, startedAt: '', id: '' }).pk,
    recentRecords,
    true,
    false,
  );
  const running = (kind: RunningItem['kind'], item: Record<string, unknown>): RunningItem[] =>
    item.status === 'RUNNING' && typeof item.executionId === 'string' && typeof item.deploymentId === 'string'
      ? [
          {
            kind,
            deploymentId: item.deploymentId,
            executionId: item.executionId,
            commitId: String(kind === 'claim' ? item.sk : item.commitId),
            startedAt: String(item.startedAt),
          },
        ]
      : [];
  return [
    ...claims.flatMap((item) => running('claim', item)),
    ...records.flatMap((item) => running('record', item)),
  ];
}

/** The claim a deployment holds RUNNING, if any (found by deployment id among the repository's claims). */
export async function runningClaimOf(
  client: DynamoDBClient,
  tableName: string,
  repository: string,
  deploymentId: string,
): Promise<RunningItem | undefined> {
  const items = await runningItems(client, tableName, repository, 0);
  return items.find((item) => item.kind === 'claim' && item.deploymentId === deploymentId);
}

/**
 * Ends a claim still RUNNING for `deploymentId` with `status` (conditional: a newer deployment's claim of the
 * commit, or one already ended, is left alone); true when this call ended it.
 */
export async function closeClaim(
  client: DynamoDBClient,
  tableName: string,
  claim: { repository: string; commitId: string; deploymentId: string },
  status: DeploymentStatus,
  now: Date,
): Promise<boolean> {
  try {
    await documentClient(client).send(
      new UpdateCommand({
        TableName: tableName,
        Key: claimKey(claim.repository, claim.commitId),
        UpdateExpression: 'SET #status = :status, updatedAt = :now',
        ConditionExpression: 'deploymentId = :self AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': status,
          ':now': now.toISOString(),
          ':self': claim.deploymentId,
          ':running': 'RUNNING',
        },
      }),
    );
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw asTransient(`UpdateItem ${claimKey(claim.repository, claim.commitId).sk} in ${tableName}`, error);
  }
}
