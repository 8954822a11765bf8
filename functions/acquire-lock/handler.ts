/**
 * State `AcquireLock` (AcquireLockFunction).
 * Input: `{deployment}` (from Prepare). Output: LockState `{status: ACQUIRED | WAITING | SUPERSEDED, holder?,
 * supersededBy?, pollSeconds, waitingSince}`; WAITING loops through WaitForLock, SUPERSEDED goes to RecordSuperseded.
 * Throws DeploymentAbortedError (an abort requested while it waits), InvalidInputError, ConfigurationError (EXECUTION_MODE), TransientAwsError (throttled), or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Deployment } from '../lib/record/deployments';
import { assertNotAborted } from '../lib/record/fence';
import type { LockState } from '../lib/record/lock';
import { acquireLock, parseExecutionMode } from '../lib/record/lock';
import { lockTable } from '../lib/record/lock-table';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME', 'EXECUTION_MODE']);

/** The function's work, called through lambdaHandler. */
async function handle(event: { deployment: Deployment }): Promise<LockState> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME, EXECUTION_MODE } = config();
  // `switchyard abort` while the deployment waits for the lock ends it here (RecordAborted), before it takes the
  // service: nothing of production has changed, so there is nothing to roll back.
  await assertNotAborted({ dynamodb, tableName: TABLE_NAME }, event?.deployment);
  const state = await acquireLock(lockTable(dynamodb, TABLE_NAME), {
    deployment: event?.deployment,
    cluster: CLUSTER_NAME,
    service: SERVICE_NAME,
    mode: parseExecutionMode(EXECUTION_MODE),
  });
  console.log(JSON.stringify({ deploymentId: event.deployment.id, ...state }));
  return state;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
