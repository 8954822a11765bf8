/**
 * DeploymentsTable.update (deployments.ts) without the DynamoDB client, for a function whose one write to the table
 * is this (Render: the registered task definition): the same key and SET expression (record-model.ts), sent as a
 * signed UpdateItem (shared/aws-json.ts), so that its bundle carries no DynamoDB client.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { awsJson, type JsonClient } from '../shared/aws-json';
import type { Deployment } from './record-model';
import { recordKey, setExpression } from './record-model';

/** Sets `fields` (those defined) on the deployment's record, as DeploymentsTable.update does: an idempotent SET. */
export async function updateRecordSigned(
  dynamodb: JsonClient,
  tableName: string,
  deployment: Deployment,
  fields: Record<string, unknown>,
): Promise<void> {
  const { expression, names, values } = setExpression(fields);
  await awsJson(dynamodb, 'dynamodb:UpdateItem', {
    TableName: tableName,
    Key: marshall(recordKey(deployment)),
    UpdateExpression: expression,
    ExpressionAttributeNames: names,
    // The document client of DeploymentsTable drops undefined values the same way.
    ExpressionAttributeValues: marshall(values, { removeUndefinedValues: true }),
  });
}
