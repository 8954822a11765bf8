/**
 * One strongly consistent read of a deployment's history record, for the checks made right before a change (the
 * fence, the abort flag): a read that may lag (DynamoDB's default, eventually consistent) could miss an abort or a
 * stop given a moment ago (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient } from '../shared/errors';
import { type Deployment, recordKey } from './record-model';

/** Where records are read: the deployments table. */
export interface RecordSource {
  dynamodb: DynamoDBClient;
  tableName: string;
}

/** The record of a deployment as it is now (ConsistentRead), or undefined when there is none. */
export async function readRecordNow(
  source: RecordSource,
  deployment: Pick<Deployment, 'repository' | 'startedAt' | 'id'>,
): Promise<Record<string, unknown> | undefined> {
  const key = recordKey(deployment);
  try {
    const out = await DynamoDBDocumentClient.from(source.dynamodb).send(
      new GetCommand({ TableName: source.tableName, Key: key, ConsistentRead: true }),
    );
    return out.Item;
  } catch (error) {
    throw asTransient(`GetItem ${key.pk} ${key.sk} in ${source.tableName}`, error);
  }
}
