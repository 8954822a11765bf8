/**
 * State `RenderTaskDefinition` (RenderTaskDefinitionFunction).
 * Input: `{deployment, source, buildResult: {artifact}}`; the files' paths and origins and the image placeholders
 * come from the repository settings (stack parameters).
 * Output: `{taskDefinitionArn, family, reused, appspec: {containerName, containerPort, networkConfiguration?,
 * platformVersion?, capacityProviderStrategy?, hooks}, warnings}`.
 * Images of the stack's ECR repository are registered by digest when PinImageDigests is "true" (image-digests.ts).
 * Throws InvalidInputError (taskdef.json, the image input or the AppSpec is wrong, or an image's tag is not in
 * ECR: nothing is registered),
 * SourceError, BuildArtifactError, or AWS errors.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { DeploymentsTable } from '../lib/record/deployments';
import { readPinSetting } from '../lib/render/image-digests';
import {
  type RenderStageInput,
  type RenderStageOutput,
  renderStage,
} from '../lib/render/render-task-definition';
import { awsClient, TRANSFERS } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { readSettings } from '../lib/shared/settings';

const s3 = awsClient(S3Client, TRANSFERS);
const ecs = awsClient(ECSClient);
const ecr = awsClient(ECRClient);
const dynamodb = awsClient(DynamoDBClient);
const config = configFromEnv(['TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RenderStageInput): Promise<RenderStageOutput> {
  const pin = readPinSetting();
  const rendered = await renderStage(event, {
    s3,
    ecs,
    settings: readSettings(),
    log: console.warn,
    ...(pin ? { pin: { ecr, ...pin } } : {}),
  });
  await new DeploymentsTable(dynamodb, config().TABLE_NAME).update(event.deployment, {
    taskDefinitionArn: rendered.taskDefinitionArn,
  });
  console.log(`${rendered.reused ? 'reused' : 'registered'} ${rendered.taskDefinitionArn}`);
  return rendered;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
