/**
 * `switchyard status --follow`: attach to a deployment someone else started. It follows the running deployment
 * (the newest RUNNING record), or says it waits and follows the next one to start, printing what changes as
 * `deploy --follow` does (follow.ts): each stage, each traffic step with the weights read back, a pause, operator
 * requests, each event's hooks (follow-hooks.ts), a rollback, and the end.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { runningRecords } from './actions';
import { type FollowSnapshot, followDeployment } from './follow';
import type { DeploymentRecord, StackClients, Target } from './target';

/** How often the record is read: one GetItem and one DescribeExecution per look. */
export const STATUS_FOLLOW_INTERVAL_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for a running deployment (saying so once) and returns its record. */
async function nextRunning(
  table: DeploymentsTable,
  repository: string,
  write: (text: string) => void,
  intervalMs: number,
): Promise<DeploymentRecord> {
  let said = false;
  for (;;) {
    const [record] = await runningRecords(table, repository);
    if (record) return record;
    if (!said)
      write(
        `no deployment running (repository ${repository}): waiting for the next one to start (Ctrl-C stops)\n`,
      );
    said = true;
    await sleep(intervalMs);
  }
}

/** The execution as Step Functions reports it; RUNNING when it cannot be read, so the record decides the end. */
async function executionOf(
  clients: Pick<StackClients, 'sfn'>,
  executionId: unknown,
): Promise<FollowSnapshot['execution']> {
  if (typeof executionId !== 'string' || !executionId.startsWith('arn:')) return { status: 'RUNNING' };
  try {
    return await clients.sfn.send(new DescribeExecutionCommand({ executionArn: executionId }));
  } catch {
    return { status: 'RUNNING' };
  }
}

/** Follows the running (or next) deployment to its end; the exit status: 0 only when it SUCCEEDED. */
export async function followRunning(options: {
  clients: Pick<StackClients, 'sfn' | 'dynamodb'>;
  target: Pick<Target, 'tableName' | 'repository'>;
  write: (text: string) => void;
  intervalMs?: number;
}): Promise<number> {
  const { clients, target, write } = options;
  const intervalMs = options.intervalMs ?? STATUS_FOLLOW_INTERVAL_MS;
  const table = new DeploymentsTable(clients.dynamodb, target.tableName);
  const first = await nextRunning(table, target.repository, write, intervalMs);
  const doc = DynamoDBDocumentClient.from(clients.dynamodb);
  // The record's own key, as the table listed it: no key is built outside functions/lib/record/.
  const key = { pk: first.pk, sk: first.sk };
  const started = Date.parse(String(first.startedAt));
  return followDeployment(new Date(Number.isNaN(started) ? Date.now() : started), {
    look: async () => {
      // The execution first: a record written before the execution ended is then always seen with it.
      const execution = await executionOf(clients, first.executionId);
      const { Item } = await doc.send(
        new GetCommand({ TableName: target.tableName, Key: key, ConsistentRead: true }),
      );
      return { execution, record: Item };
    },
    sleep,
    now: () => new Date(),
    write,
    intervalMs,
  });
}
