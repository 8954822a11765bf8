/**
 * States `RecordSuccess` and `RecordFailure` (RecordResultFunction).
 * Input: `{deployment, status, error?: {Error, Cause}, source?}`.
 * Output: `{status, error: {name, message} | null}`.
 * Throws InvalidInputError, ConfigurationError, or AWS errors (retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { configFromEnv } from '../lib/config';
import { DeploymentsTable } from '../lib/deployments';
import { type RecordResultInput, recordResult } from '../lib/record-result';

const dynamodb = new DynamoDBClient({});
const config = configFromEnv(['TABLE_NAME']);

/** Lambda entry point. */
export async function handler(event: RecordResultInput): ReturnType<typeof recordResult> {
  return recordResult(event, new DeploymentsTable(dynamodb, config().TABLE_NAME));
}
