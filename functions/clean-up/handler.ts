/**
 * CleanUpFunction: not a state; EventBridge calls it when an execution of the pipeline is aborted or times out.
 * Input: the "Step Functions Execution Status Change" event. Output: `{deploymentId, action, stoppedBuild, releasedLock}`.
 * Throws InvalidInputError for another event, ConfigurationError, or AWS errors (EventBridge retries).
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type CleanUpResult, cleanUp, type ExecutionStatusChange } from '../lib/clean-up';
import { configFromEnv } from '../lib/config';
import { DeploymentsTable } from '../lib/deployments';
import { lockTable } from '../lib/lock';

const codebuild = new CodeBuildClient({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', 'CLUSTER_NAME', 'SERVICE_NAME']);

/** Lambda entry point. */
export async function handler(event: ExecutionStatusChange): Promise<CleanUpResult> {
  const { TABLE_NAME, REPOSITORY_NAME, CLUSTER_NAME, SERVICE_NAME } = config();
  const result = await cleanUp(event, {
    codebuild,
    table: new DeploymentsTable(dynamodb, TABLE_NAME),
    repository: REPOSITORY_NAME,
    lock: { table: lockTable(dynamodb, TABLE_NAME), cluster: CLUSTER_NAME, service: SERVICE_NAME },
  });
  console.log(JSON.stringify(result));
  return result;
}
