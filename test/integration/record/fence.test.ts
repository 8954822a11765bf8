/**
 * The fence (record/fence.ts), markStopping, the lock kept after a failed rollback (lock-rollback-failed.ts,
 * rollback-failure.ts) and the resume request's checks (resume-rollback.ts), against the emulator's DynamoDB.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable, recordKey } from '../../../functions/lib/record/deployments';
import { assertMayChange, assertNotAborted, markStopping } from '../../../functions/lib/record/fence';
import { acquireLock, releaseLock } from '../../../functions/lib/record/lock';
import { getLock, type LockTable, lockTable } from '../../../functions/lib/record/lock-table';
import { recordResult } from '../../../functions/lib/record/record-result';
import { prepareResumeRollback } from '../../../functions/lib/record/resume-rollback';
import { holdLockAfterRollbackFailure } from '../../../functions/lib/record/rollback-failure';
import { sampleDeployment } from '../../support/events';
import { useMoto } from '../../support/moto';

const SERVICE = { cluster: 'apps', service: 'web' };

describe('the fence and the lock of a failed rollback', () => {
  useMoto();
  const dynamodb = new DynamoDBClient({});
  const doc = DynamoDBDocumentClient.from(dynamodb);
  let tableName: string;
  let locks: LockTable;
  let records: DeploymentsTable;
  const a = sampleDeployment('a');
  const b = sampleDeployment('b');
  const target = () => ({ dynamodb, tableName, ...SERVICE });

  beforeEach(async () => {
    tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
    locks = lockTable(dynamodb, tableName);
    records = new DeploymentsTable(dynamodb, tableName);
    for (const d of [a, b]) await records.createRecord(d, {});
    await acquireLock(locks, { deployment: a, ...SERVICE, mode: 'QUEUED' });
  });

  const setField = (d: Deployment, field: string, value: unknown) =>
    doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: recordKey(d),
        UpdateExpression: 'SET #f = :v',
        ExpressionAttributeNames: { '#f': field },
        ExpressionAttributeValues: { ':v': value },
      }),
    );

  it('lets the lock holder change production while its record is RUNNING and not aborted', async () => {
    await expect(assertMayChange(target(), a)).resolves.toBeUndefined();
  });

  it('refuses a deployment that does not hold the lock, naming the holder', async () => {
    await expect(assertMayChange(target(), b)).rejects.toMatchObject({
      name: 'DeploymentFencedError',
      message: expect.stringContaining('deployment a holds it'),
    });
    await releaseLock(locks, { deployment: a, ...SERVICE });
    await expect(assertMayChange(target(), a)).rejects.toThrow(/nobody holds it/);
  });

  it('refuses once the record ended, or CleanUp marked it stopping (idempotently, only while RUNNING)', async () => {
    const mark = { at: '2026-11-26T12:05:00.000Z', reason: 'the execution was aborted' };
    expect(await markStopping(target(), a, mark)).toBe(true);
    expect(await markStopping(target(), a, { ...mark, at: 'later' })).toBe(true);
    expect((await records.getRecord(a))?.stopping).toEqual(mark);
    await expect(assertMayChange(target(), a)).rejects.toMatchObject({
      name: 'DeploymentFencedError',
      message: expect.stringContaining('is being stopped (the execution was aborted'),
    });

    await records.finish(b, 'SUCCEEDED', {});
    expect(await markStopping(target(), b, mark)).toBe(false);
    expect((await records.getRecord(b))?.stopping).toBeUndefined();
    expect(await markStopping(target(), sampleDeployment('none'), mark)).toBe(false);
  });

  it('turns an abort into DeploymentAbortedError, for the holder and for the plain abort check', async () => {
    await setField(a, 'abortRequested', { by: 'alice', reason: 'wrong commit' });
    await expect(assertMayChange(target(), a)).rejects.toMatchObject({
      name: 'DeploymentAbortedError',
      message: expect.stringContaining('aborted by alice: wrong commit'),
    });
    await expect(assertNotAborted(target(), a)).rejects.toThrow(/aborted by alice/);
    await expect(assertNotAborted(target(), b)).resolves.toBeUndefined();
  });

  it('keeps a ROLLBACK_FAILED lock through every release but the one after a rollback that succeeded', async () => {
    await records.finish(a, 'ROLLBACK_FAILED', {});
    const held = await holdLockAfterRollbackFailure({ table: locks, ...SERVICE }, a);
    expect(held).toEqual({ lockKept: true, fix: expect.stringContaining('switchyard rollback --resume a') });

    // CleanUp of the failed execution, and a retried RecordRollbackFailure, release nothing.
    expect(await releaseLock(locks, { deployment: a, ...SERVICE })).toMatchObject({ released: false });
    const waiter = await acquireLock(locks, { deployment: b, ...SERVICE, mode: 'QUEUED' });
    expect(waiter).toMatchObject({
      status: 'WAITING',
      holder: { deploymentId: 'a', status: 'ROLLBACK_FAILED', fix: expect.stringContaining('--resume a') },
    });

    const resumed = await prepareResumeRollback(
      { resumeRollback: { deploymentId: 'a' } },
      { id: 'resume-1' },
      { dynamodb, tableName, repository: a.repository, service: SERVICE },
    );
    expect(resumed).toMatchObject({
      action: 'resume-rollback',
      deployment: { id: 'a', startedAt: a.startedAt },
    });
    await recordResult({ deployment: resumed.deployment, status: 'ROLLED_BACK' }, records, {
      table: locks,
      ...SERVICE,
    });
    expect(await getLock(locks, SERVICE)).toBeUndefined();
  });

  it('marks only its own lock ROLLBACK_FAILED', async () => {
    const held = await holdLockAfterRollbackFailure({ table: locks, ...SERVICE }, b);
    expect(held.lockKept).toBe(false);
    expect(await getLock(locks, SERVICE)).not.toHaveProperty('status');
  });

  it('refuses to resume a deployment whose lock is not marked, or a malformed request, before any write', async () => {
    const deps = { dynamodb, tableName, repository: a.repository, service: SERVICE };
    await expect(
      prepareResumeRollback({ resumeRollback: { deploymentId: 'a' } }, { id: 'x' }, deps),
    ).rejects.toThrow(/held by deployment a \(running\).*nothing to resume/);
    await expect(prepareResumeRollback({ resumeRollback: {} }, { id: 'x' }, deps)).rejects.toThrow(
      /expected \{"deploymentId": "<id>"\}/,
    );
    await expect(
      prepareResumeRollback({ resumeRollback: { deploymentId: 'a' }, force: true }, { id: 'x' }, deps),
    ).rejects.toThrow(/takes no other field; got "force"/);
  });
});
