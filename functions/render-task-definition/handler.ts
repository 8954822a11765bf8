/**
 * State `RenderTaskDefinition` (RenderTaskDefinitionFunction).
 * Input: `{deployment, source, buildResult: {artifact}}`; the files' paths and origins and the image placeholders
 * come from the repository settings (stack parameters).
 * Output: `{taskDefinitionArn, family, reused, appspec: {containerName, containerPort, networkConfiguration?,
 * platformVersion?, capacityProviderStrategy?, hooks}, warnings}`.
 * Throws InvalidInputError (taskdef.json, the image input or the AppSpec is wrong: nothing is registered),
 * SourceError, BuildArtifactError, or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { DeploymentsTable } from '../lib/record/deployments';
import {
  type RenderStageInput,
  type RenderStageOutput,
  renderStage,
} from '../lib/render/render-task-definition';
import { configFromEnv } from '../lib/shared/config';
import { readSettings } from '../lib/shared/settings';

const s3 = new S3Client({});
const ecs = new ECSClient({});
const dynamodb = new DynamoDBClient({});
const config = configFromEnv(['TABLE_NAME']);

/** Lambda entry point. */
export async function handler(event: RenderStageInput): Promise<RenderStageOutput> {
  const rendered = await renderStage(event, { s3, ecs, settings: readSettings(), log: console.warn });
  await new DeploymentsTable(dynamodb, config().TABLE_NAME).update(event.deployment, {
    taskDefinitionArn: rendered.taskDefinitionArn,
  });
  console.log(`${rendered.reused ? 'reused' : 'registered'} ${rendered.taskDefinitionArn}`);
  return rendered;
}
