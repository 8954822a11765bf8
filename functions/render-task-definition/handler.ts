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
import { updateRecordSigned } from '../lib/record/record-update-signed';
import { readPinSetting } from '../lib/render/image-digests';
import {
  type RenderStageInput,
  type RenderStageOutput,
  renderStage,
} from '../lib/render/render-task-definition';
import { DYNAMODB, ECR, ECS, jsonClient } from '../lib/shared/aws-json';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';
import { logger } from '../lib/shared/log';
import { s3Reader } from '../lib/shared/s3-read';
import { readSettings } from '../lib/shared/settings';

// Signed requests, not SDK clients (shared/signed-request.ts): a whole client would add ~100 KB per service to
// the bundle for one or two calls. The S3 reads are small ranges (archive-entries.ts): control-plane timeouts.
const s3 = s3Reader();
const ecs = jsonClient(ECS);
const ecr = jsonClient(ECR);
const dynamodb = jsonClient(DYNAMODB);
const config = configFromEnv(['TABLE_NAME']);

/** The function's work, called through lambdaHandler. */
async function handle(event: RenderStageInput): Promise<RenderStageOutput> {
  const pin = readPinSetting();
  const rendered = await renderStage(event, {
    s3,
    ecs,
    settings: readSettings(),
    log: (message) => logger.warn(message),
    ...(pin ? { pin: { ecr, ...pin } } : {}),
  });
  await updateRecordSigned(dynamodb, config().TABLE_NAME, event.deployment, {
    taskDefinitionArn: rendered.taskDefinitionArn,
  });
  logger.info(`${rendered.reused ? 'reused' : 'registered'} ${rendered.taskDefinitionArn}`, {
    taskDefinitionArn: rendered.taskDefinitionArn,
  });
  return rendered;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
