/**
 * The deployments table: one claim item per commit (who is deploying it, and how it ended) and one record
 * per deployment (the history). Keys are built here and nowhere else.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { InvalidInputError } from '../shared/errors';
import {
  claimKey,
  type Deployment,
  type DeploymentStatus,
  RETRYABLE_STATUSES,
  recordKey,
  setExpression,
  type Trigger,
} from './record-model';

export {
  claimKey,
  DEPLOYMENT_STATUSES,
  type Deployment,
  type DeploymentStatus,
  recordKey,
  type Trigger,
} from './record-model';

/** The claim item of one commit. */
export interface CommitClaim {
  deploymentId: string;
  executionId: string;
  status: DeploymentStatus;
  startedAt: string;
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
                ConditionExpression: `attribute_not_exists(pk) OR deploymentId = :self OR #status IN (${RETRYABLE_STATUSES.map((_, i) => `:s${i}`).join(', ')})`,
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: {
                  ':self': deployment.id,
                  ...Object.fromEntries(RETRYABLE_STATUSES.map((status, i) => [`:s${i}`, status])),
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

  /** The newest deployment records of a repository, newest first (the history). */
  async listRecords(repository: string, limit = 50): Promise<Record<string, unknown>[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': recordKey({ repository, startedAt: '', id: '' }).pk },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return out.Items ?? [];
  }

  /**
   * Finds the record of a deployment from its id and its start time (epoch ms, as EventBridge reports it). The
   * key holds the start time as the state machine wrote it; a window of a few seconds absorbs any difference in
   * how the two sources format it.
   */
  async findRecord(
    repository: string,
    deploymentId: string,
    startedAtMs: number,
  ): Promise<
    | {
        deployment: Deployment;
        status: DeploymentStatus;
        build?: { id: string };
        green?: Record<string, unknown>;
      }
    | undefined
  > {
    const bound = (ms: number) => new Date(ms).toISOString();
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: 'deploymentId = :id',
        ExpressionAttributeValues: {
          ':pk': recordKey({ repository, startedAt: '', id: '' }).pk,
          ':from': bound(startedAtMs - 5000),
          ':to': `${bound(startedAtMs + 5000)}~`,
          ':id': deploymentId,
        },
        ConsistentRead: true,
      }),
    );
    const item = out.Items?.[0];
    if (!item) return undefined;
    return {
      deployment: {
        id: String(item.deploymentId),
        repository,
        branch: String(item.branch),
        commitId: String(item.commitId),
        trigger: item.trigger as Trigger,
        force: false,
        executionId: String(item.executionId),
        startedAt: String(item.startedAt),
      },
      status: item.status as DeploymentStatus,
      build: item.build as { id: string } | undefined,
      green: item.green as Record<string, unknown> | undefined,
    };
  }

  /** Reads the history record of a deployment (strongly consistent: the promote and abort flags must be fresh). */
  async getRecord(deployment: Deployment): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: recordKey(deployment), ConsistentRead: true }),
    );
    return out.Item;
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

  /** Sets fields of a deployment's record (progress: the build, the task definition, the steps). */
  async update(deployment: Deployment, fields: Record<string, unknown>): Promise<void> {
    const { expression, names, values } = setExpression(fields);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: recordKey(deployment),
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /**
   * Ends a deployment: its record gets the final status and details, and the commit's claim follows when this
   * deployment still holds it (a newer forced run keeps its own claim). A final record is not rewritten: only a
   * RUNNING record ends, a retry may write the same status again, and a resumed rollback ends ROLLBACK_FAILED;
   * anything else (an ended deployment's result sent again by hand) is refused, as is a deployment with no record.
   * Returns the status the record had: RUNNING only for the one call that ended it (CleanUp announces that end once).
   */
  async finish(
    deployment: Deployment,
    status: DeploymentStatus,
    details: Record<string, unknown>,
  ): Promise<{ previous: string }> {
    const now = new Date().toISOString();
    const ended = { ...details, status, finishedAt: now, updatedAt: now };
    const { expression, names, values } = setExpression(ended);
    const resumed = status === 'ROLLED_BACK' || status === 'SUCCEEDED' ? ' OR #st = :rollbackFailed' : '';
    let previous: string;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: recordKey(deployment),
          UpdateExpression: expression,
          ReturnValues: 'ALL_OLD',
          ConditionExpression: `attribute_exists(pk) AND (#st = :running OR #st = :ending${resumed})`,
          ExpressionAttributeNames: { ...names, '#st': 'status' },
          ExpressionAttributeValues: {
            ...values,
            ':running': 'RUNNING',
            ':ending': status,
            ...(resumed ? { ':rollbackFailed': 'ROLLBACK_FAILED' } : {}),
          },
        }),
      );
      previous = String(out.Attributes?.status);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const found = (await this.getRecord(deployment))?.status;
      throw new InvalidInputError(
        found === undefined
          ? `deployment ${deployment.id} has no record: the "deployment" must be the one Prepare returned`
          : `deployment ${deployment.id} already ended (${String(found)}): a final record is not rewritten with ${status}`,
      );
    }
    await this.endClaim(deployment, status, now);
    return { previous };
  }

  /**
   * Gives the commit's claim the record's final status when this deployment still owns it. `finish` writes the
   * record first and the claim second; when the claim write's retries run out between the two, CleanUp (on the
   * execution's failure) calls this for the ended record, so a claim is never left RUNNING.
   */
  async endClaim(
    deployment: Deployment,
    status: DeploymentStatus,
    now = new Date().toISOString(),
  ): Promise<void> {
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
