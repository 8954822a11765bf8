/**
 * States `RecordSuccess`, `RecordFailure`, `RecordRollback` and `RecordSuperseded` (RecordResultFunction).
 * Input: `{deployment, status, error?: {Error, Cause}, source?}`.
 * Output: `{status, error: {name, message} | null}`; the service's lock and queue item of the deployment are released.
 * Throws InvalidInputError, ConfigurationError, TransientAwsError (throttled release), or AWS errors (retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeploymentsTable } from '../lib/record/deployments';
import { lockTable } from '../lib/record/lock-table';
import { type RecordResultInput, recordResult } from '../lib/record/record-result';
import { configFromEnv } from '../lib/shared/config';

const dynamodb = new DynamoDBClient({});
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** Lambda entry point. */
export async function handler(event: RecordResultInput): ReturnType<typeof recordResult> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  return recordResult(event, new DeploymentsTable(dynamodb, TABLE_NAME), {
    table: lockTable(dynamodb, TABLE_NAME),
    cluster: CLUSTER_NAME,
    service: SERVICE_NAME,
  });
}
