/**
 * States `AcquireLock` and `WaitForLock` (AcquireLockFunction).
 * AcquireLock, input `{deployment}` (from Prepare). Output: LockState `{status: ACQUIRED | WAITING | SUPERSEDED,
 * holder?, supersededBy?, pollSeconds, waitingSince}`; WAITING goes to WaitForLock, SUPERSEDED to RecordSuperseded.
 * WaitForLock (`lambda:invoke.waitForTaskToken`), input `{deployment, waitSeconds, taskToken}`: leaves the token
 * for the wakers, or ends the wait at once when the turn changed meanwhile (functions/lib/record/lock-wait-arm.ts);
 * the state's output is the token's. Throws DeploymentAbortedError (an abort requested while it waits),
 * InvalidInputError, ConfigurationError (EXECUTION_MODE), TransientAwsError (throttled), or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { deploymentEvents } from '../lib/record/deployment-events';
import type { Deployment } from '../lib/record/deployments';
import { assertNotEnded } from '../lib/record/fence';
import type { LockState } from '../lib/record/lock';
import { acquireLock, parseExecutionMode } from '../lib/record/lock';
import { lockTable } from '../lib/record/lock-table';
import { signedTaskSuccess } from '../lib/record/lock-wait';
import { armLockWait, type LockWaitArmed, type LockWaitRequest } from '../lib/record/lock-wait-arm';
import { awsClient } from '../lib/shared/aws-clients';
import { jsonClient, STEP_FUNCTIONS } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';

const dynamodb = awsClient(DynamoDBClient);
const sendTaskSuccess = signedTaskSuccess(jsonClient(STEP_FUNCTIONS));
const events = deploymentEvents();
const config = configFromEnv(['TABLE_NAME', 'CLUSTER_NAME', 'SERVICE_NAME', 'EXECUTION_MODE']);

/** The function's work, called through lambdaHandler. */
async function handle(
  event: { deployment: Deployment } | LockWaitRequest,
): Promise<LockState | LockWaitArmed> {
  const { TABLE_NAME, CLUSTER_NAME, SERVICE_NAME, EXECUTION_MODE } = config();
  const service = { cluster: CLUSTER_NAME, service: SERVICE_NAME, mode: parseExecutionMode(EXECUTION_MODE) };
  const table = { ...lockTable(dynamodb, TABLE_NAME, sendTaskSuccess), sendTaskSuccess };
  if (event && 'taskToken' in event) {
    const armed = await armLockWait(table, { ...service, ...event });
    logger.info('waiting for the service lock', { waitSeconds: event.waitSeconds, ...armed });
    return armed;
  }
  // `switchyard abort` while the deployment waits for the lock ends it here (RecordAborted), before it takes the
  // service: nothing of production has changed, so there is nothing to roll back.
  // An ended deployment (its input sent again by hand) may not take the lock either.
  await assertNotEnded(
    { dynamodb, tableName: TABLE_NAME },
    event?.deployment,
    `take the lock of service ${CLUSTER_NAME}/${SERVICE_NAME}`,
  );
  const state = await acquireLock(table, { ...service, deployment: event?.deployment });
  logger.info(`service lock: ${state.status}`, { lock: state });
  // The deployment starts touching the service once it holds the lock (docs/EVENTS.md); a retry puts the same eventId.
  if (state.status === 'ACQUIRED')
    await events.publish({ deployment: event.deployment, state: 'STARTED', step: 0 });
  return state;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
