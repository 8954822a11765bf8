/**
 * The service lock against the emulator's deployments table, with pushes that carry their push order: what is
 * live and what is still building is read from the history records, and a superseded push's record says why.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { OrderedDeployment, PushOrder } from '../../../functions/lib/record/commit-order';
import { type Deployment, DeploymentsTable, recordKey } from '../../../functions/lib/record/deployments';
import { acquireLock, type ExecutionMode, releaseLock } from '../../../functions/lib/record/lock';
import { type LockTable, lockKey, lockTable } from '../../../functions/lib/record/lock-table';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const SERVICE = { cluster: 'apps', service: 'web' };
const T0 = Date.parse('2026-11-26T12:00:00.000Z');
const commit = (n: number) => String(n).repeat(40);

/** Push n (commit n, moved from commit n-1, pushed at second n), its execution started at `startMinute`. */
function push(n: number, startMinute = n, order: Partial<PushOrder> = {}): OrderedDeployment {
  const id = `push-${n}-${startMinute}`;
  return {
    ...loadEvent<{ deployment: Deployment }>('acquire-lock').deployment,
    id,
    commitId: commit(n),
    executionId: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${id}`,
    startedAt: new Date(T0 + startMinute * 60_000).toISOString(),
    pushOrder: {
      pushedAt: new Date(T0 + n * 1000).toISOString(),
      ...(n > 1 ? { previousCommitId: commit(n - 1) } : {}),
      newerThan: [],
      olderThan: [],
      ...order,
    },
  };
}

describe('the service lock in push order', () => {
  useMoto();
  let table: LockTable;
  let deployments: DeploymentsTable;

  beforeEach(async () => {
    const stack = await createLocalStack({});
    const name = stack.resources.DeploymentsTable as string;
    table = lockTable(new DynamoDBClient({}), name);
    deployments = new DeploymentsTable(new DynamoDBClient({}), name);
  });

  const at = (minute: number) => new Date(T0 + minute * 60_000);
  const acquire = (d: OrderedDeployment, mode: ExecutionMode, minute = 30) =>
    acquireLock(table, { deployment: d, ...SERVICE, mode, now: at(minute) });
  /** Prepare's record, as it writes it. */
  const open = (d: OrderedDeployment) =>
    deployments.createRecord(d, d.pushOrder ? { pushOrder: d.pushOrder } : { ordering: 'exempt' });
  const record = async (d: Deployment) =>
    (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: recordKey(d) }))).Item;
  /** A push that took the lock and ended SUCCEEDED: the live one. */
  async function deployed(d: OrderedDeployment) {
    await open(d);
    await acquire(d, 'QUEUED');
    await deployments.finish(d, 'SUCCEEDED', {});
    await releaseLock(table, { deployment: d, ...SERVICE });
  }

  it.each(['QUEUED', 'SUPERSEDED'] as const)(
    '%s: a push older than the live push ends superseded, and its record says by which and why',
    async (mode) => {
      await deployed(push(5, 1));
      const late = push(3, 2);
      await open(late);

      const state = await acquire(late, mode);

      expect(state).toMatchObject({
        status: 'SUPERSEDED',
        supersededBy: { deploymentId: 'push-5-1', commitId: commit(5) },
        reason: expect.stringMatching(/older than the live .*push-5-1/),
      });
      expect(await record(late)).toMatchObject({
        supersededBy: { commitId: commit(5) },
        supersededReason: state.reason,
      });
      expect(
        (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: lockKey(SERVICE) }))).Item,
      ).toBeUndefined();
    },
  );

  it('supersedes an old commit pushed again, though pushed and started after the live one', async () => {
    await deployed(push(5, 1));
    const again = push(3, 9, { pushedAt: new Date(T0 + 60_000).toISOString(), olderThan: [commit(5)] });
    await open(again);

    expect(await acquire(again, 'QUEUED')).toMatchObject({
      status: 'SUPERSEDED',
      supersededBy: { commitId: commit(5) },
    });
  });

  it('lets a manual deployment of an old commit take the lock, saying it is exempt', async () => {
    await deployed(push(5, 1));
    const { pushOrder: _none, ...manual } = { ...push(3, 2), trigger: 'manual' as const };
    await open(manual);

    expect(await acquire(manual, 'QUEUED')).toMatchObject({
      status: 'ACQUIRED',
      reason: expect.stringContaining('exempt from the push order'),
    });
  });

  it('QUEUED: a push waits for an older push still building, then goes after it', async () => {
    const older = push(2, 5);
    const newer = push(3, 1);
    await open(older);
    await open(newer);

    expect(await acquire(newer, 'QUEUED')).toMatchObject({
      status: 'WAITING',
      reason: expect.stringMatching(/push-2-5 goes first; it is still on its way/),
    });
    expect(await acquire(older, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
    expect(await acquire(newer, 'QUEUED')).toMatchObject({
      status: 'WAITING',
      holder: { deploymentId: 'push-2-5' },
    });
    await deployments.finish(older, 'SUCCEEDED', {});
    await releaseLock(table, { deployment: older, ...SERVICE });
    expect(await acquire(newer, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
  });

  it('QUEUED: takes waiting pushes in push order, not in the order their executions started', async () => {
    const holder = push(1, 0);
    const later = push(3, 1);
    const earlier = push(2, 9);
    for (const d of [holder, later, earlier]) await open(d);
    await acquire(holder, 'QUEUED');
    await acquire(later, 'QUEUED');
    await acquire(earlier, 'QUEUED');
    await deployments.finish(holder, 'SUCCEEDED', {});
    await releaseLock(table, { deployment: holder, ...SERVICE });

    expect(await acquire(later, 'QUEUED')).toMatchObject({
      status: 'WAITING',
      reason: expect.stringMatching(/push-2-9 goes first$/),
    });
    expect(await acquire(earlier, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
  });

  it('SUPERSEDED: a push older than the holder ends superseded by it; the holder carries its push order', async () => {
    const newest = push(4, 1);
    await open(newest);
    expect(await acquire(newest, 'SUPERSEDED')).toMatchObject({ status: 'ACQUIRED' });
    const lock = await table.doc.send(new GetCommand({ TableName: table.tableName, Key: lockKey(SERVICE) }));
    expect(lock.Item).toMatchObject({ pushOrder: newest.pushOrder });

    const older = push(3, 2);
    await open(older);
    expect(await acquire(older, 'SUPERSEDED')).toMatchObject({
      status: 'SUPERSEDED',
      holder: { deploymentId: 'push-4-1' },
      reason: expect.stringContaining('which is deploying'),
    });
  });
});
