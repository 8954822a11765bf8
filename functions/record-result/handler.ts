/**
 * States `RecordSuccess`, `RecordFailure`, `RecordRollback` and `RecordSuperseded` (RecordResultFunction).
 * Input: `{deployment, status, error?: {Error, Cause}, source?}`.
 * Output: `{status, error: {name, message} | null}`; the service's lock and queue item of the deployment are released
 * and the deployments waiting for the lock are woken.
 * Throws InvalidInputError, ConfigurationError, TransientAwsError (throttled release), or AWS errors (retried by the machine).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DeploymentEventState, deploymentEvents } from '../lib/record/deployment-events';
import { DeploymentsTable } from '../lib/record/deployments';
import { lockTable } from '../lib/record/lock-table';
import { signedTaskSuccess } from '../lib/record/lock-wait';
import { type RecordResultInput, recordResult } from '../lib/record/record-result';
import { awsClient } from '../lib/shared/aws-clients';
import { jsonClient, STEP_FUNCTIONS } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { publishDeploymentEnd } from '../lib/shared/metrics';

const dynamodb = awsClient(DynamoDBClient);
// Wakes the deployments waiting for the lock it releases (functions/lib/record/lock-wait.ts).
const sendTaskSuccess = signedTaskSuccess(jsonClient(STEP_FUNCTIONS));
const events = deploymentEvents();
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RecordResultInput): ReturnType<typeof recordResult> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  const recorded = await recordResult(event, new DeploymentsTable(dynamodb, TABLE_NAME), {
    table: lockTable(dynamodb, TABLE_NAME, sendTaskSuccess),
    cluster: CLUSTER_NAME,
    service: SERVICE_NAME,
  });
  // The end as recorded (a rollback that kept green is SUCCEEDED), after the record: docs/EVENTS.md.
  await events.publish({
    deployment: event.deployment,
    state: recorded.status as DeploymentEventState,
    error: recorded.error,
  });
  // Deployments, DeploymentDuration, and Rollbacks/RollbackFailed (RollbackFailedAlarm), after the last AWS call.
  publishDeploymentEnd(
    { cluster: CLUSTER_NAME, service: SERVICE_NAME, deployment: event.deployment },
    recorded.status,
  );
  logger.info(`deployment ${recorded.status}`, { status: recorded.status, error: recorded.error });
  return recorded;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
