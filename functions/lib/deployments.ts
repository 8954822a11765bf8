/**
 * The deployments table: one claim item per commit (who is deploying it, and how it ended) and one record
 * per deployment (the history). Keys are built here and nowhere else.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** What started a deployment. */
export type Trigger = 'push' | 'manual';

/** Every state a deployment record can be in. RUNNING is the only non-final one. */
export const DEPLOYMENT_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK', 'SUPERSEDED'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses after which the same commit may be deployed again without `force`. */
const RETRYABLE_STATUSES: readonly DeploymentStatus[] = ['FAILED', 'ROLLED_BACK', 'SUPERSEDED'];

/** The deployment as it travels through the state machine (`$.deployment`). */
export interface Deployment {
  id: string;
  repository: string;
  branch: string;
  commitId: string;
  trigger: Trigger;
  force: boolean;
  executionId: string;
  startedAt: string;
}

/** The claim item of one commit. */
export interface CommitClaim {
  deploymentId: string;
  executionId: string;
  status: DeploymentStatus;
  startedAt: string;
}

/** Key of the claim item for a commit. */
export function claimKey(repository: string, commitId: string): { pk: string; sk: string } {
  return { pk: `COMMIT#${repository}`, sk: commitId };
}

/** Key of the history record of a deployment; sorts by start time within the repository. */
export function recordKey(deployment: Pick<Deployment, 'repository' | 'startedAt' | 'id'>): {
  pk: string;
  sk: string;
} {
  return { pk: `DEPLOYMENT#${deployment.repository}`, sk: `${deployment.startedAt}#${deployment.id}` };
}

/** The outcome of trying to claim a commit. */
export type ClaimResult = { claimed: true } | { claimed: false; holder: CommitClaim };

/** Table access for the deployments table, around a document client. */
export class DeploymentsTable {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  /**
   * Claims a commit for this deployment with a conditional write. It succeeds when nobody holds the commit,
   * when the last run of it ended without deploying it, when this same deployment holds it (a retried call),
   * or when `force` is set. Otherwise it returns the holder and writes nothing.
   */
  async claimCommit(deployment: Deployment): Promise<ClaimResult> {
    const now = new Date().toISOString();
    const item = {
      ...claimKey(deployment.repository, deployment.commitId),
      deploymentId: deployment.id,
      executionId: deployment.executionId,
      branch: deployment.branch,
      status: 'RUNNING' satisfies DeploymentStatus,
      startedAt: deployment.startedAt,
      updatedAt: now,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ...(deployment.force
            ? {}
            : {
                ConditionExpression:
                  'attribute_not_exists(pk) OR deploymentId = :self OR #status IN (:s0, :s1, :s2)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':self': deployment.id,
                  ':s0': RETRYABLE_STATUSES[0],
                  ':s1': RETRYABLE_STATUSES[1],
                  ':s2': RETRYABLE_STATUSES[2],
                },
              }),
        }),
      );
      return { claimed: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const holder = await this.getClaim(deployment.repository, deployment.commitId);
      // The holder vanished between the write and the read (a TTL or a manual delete): nobody holds it now.
      if (!holder) return this.claimCommit(deployment);
      return { claimed: false, holder };
    }
  }

  /** Reads the claim item of a commit, if any (strongly consistent). */
  async getClaim(repository: string, commitId: string): Promise<CommitClaim | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: claimKey(repository, commitId),
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { deploymentId, executionId, status, startedAt } = out.Item as CommitClaim;
    return { deploymentId, executionId, status, startedAt };
  }

  /** Writes the history record of a new deployment; a retried call finds it there and leaves it. */
  async createRecord(deployment: Deployment, details: Record<string, unknown>): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...recordKey(deployment),
            ...details,
            deploymentId: deployment.id,
            commitId: deployment.commitId,
            branch: deployment.branch,
            trigger: deployment.trigger,
            executionId: deployment.executionId,
            status: 'RUNNING' satisfies DeploymentStatus,
            startedAt: deployment.startedAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Ends a deployment: its record gets the final status and details, and the commit's claim follows when this
   * deployment still holds it (a newer forced run keeps its own claim).
   */
  async finish(
    deployment: Deployment,
    status: DeploymentStatus,
    details: Record<string, unknown>,
  ): Promise<void> {
    const now = new Date().toISOString();
    const fields = { ...details, status, finishedAt: now, updatedAt: now };
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value], index) => {
        names[`#f${index}`] = key;
        values[`:v${index}`] = value;
        return `#f${index} = :v${index}`;
      });
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(deployment),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: claimKey(deployment.repository, deployment.commitId),
          UpdateExpression: 'SET #status = :status, updatedAt = :now',
          ConditionExpression: 'deploymentId = :self',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':now': now, ':self': deployment.id },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
