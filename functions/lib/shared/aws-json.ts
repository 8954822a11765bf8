/**
 * Calls of the AWS JSON protocols (ECS, ECR, DynamoDB, Step Functions, CodeBuild, CodeCommit) without an SDK client, on signed-request.ts: a POST of the
 * input as JSON to the service's endpoint, the operation in X-Amz-Target, the output parsed from the JSON answer
 * and an error named by its `__type`, as the SDK names it.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html (and aws-json-1_0-protocol.html for DynamoDB).
 * Timestamps stay as the protocol sends them (epoch seconds); blobs are not used by these calls.
 * Each call names its IAM action at the call site, `awsJson(ecs, 'ecs:RegisterTaskDefinition', input)`, which
 * test/support/sdk-calls.ts reads to check the function's role.
 */
import { API_CALLS, type ClientSettings } from './aws-clients';
import { type AwsResponse, type AwsSender, type AwsService, awsSender, dnsSuffix } from './signed-request';

/** A service of the JSON protocols. */
export interface JsonService extends AwsService {
  /** The X-Amz-Target prefix: `AmazonEC2ContainerServiceV20141113`. */
  targetPrefix: string;
  jsonVersion: '1.0' | '1.1';
  /** The host's first labels in AWS: `ecs`, `api.ecr`, `dynamodb`. */
  hostPrefix: string;
}

/** https://docs.aws.amazon.com/general/latest/gr/ecs-service.html */
export const ECS: JsonService = {
  signingName: 'ecs',
  endpointId: 'ECS',
  targetPrefix: 'AmazonEC2ContainerServiceV20141113',
  jsonVersion: '1.1',
  hostPrefix: 'ecs',
};

/** https://docs.aws.amazon.com/general/latest/gr/ecr.html (the API endpoint, not the registry's). */
export const ECR: JsonService = {
  signingName: 'ecr',
  endpointId: 'ECR',
  targetPrefix: 'AmazonEC2ContainerRegistry_V20150921',
  jsonVersion: '1.1',
  hostPrefix: 'api.ecr',
};

/** https://docs.aws.amazon.com/general/latest/gr/ddb.html */
export const DYNAMODB: JsonService = {
  signingName: 'dynamodb',
  endpointId: 'DYNAMODB',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  hostPrefix: 'dynamodb',
};

/** https://docs.aws.amazon.com/general/latest/gr/step-functions-service.html */
export const STEP_FUNCTIONS: JsonService = {
  signingName: 'states',
  endpointId: 'SFN',
  targetPrefix: 'AWSStepFunctions',
  jsonVersion: '1.0',
  hostPrefix: 'states',
};

/** https://docs.aws.amazon.com/general/latest/gr/codebuild.html (JSON 1.1, CodeBuild_20161006). */
export const CODEBUILD: JsonService = {
  signingName: 'codebuild',
  endpointId: 'CODEBUILD',
  targetPrefix: 'CodeBuild_20161006',
  jsonVersion: '1.1',
  hostPrefix: 'codebuild',
};

/** https://docs.aws.amazon.com/general/latest/gr/codecommit.html (JSON 1.1, CodeCommit_20150413). */
export const CODECOMMIT: JsonService = {
  signingName: 'codecommit',
  endpointId: 'CODECOMMIT',
  targetPrefix: 'CodeCommit_20150413',
  jsonVersion: '1.1',
  hostPrefix: 'codecommit',
};

/**
 * An SDK output shape as the JSON protocols answer it: every Date a number of seconds since the epoch
 * (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html: timestamps default to epoch-seconds).
 */
export type AsJson<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? AsJson<U>[]
    : T extends object
      ? { [K in keyof T]: AsJson<T[K]> }
      : T;

/** A timestamp of a JSON answer (epoch seconds, with a fraction) as a Date; undefined when there is none. */
export function epochDate(seconds: unknown): Date | undefined {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000) : undefined;
}

/** A service and its sender, created once in a handler. */
export interface JsonClient {
  service: JsonService;
  sender: AwsSender;
}

/** The client of `service`, with the timeouts and attempts of `settings`. */
export function jsonClient(service: JsonService, settings: ClientSettings = API_CALLS): JsonClient {
  return { service, sender: awsSender(service, settings) };
}

/**
 * Calls `action` (`<signing name>:<Operation>`, e.g. `ecr:DescribeImages`) with `input`; returns the parsed
 * output. `beforeRetry` may answer instead of a retry (signed-request.ts).
 */
export async function awsJson<T>(
  client: JsonClient,
  action: string,
  input: object,
  options: { beforeRetry?: () => Promise<T | undefined> } = {},
): Promise<T> {
  const [prefix, operation] = action.split(':');
  if (prefix !== client.service.signingName || !operation) {
    throw new Error(`awsJson: ${action} is not an operation of ${client.service.signingName}`);
  }
  const { beforeRetry } = options;
  const region = client.sender.region;
  const response = await client.sender.send(
    {
      method: 'POST',
      hostname: `${client.service.hostPrefix}.${region}.${dnsSuffix(region)}`,
      path: '/',
      headers: {
        'content-type': `application/x-amz-json-${client.service.jsonVersion}`,
        'x-amz-target': `${client.service.targetPrefix}.${operation}`,
      },
      body: JSON.stringify(input),
    },
    beforeRetry ? { beforeRetry: async () => answered(await beforeRetry()) } : {},
  );
  return (response.body.length > 0 ? JSON.parse(response.body.toString('utf8')) : {}) as T;
}

function answered(output: unknown): AwsResponse | undefined {
  if (output === undefined) return undefined;
  return { statusCode: 200, headers: {}, body: Buffer.from(JSON.stringify(output)) };
}
