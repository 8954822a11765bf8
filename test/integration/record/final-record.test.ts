/**
 * A final record is not rewritten (record/deployments.ts `finish`), against the emulator's DynamoDB: a RecordResult
 * sent again by hand for an ended deployment (an events/ sample against a kept stack, `sam local invoke` against a
 * real one) must not turn a SUCCEEDED history into FAILED. A retry of the same result, and a resumed rollback that
 * ends ROLLBACK_FAILED, still write.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { assertNotEnded, startRollback } from '../../../functions/lib/record/fence';
import { recordResult } from '../../../functions/lib/record/record-result';
import { sampleDeployment } from '../../support/events';
import { useMoto } from '../../support/moto';

describe('a final record', () => {
  useMoto();
  const dynamodb = new DynamoDBClient({});
  let records: DeploymentsTable;
  let tableName: string;
  const a = sampleDeployment('a');

  beforeEach(async () => {
    tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
    records = new DeploymentsTable(dynamodb, tableName);
    await records.createRecord(a, {});
  });

  it('ends a RUNNING record, and takes the same result again (a retry), saying which call ended it', async () => {
    expect(await records.finish(a, 'SUCCEEDED', {})).toEqual({ previous: 'RUNNING' });
    expect(await records.finish(a, 'SUCCEEDED', {})).toEqual({ previous: 'SUCCEEDED' });
    await recordResult({ deployment: a, status: 'SUCCEEDED' }, records);
    expect(await records.getRecord(a)).toMatchObject({ status: 'SUCCEEDED', finishedAt: expect.any(String) });
  });

  it('is not rewritten with another status, and says what it holds', async () => {
    await recordResult({ deployment: a, status: 'SUCCEEDED' }, records);
    const before = await records.getRecord(a);

    await expect(
      recordResult({ deployment: a, status: 'FAILED', error: { Error: 'SourceError', Cause: 'x' } }, records),
    ).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: 'deployment a already ended (SUCCEEDED): a final record is not rewritten with FAILED',
    });
    expect(await records.getRecord(a)).toEqual(before);
  });

  it('lets a resumed rollback end a ROLLBACK_FAILED record, and nothing else', async () => {
    await records.finish(a, 'ROLLBACK_FAILED', {});
    await expect(records.finish(a, 'ABORTED', {})).rejects.toThrow(/already ended \(ROLLBACK_FAILED\)/);
    await records.finish(a, 'ROLLED_BACK', {});
    expect(await records.getRecord(a)).toMatchObject({ status: 'ROLLED_BACK' });
  });

  it('writes nothing for a deployment without a record', async () => {
    const stranger = sampleDeployment('z');
    await expect(records.finish(stranger, 'FAILED', {})).rejects.toThrow(
      'deployment z has no record: the "deployment" must be the one Prepare returned',
    );
    expect(await records.getRecord(stranger)).toBeUndefined();
  });

  it('keeps an ended deployment from taking the lock or moving traffic when its input is sent again by hand', async () => {
    const target = { dynamodb, tableName };
    // RUNNING: AcquireLock and Rollback go on; an abort stops AcquireLock only (Rollback is where it leads), and
    // Rollback's first attempt is stamped once.
    await records.update(a, { abortRequested: { by: 'alice', at: '2026-11-26T12:01:00.000Z' } });
    await expect(assertNotEnded(target, a, 'take the lock')).rejects.toMatchObject({
      name: 'DeploymentAbortedError',
    });
    const first = new Date('2026-11-26T12:02:00.000Z');
    await expect(startRollback(target, a, 'move the listeners', first)).resolves.toBe(first.toISOString());
    await expect(startRollback(target, a, 'move the listeners', new Date())).resolves.toBe(
      first.toISOString(),
    );

    await records.finish(a, 'ROLLBACK_FAILED', {});
    await expect(assertNotEnded(target, a, 'take the lock')).rejects.toMatchObject({
      name: 'DeploymentFencedError',
      message: 'deployment a already ended (ROLLBACK_FAILED): refusing to take the lock',
    });
    // A failed rollback is resumed through Rollback, which keeps the first attempt's time.
    await expect(startRollback(target, a, 'move the listeners')).resolves.toBe(first.toISOString());

    await records.finish(a, 'ROLLED_BACK', {});
    const before = await records.getRecord(a);
    await expect(startRollback(target, a, 'move the listeners')).rejects.toMatchObject({
      name: 'DeploymentFencedError',
      message: 'deployment a already ended (ROLLED_BACK): refusing to move the listeners',
    });
    expect(await records.getRecord(a)).toEqual(before);
    // Without a record: nothing refused, nothing written.
    const stranger = sampleDeployment('y');
    await expect(startRollback(target, stranger, 'move the listeners')).resolves.toBeUndefined();
    expect(await records.getRecord(stranger)).toBeUndefined();
  });
});
