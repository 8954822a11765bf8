import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import { cleanUp } from '../../../functions/lib/clean-up/clean-up';
import { type Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import {
  acquireLock,
  type ExecutionMode,
  LOCK_POLL_SECONDS,
  releaseLock,
} from '../../../functions/lib/record/lock';
import {
  type LockTable,
  lockKey,
  lockTable,
  STALE_WAITER_SECONDS,
} from '../../../functions/lib/record/lock-table';
import { recordResult } from '../../../functions/lib/record/record-result';
import { CODEBUILD, jsonClient } from '../../../functions/lib/shared/aws-json';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const SERVICE = { cluster: 'apps', service: 'web' };
const T0 = Date.parse('2026-11-26T12:00:00.000Z');

/** A deployment started `minute` minutes after T0, with a commit id of its own. */
function deployment(id: string, minute: number): Deployment {
  return {
    ...loadEvent<{ deployment: Deployment }>('acquire-lock').deployment,
    id,
    commitId: id.padEnd(40, '0'),
    executionId: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${id}`,
    startedAt: new Date(T0 + minute * 60_000).toISOString(),
  };
}

const at = (minute: number) => new Date(T0 + minute * 60_000);

describe('the service lock and its queue', () => {
  useMoto();
  let table: LockTable;
  let deployments: DeploymentsTable;
  const a = deployment('a', 0);
  const b = deployment('b', 1);
  const c = deployment('c', 2);

  beforeEach(async () => {
    const stack = await createLocalStack({});
    const name = stack.resources.DeploymentsTable as string;
    table = lockTable(new DynamoDBClient({}), name);
    deployments = new DeploymentsTable(new DynamoDBClient({}), name);
  });

  const acquire = (d: Deployment, mode: ExecutionMode = 'SUPERSEDED', minute = 5) =>
    acquireLock(table, { deployment: d, ...SERVICE, mode, now: at(minute) });
  const release = (d: Deployment) => releaseLock(table, { deployment: d, ...SERVICE });
  const lockItem = async () =>
    (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: lockKey(SERVICE) }))).Item;
  const queue = async () =>
    (
      await table.doc.send(
        new QueryCommand({
          TableName: table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'QUEUE#apps/web' },
        }),
      )
    ).Items?.map((item) => item.deploymentId);

  it('is acquired when free, leaving the queue empty', async () => {
    const state = await acquire(a);

    expect(state).toEqual({
      status: 'ACQUIRED',
      pollSeconds: LOCK_POLL_SECONDS,
      waitingSince: at(5).toISOString(),
    });
    expect(await lockItem()).toMatchObject({
      deploymentId: 'a',
      commitId: a.commitId,
      executionId: a.executionId,
      since: at(5).toISOString(),
    });
    expect(await queue()).toEqual([]);
  });

  it('answers ACQUIRED again to its holder, with the same waitingSince', async () => {
    await acquire(a, 'SUPERSEDED', 5);

    expect(await acquire(a, 'SUPERSEDED', 9)).toEqual({
      status: 'ACQUIRED',
      pollSeconds: LOCK_POLL_SECONDS,
      waitingSince: at(5).toISOString(),
    });
    expect(await lockItem()).toMatchObject({ deploymentId: 'a', since: at(5).toISOString() });
  });

  it('makes a second deployment wait behind the holder, naming it, and keeps its first waitingSince', async () => {
    await acquire(a, 'SUPERSEDED', 5);

    const first = await acquire(b, 'SUPERSEDED', 6);
    const again = await acquire(b, 'SUPERSEDED', 7);

    for (const state of [first, again]) {
      expect(state).toEqual({
        status: 'WAITING',
        holder: { deploymentId: 'a', commitId: a.commitId, since: at(5).toISOString() },
        pollSeconds: LOCK_POLL_SECONDS,
        waitingSince: at(6).toISOString(),
      });
    }
    expect(await queue()).toEqual(['b']);
  });

  it('goes to the waiter once the holder releases it', async () => {
    await acquire(a);
    await acquire(b, 'SUPERSEDED', 6);

    expect(await release(a)).toEqual({ released: true, dequeued: false });
    const state = await acquire(b, 'SUPERSEDED', 8);

    expect(state).toMatchObject({ status: 'ACQUIRED', waitingSince: at(6).toISOString() });
    expect(await lockItem()).toMatchObject({ deploymentId: 'b', since: at(8).toISOString() });
    expect(await queue()).toEqual([]);
  });

  it('SUPERSEDED: only the newest waiting deployment goes; an older waiter ends superseded', async () => {
    await acquire(a, 'SUPERSEDED');
    expect(await acquire(b, 'SUPERSEDED')).toMatchObject({ status: 'WAITING' });
    expect(await acquire(c, 'SUPERSEDED')).toMatchObject({ status: 'WAITING' });
    await release(a);

    expect(await acquire(b, 'SUPERSEDED')).toEqual({
      status: 'SUPERSEDED',
      supersededBy: { deploymentId: 'c', commitId: c.commitId },
      reason: expect.stringMatching(/deployment c came after .* deployment b \(ExecutionMode SUPERSEDED\)/),
      pollSeconds: LOCK_POLL_SECONDS,
      waitingSince: at(5).toISOString(),
    });
    expect(await queue()).toEqual(['c']);
    expect(await acquire(c, 'SUPERSEDED')).toMatchObject({ status: 'ACQUIRED' });
    expect(await queue()).toEqual([]);
  });

  it('SUPERSEDED: a waiter is superseded as soon as a newer one queues, without touching the holder', async () => {
    await acquire(a, 'SUPERSEDED');
    await acquire(b, 'SUPERSEDED');
    await acquire(c, 'SUPERSEDED');

    expect(await acquire(b, 'SUPERSEDED')).toMatchObject({
      status: 'SUPERSEDED',
      holder: { deploymentId: 'a' },
      supersededBy: { deploymentId: 'c' },
    });
    expect(await lockItem()).toMatchObject({ deploymentId: 'a' });
  });

  it('SUPERSEDED: an older deployment that arrives while a newer one holds the lock is superseded by it', async () => {
    await acquire(c, 'SUPERSEDED');

    expect(await acquire(b, 'SUPERSEDED')).toMatchObject({
      status: 'SUPERSEDED',
      holder: { deploymentId: 'c' },
      supersededBy: { deploymentId: 'c', commitId: c.commitId },
    });
    expect(await queue()).toEqual([]);
  });

  it('QUEUED: waiting deployments take the lock oldest first', async () => {
    await acquire(a, 'QUEUED');
    await acquire(b, 'QUEUED');
    await acquire(c, 'QUEUED');
    await release(a);

    expect(await acquire(c, 'QUEUED')).toEqual({
      status: 'WAITING',
      reason: expect.stringMatching(/deployment b goes first/),
      pollSeconds: LOCK_POLL_SECONDS,
      waitingSince: at(5).toISOString(),
    });
    expect(await acquire(b, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
    expect(await acquire(c, 'QUEUED')).toMatchObject({ status: 'WAITING', holder: { deploymentId: 'b' } });
    await release(b);
    expect(await acquire(c, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
  });

  it('QUEUED: a waiter whose execution stopped polling long ago no longer holds the queue up', async () => {
    await acquire(a, 'QUEUED', 5);
    await acquire(b, 'QUEUED', 6);
    await acquire(c, 'QUEUED', 6);
    await release(a);

    expect(await acquire(c, 'QUEUED', 7)).toMatchObject({ status: 'WAITING' });
    const later = 6 + STALE_WAITER_SECONDS / 60 + 1;
    expect(await acquire(c, 'QUEUED', later)).toMatchObject({
      status: 'ACQUIRED',
      waitingSince: at(6).toISOString(),
    });
  });

  it.each<ExecutionMode>(['SUPERSEDED', 'QUEUED'])(
    '%s: of simultaneous callers for a free lock, exactly one acquires it',
    async (mode) => {
      const callers = ['p', 'q', 'r', 's', 't'].map((id, i) => deployment(id, i));

      const states = await Promise.all(callers.map((d) => acquire(d, mode)));

      const winners = callers.filter((_, i) => states[i]?.status === 'ACQUIRED');
      expect(winners).toHaveLength(1);
      expect(await lockItem()).toMatchObject({ deploymentId: winners[0]?.id });
      for (const state of states.filter((s) => s.status === 'WAITING')) {
        expect(state.holder?.deploymentId ?? winners[0]?.id).toBe(winners[0]?.id);
      }
    },
  );

  it('is not released by a deployment that does not hold it, and release is idempotent', async () => {
    await acquire(a);
    await acquire(b);

    expect(await release(c)).toEqual({ released: false, dequeued: false });
    expect(await lockItem()).toMatchObject({ deploymentId: 'a' });
    expect(await release(b)).toEqual({ released: false, dequeued: true });
    expect(await lockItem()).toMatchObject({ deploymentId: 'a' });
    expect(await release(a)).toEqual({ released: true, dequeued: false });
    expect(await release(a)).toEqual({ released: false, dequeued: false });
    expect(await lockItem()).toBeUndefined();
    expect(await queue()).toEqual([]);
  });

  it('is released by RecordResult, whatever the result', async () => {
    await deployments.createRecord(a, {});
    await acquire(a);
    await acquire(b);

    await recordResult(
      { deployment: a, status: 'ROLLED_BACK', error: { Error: 'AlarmError' } },
      deployments,
      {
        table,
        ...SERVICE,
      },
    );

    expect(await lockItem()).toBeUndefined();
    expect(await acquire(b)).toMatchObject({ status: 'ACQUIRED' });
  });

  it('is left out of the queue by RecordSuperseded', async () => {
    await acquire(a);
    await acquire(b);
    await acquire(c);
    expect(await acquire(b)).toMatchObject({ status: 'SUPERSEDED' });

    await deployments.createRecord(b, {});
    await recordResult({ deployment: b, status: 'SUPERSEDED' }, deployments, { table, ...SERVICE });

    expect(await lockItem()).toMatchObject({ deploymentId: 'a' });
    expect(await queue()).toEqual(['c']);
  });

  describe('CleanUp of an aborted execution', () => {
    const aborted = (d: Deployment) => {
      const event = loadEvent<{ detail: Record<string, unknown> }>('clean-up');
      return { ...event, detail: { ...event.detail, name: d.id, startDate: Date.parse(d.startedAt) } };
    };
    const cleanUpDeps = () => ({
      codebuild: jsonClient(CODEBUILD),
      table: deployments,
      repository: a.repository,
      lock: { table, ...SERVICE },
    });

    it('releases the lock the execution held, so the next deployment goes', async () => {
      await deployments.createRecord(a, {});
      await acquire(a);
      await acquire(b);

      const out = await cleanUp(aborted(a), cleanUpDeps());

      expect(out).toMatchObject({ deploymentId: 'a', action: 'closed', releasedLock: true });
      expect(await lockItem()).toBeUndefined();
      expect(await acquire(b)).toMatchObject({ status: 'ACQUIRED' });
    });

    it('removes a waiting execution from the queue and leaves the holder alone', async () => {
      await deployments.createRecord(b, {});
      await acquire(a, 'QUEUED');
      await acquire(b, 'QUEUED');
      await acquire(c, 'QUEUED');

      const out = await cleanUp(aborted(b), cleanUpDeps());

      expect(out).toMatchObject({ deploymentId: 'b', action: 'closed', releasedLock: false });
      expect(await lockItem()).toMatchObject({ deploymentId: 'a' });
      expect(await queue()).toEqual(['c']);
      await release(a);
      expect(await acquire(c, 'QUEUED')).toMatchObject({ status: 'ACQUIRED' });
    });

    it('releases a lock still held by an execution whose record had already ended', async () => {
      await deployments.createRecord(a, {});
      await acquire(a);
      await deployments.finish(a, 'FAILED', {});

      const out = await cleanUp(aborted(a), cleanUpDeps());

      expect(out).toMatchObject({ action: 'already-ended', releasedLock: true });
      expect(await lockItem()).toBeUndefined();
    });
  });
});
