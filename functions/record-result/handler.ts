/**
 * States `RecordSuccess`, `RecordFailure`, `RecordRollback` and `RecordSuperseded` (RecordResultFunction).
 * Input: `{deployment, status, error?: {Error, Cause}, source?}`.
 * Output: `{status, error: {name, message} | null}`; the service's lock and queue item of the deployment are released
 * and the deployments waiting for the lock are woken.
 * Throws InvalidInputError, ConfigurationError, TransientAwsError (throttled release), or AWS errors (retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeploymentsTable } from '../lib/record/deployments';
import { lockTable } from '../lib/record/lock-table';
import { type RecordResultInput, recordResult } from '../lib/record/record-result';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const dynamodb = awsClient(DynamoDBClient);
// Wakes the deployments waiting for the lock it releases (functions/lib/record/lock-wait.ts).
const sfn = awsClient(SFNClient);
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RecordResultInput): ReturnType<typeof recordResult> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  return recordResult(event, new DeploymentsTable(dynamodb, TABLE_NAME), {
    table: lockTable(dynamodb, TABLE_NAME, sfn),
    cluster: CLUSTER_NAME,
    service: SERVICE_NAME,
  });
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
