/**
 * State `Prepare` (PrepareFunction).
 * Input: `{input: <EventBridge CodeCommit event | {"commitId"?, "branch"?, "force"?} | {"rollback": true} |
 * {"taskDefinitionArn"}>, execution: {id, name, startTime}}`.
 * Output: `{action: "deploy" | "skip" | "redeploy", reason?, deployment, render?}`; a duplicate of a running or
 * deployed commit is `skip`; a redeploy carries the revision and AppSpec settings to deploy.
 * Throws InvalidInputError (bad input, unknown branch), ConfigurationError (a bad stack parameter, before any side
 * effect), or AWS errors.
 */
import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { DeploymentsTable } from '../lib/record/deployments';
import { configFromEnv } from '../lib/shared/config';
import { checkVariableGrants, readSettings } from '../lib/shared/settings';
import { type PrepareInput, type PrepareOutput, prepare } from '../lib/source/prepare';

const codecommit = new CodeCommitClient({});
const dynamodb = new DynamoDBClient({});
const ecs = new ECSClient({});
const config = configFromEnv(['TABLE_NAME', 'REPOSITORY_NAME', 'BRANCH_NAME']);

/** Lambda entry point. */
export async function handler(event: PrepareInput): Promise<PrepareOutput> {
  const { TABLE_NAME, REPOSITORY_NAME, BRANCH_NAME } = config();
  // Every repository setting is checked before the first side effect (the claim), so a bad stack parameter ends
  // the execution here, naming the parameter, instead of failing a later state.
  checkVariableGrants(readSettings().buildVariables);
  return prepare(event, {
    codecommit,
    ecs,
    table: new DeploymentsTable(dynamodb, TABLE_NAME),
    pipeline: { repository: REPOSITORY_NAME, branch: BRANCH_NAME },
  });
}
