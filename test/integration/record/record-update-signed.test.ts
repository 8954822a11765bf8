/**
 * updateRecordSigned (functions/lib/record/record-update-signed.ts) writes what DeploymentsTable.update writes, on
 * the emulator's DynamoDB: the same record, the fields set and the others kept, undefined fields left out.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import { updateRecordSigned } from '../../../functions/lib/record/record-update-signed';
import { DYNAMODB, jsonClient } from '../../../functions/lib/shared/aws-json';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

describe('updateRecordSigned', () => {
  useMoto();
  const deployment = loadEvent<{ deployment: Deployment }>('acquire-lock').deployment;
  let records: DeploymentsTable;
  let tableName: string;

  beforeEach(async () => {
    tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
    records = new DeploymentsTable(new DynamoDBClient({}), tableName);
    await records.createRecord(deployment, { build: { id: 'b1' } });
  });

  it('sets the fields on the record as DeploymentsTable.update does, keeping the others', async () => {
    const arn = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3';
    await updateRecordSigned(jsonClient(DYNAMODB), tableName, deployment, {
      taskDefinitionArn: arn,
      steps: [{ weight: 10, at: 1 }],
      skipped: undefined,
    });
    const signed = await records.getRecord(deployment);

    await records.update(deployment, {
      taskDefinitionArn: arn,
      steps: [{ weight: 10, at: 1 }],
      skipped: undefined,
    });
    expect(await records.getRecord(deployment)).toEqual(signed);
    expect(signed).toMatchObject({
      taskDefinitionArn: arn,
      steps: [{ weight: 10, at: 1 }],
      build: { id: 'b1' },
    });
    expect(signed).not.toHaveProperty('skipped');
  });

  it("names DynamoDB's errors as the SDK does", async () => {
    const writing = updateRecordSigned(jsonClient(DYNAMODB), 'no-such-table', deployment, { a: 1 });
    await expect(writing).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 400 },
    });
  });
});
