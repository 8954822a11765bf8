/**
 * Each lifecycle event's hooks on the deployment's record (record/hook-record.ts), against the emulator's DynamoDB:
 * the first event makes the map, the next add to it, a retry writes the same, and a deployment without a record gets
 * nothing written and no error (the hooks succeeded; what they did is only shown by `status --follow`).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { recordHooks } from '../../../functions/lib/record/hook-record';
import { logger } from '../../../functions/lib/shared/log';
import { sampleDeployment } from '../../support/events';
import { useMoto } from '../../support/moto';

const a = sampleDeployment('a');
const smoke = (durationMs: number) => ({
  invoked: [
    {
      functionName: 'CodeDeployHook_smoke',
      lifecycleEventHookExecutionId: 'x',
      durationMs,
      status: 'Succeeded',
    },
  ],
  at: '2026-11-26T12:01:00.000Z',
});

describe('the hooks on the record', () => {
  useMoto();
  const dynamodb = new DynamoDBClient({});
  let tableName: string;
  let records: DeploymentsTable;

  beforeEach(async () => {
    tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
    records = new DeploymentsTable(dynamodb, tableName);
    await records.createRecord(a, {});
  });

  it('keeps each event once, in a map the first event makes', async () => {
    await recordHooks({ dynamodb, tableName }, a, 'BeforeInstall', smoke(10));
    await recordHooks({ dynamodb, tableName }, a, 'AfterAllowTestTraffic', smoke(20));
    await recordHooks({ dynamodb, tableName }, a, 'AfterAllowTestTraffic', smoke(20));
    // An event without hooks writes nothing.
    await recordHooks({ dynamodb, tableName }, a, 'AfterInstall', { invoked: [], at: 'x' });

    expect((await records.getRecord(a))?.hooks).toEqual({
      BeforeInstall: smoke(10),
      AfterAllowTestTraffic: smoke(20),
    });
  });

  it('writes nothing for a deployment without a record, and does not throw', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      const stranger = { ...a, id: 'z' };
      await expect(
        recordHooks({ dynamodb, tableName }, stranger, 'BeforeInstall', smoke(1)),
      ).resolves.toBeUndefined();
      expect(await records.getRecord(stranger)).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(/^the BeforeInstall hooks could not be put on the record: /),
      );
    } finally {
      warn.mockRestore();
    }
  });
});
