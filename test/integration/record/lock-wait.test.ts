/**
 * The wait for the service's lock against the emulator (functions/lib/record/lock-wait.ts, lock-wait-arm.ts): the
 * armed token is left where its wakers look, every change that may give a waiter its turn completes it, and a
 * change that came before the token was in place is caught by the arming itself. Tokens are registered with the
 * emulator as the local runner registers a callback wait's (cli/emulator/task-tokens.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { closeTaskToken, readTaskToken, registerTaskToken } from '../../../cli/emulator/task-tokens';
import { createLocalStack } from '../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable, recordKey } from '../../../functions/lib/record/deployments';
import { acquireLock, type ExecutionMode, releaseLock } from '../../../functions/lib/record/lock';
import {
  isWaiting,
  type LockTable,
  lockTable,
  queueKey,
  STALE_WAITER_SECONDS,
} from '../../../functions/lib/record/lock-table';
import { type SendTaskSuccess, signedTaskSuccess } from '../../../functions/lib/record/lock-wait';
import { armLockWait } from '../../../functions/lib/record/lock-wait-arm';
import { jsonClient, STEP_FUNCTIONS } from '../../../functions/lib/shared/aws-json';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const SERVICE = { cluster: 'apps', service: 'web' };
const T0 = Date.parse('2026-11-26T12:00:00.000Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);

/** A manual deployment started `minute` minutes after T0 (turns by start time). */
function deployment(id: string, minute: number): Deployment {
  return {
    ...loadEvent<{ deployment: Deployment }>('acquire-lock').deployment,
    id,
    commitId: id.padEnd(40, '0'),
    trigger: 'manual',
    executionId: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${id}`,
    startedAt: at(minute).toISOString(),
  };
}

describe('the wait for the lock', () => {
  const moto = useMoto();
  // SendTaskSuccess as the functions send it: a signed request, no SDK client (lock-wait.ts).
  const sendTaskSuccess = signedTaskSuccess(jsonClient(STEP_FUNCTIONS));
  let table: LockTable & { sendTaskSuccess: SendTaskSuccess };
  let deployments: DeploymentsTable;
  const a = deployment('a', 0);
  const b = deployment('b', 1);
  const c = deployment('c', 2);

  beforeEach(async () => {
    const stack = await createLocalStack({});
    const name = stack.resources.DeploymentsTable as string;
    table = { ...lockTable(new DynamoDBClient({}), name, sendTaskSuccess), sendTaskSuccess };
    deployments = new DeploymentsTable(new DynamoDBClient({}), name);
    for (const d of [a, b, c]) await deployments.createRecord(d, { ordering: 'exempt' });
  });

  const acquire = (d: Deployment, mode: ExecutionMode, minute = 5) =>
    acquireLock(table, { deployment: d, ...SERVICE, mode, now: at(minute) });
  /** WaitForLock of `d`: a token the emulator knows, armed for `waitSeconds`. */
  async function arm(d: Deployment, mode: ExecutionMode, waitSeconds = 60, minute = 5) {
    const taskToken = `lock-${d.id}-${minute}`;
    await registerTaskToken(moto.endpoint, taskToken);
    const armed = await armLockWait(table, {
      ...SERVICE,
      deployment: d,
      mode,
      taskToken,
      waitSeconds,
      now: at(minute),
    });
    return { armed, token: () => readTaskToken(moto.endpoint, taskToken), taskToken };
  }
  const item = async (key: { pk: string; sk: string }) =>
    (await table.doc.send(new GetCommand({ TableName: table.tableName, Key: key }))).Item;

  it('leaves the token on the queue item and the record, and the release of the lock completes it', async () => {
    await acquire(a, 'QUEUED');
    expect(await acquire(b, 'QUEUED')).toMatchObject({ status: 'WAITING', pollSeconds: 60 });

    const wait = await arm(b, 'QUEUED', 60);

    expect(wait.armed).toEqual({ armed: true });
    expect((await wait.token()).status).toBe('WAITING');
    const queued = await item(queueKey(SERVICE, b));
    expect(queued).toMatchObject({ waitToken: wait.taskToken, armedAt: at(5).toISOString() });
    expect(queued?.expiresAt).toBe(at(5).getTime() / 1000 + 60 + STALE_WAITER_SECONDS);
    expect(await item(recordKey(b))).toMatchObject({
      lockWait: { token: wait.taskToken, armedAt: at(5).toISOString(), waitSeconds: 60 },
    });

    await releaseLock(table, { deployment: a, ...SERVICE });

    const woken = await wait.token();
    expect(woken.status).toBe('SUCCEEDED');
    expect(JSON.parse(woken.output ?? '{}')).toMatchObject({ status: 'WOKEN', by: 'deployment a ended' });
    expect(await acquire(b, 'QUEUED', 6)).toMatchObject({ status: 'ACQUIRED' });
  });

  it('ends its own wait when the lock was freed between AcquireLock and the arming', async () => {
    await acquire(a, 'QUEUED');
    await acquire(b, 'QUEUED');
    // The release finds no token to complete yet.
    await releaseLock(table, { deployment: a, ...SERVICE });

    const wait = await arm(b, 'QUEUED');

    expect(wait.armed).toEqual({ armed: false, endedBecause: 'the lock is free' });
    expect(JSON.parse((await wait.token()).output ?? '{}')).toMatchObject({ by: 'check: the lock is free' });
  });

  it('ends its own wait when an abort came before the arming (switchyard abort found no token)', async () => {
    await acquire(a, 'QUEUED');
    await acquire(b, 'QUEUED');
    await deployments.update(b, { abortRequested: { by: 'alice', at: at(5).toISOString() } });

    const wait = await arm(b, 'QUEUED');

    expect(wait.armed).toEqual({ armed: false, endedBecause: 'abort requested' });
    expect((await wait.token()).status).toBe('SUCCEEDED');
  });

  it('SUPERSEDED: a newer deployment that queues wakes the older waiter, which then ends superseded', async () => {
    await acquire(a, 'SUPERSEDED');
    await acquire(b, 'SUPERSEDED');
    const wait = await arm(b, 'SUPERSEDED');
    expect(wait.armed).toEqual({ armed: true });

    expect(await acquire(c, 'SUPERSEDED', 6)).toMatchObject({ status: 'WAITING' });

    expect(JSON.parse((await wait.token()).output ?? '{}')).toMatchObject({
      status: 'WOKEN',
      by: 'deployment c came after it',
    });
    expect(await acquire(b, 'SUPERSEDED', 6)).toMatchObject({
      status: 'SUPERSEDED',
      supersededBy: { deploymentId: 'c' },
    });
  });

  it('SUPERSEDED: an older waiter arming after the newer one queued sees it and ends its own wait', async () => {
    await acquire(a, 'SUPERSEDED');
    await acquire(b, 'SUPERSEDED');
    await acquire(c, 'SUPERSEDED');

    const wait = await arm(b, 'SUPERSEDED');

    expect(wait.armed.armed).toBe(false);
    expect(wait.armed.endedBecause).toMatch(/deployment c came after .*deployment b/);
    expect((await wait.token()).status).toBe('SUCCEEDED');
  });

  it('SUPERSEDED: two waiters tied in turn (one commit pushed twice) wake each other once, not on and on', async () => {
    const pushOf = (id: string, commitId: string, second: number) => ({
      ...deployment(id, second),
      trigger: 'push' as const,
      commitId,
      pushOrder: { pushedAt: at(second).toISOString(), newerThan: [], olderThan: [] },
    });
    const holder = pushOf('h', '1'.repeat(40), 0);
    const [once, twice] = [pushOf('p1', '2'.repeat(40), 1), pushOf('p2', '2'.repeat(40), 1)];
    for (const d of [holder, once, twice]) await deployments.createRecord(d, { pushOrder: d.pushOrder });
    await acquire(holder, 'SUPERSEDED');
    await acquire(once, 'SUPERSEDED');
    const first = await arm(once, 'SUPERSEDED');

    expect(await acquire(twice, 'SUPERSEDED', 6)).toMatchObject({ status: 'WAITING' });
    expect((await first.token()).status).toBe('SUCCEEDED');
    const second = await arm(twice, 'SUPERSEDED', 60, 6);
    expect(second.armed).toEqual({ armed: true });

    // The woken one asks again and waits again: it arrived before, so it wakes no one.
    expect(await acquire(once, 'SUPERSEDED', 7)).toMatchObject({ status: 'WAITING' });
    expect((await second.token()).status).toBe('WAITING');
  });

  it('QUEUED: a newer deployment that queues leaves the older waiter waiting', async () => {
    await acquire(a, 'QUEUED');
    await acquire(b, 'QUEUED');
    const wait = await arm(b, 'QUEUED');

    expect(await acquire(c, 'QUEUED', 6)).toMatchObject({ status: 'WAITING' });

    expect((await wait.token()).status).toBe('WAITING');
  });

  it('takes a wake that finds the wait already over as no error', async () => {
    await acquire(a, 'QUEUED');
    await acquire(b, 'QUEUED');
    const wait = await arm(b, 'QUEUED');
    // Its safety check ran out first.
    await closeTaskToken(moto.endpoint, wait.taskToken);

    await expect(releaseLock(table, { deployment: a, ...SERVICE })).resolves.toEqual({
      released: true,
      dequeued: false,
    });
  });

  it('keeps a long waiter from looking dead: its queue item outlives its next safety check', async () => {
    await acquire(a, 'QUEUED', 0);
    await acquire(b, 'QUEUED', 1);
    const twoDaysLater = 1 + 2 * 24 * 60;

    const state = await acquire(b, 'QUEUED', twoDaysLater);

    expect(state.pollSeconds).toBe(12 * 3600);
    const queued = await item(queueKey(SERVICE, b));
    const checkDue = new Date(at(twoDaysLater).getTime() + state.pollSeconds * 1000);
    expect(isWaiting(queued as never, checkDue)).toBe(true);
    expect(isWaiting(queued as never, new Date(checkDue.getTime() + STALE_WAITER_SECONDS * 1000))).toBe(
      false,
    );
  });

  it('refuses an arming without a token or with a wait shorter than a second, naming the field', async () => {
    const request = { ...SERVICE, deployment: b, mode: 'QUEUED' as const };
    await expect(armLockWait(table, { ...request, taskToken: '', waitSeconds: 60 })).rejects.toThrow(
      /WaitForLock needs "taskToken": "\$\$\.Task\.Token"/,
    );
    await expect(armLockWait(table, { ...request, taskToken: 't', waitSeconds: 0 })).rejects.toThrow(
      /"waitSeconds" >= 1.*\$\.lock\.pollSeconds/,
    );
    expect(await item(recordKey(b))).not.toHaveProperty('lockWait');
  });
});
