/**
 * The AWS calls the functions send without an SDK client (functions/lib/shared/signed-request.ts), for the SDK call
 * analysis of sdk-calls.ts: each is charged as the SDK command it stands for, so test/unit/template-iam.test.ts
 * checks the function's role for it as for an SDK call.
 */
import type { SdkCall } from './sdk-calls';

/**
 * The functions of functions/lib that send an AWS request without an SDK client (a signed request,
 * functions/lib/shared/signed-request.ts), each as the SDK command it stands for: a handler that reaches one is
 * charged with that command, as if it used the SDK. A file that builds such a request (REQUEST_BUILDERS) must be
 * listed here, or the analysis refuses it.
 */
export const LIGHT_CALLS: Record<string, Record<string, { sdkPackage: string; name: string }>> = {
  'functions/lib/shared/s3-read.ts': {
    getObject: { sdkPackage: 'client-s3', name: 'GetObjectCommand' },
    headObject: { sdkPackage: 'client-s3', name: 'HeadObjectCommand' },
  },
  'functions/lib/source/s3-write.ts': {
    putObject: { sdkPackage: 'client-s3', name: 'PutObjectCommand' },
    createMultipartUpload: { sdkPackage: 'client-s3', name: 'CreateMultipartUploadCommand' },
    uploadPart: { sdkPackage: 'client-s3', name: 'UploadPartCommand' },
    uploadPartCopy: { sdkPackage: 'client-s3', name: 'UploadPartCopyCommand' },
    completeMultipartUpload: { sdkPackage: 'client-s3', name: 'CompleteMultipartUploadCommand' },
    abortMultipartUpload: { sdkPackage: 'client-s3', name: 'AbortMultipartUploadCommand' },
    copyObject: { sdkPackage: 'client-s3', name: 'CopyObjectCommand' },
  },
  'functions/lib/shared/lambda-invoke.ts': {
    invokeAsync: { sdkPackage: 'client-lambda', name: 'InvokeCommand' },
    invokeSync: { sdkPackage: 'client-lambda', name: 'InvokeCommand' },
  },
};

/** What builds a request sent without the SDK: a file that imports one must be in LIGHT_CALLS. */
export const REQUEST_BUILDERS: Record<string, string> = {
  'functions/lib/shared/signed-request.ts': 'awsSender',
  'functions/lib/shared/s3-read.ts': 's3Request',
};
/** The files that make those builders (not calls themselves). */
const BUILDER_FILES = new Set(['functions/lib/shared/aws-json.ts']);

/**
 * A JSON-protocol call of functions/lib/shared/aws-json.ts names its action at the call site:
 * `awsJson(client, 'ecs:RegisterTaskDefinition', …)` stands for the SDK's RegisterTaskDefinitionCommand.
 */
export const AWS_JSON_FILE = 'functions/lib/shared/aws-json.ts';
const AWS_JSON_CALL = /\bawsJson\s*(?:<[^>]*>)?\(\s*[\w.]+\s*,\s*'([a-z0-9-]+):([A-Za-z0-9]+)'/g;
const JSON_PACKAGES: Record<string, string> = {
  codebuild: 'client-codebuild',
  codecommit: 'client-codecommit',
  dynamodb: 'client-dynamodb',
  ecr: 'client-ecr',
  ecs: 'client-ecs',
  events: 'client-eventbridge',
  states: 'client-sfn',
};

/** The awsJson calls of a text, as the SDK commands they stand for. */
export function jsonCalls(file: string, text: string): SdkCall[] {
  return [...text.matchAll(AWS_JSON_CALL)].map(([, prefix = '', operation = '']) => ({
    sdkPackage: JSON_PACKAGES[prefix] ?? prefix,
    name: `${operation}Command`,
    file,
  }));
}

/** Refuses an awsJson call whose action is not a literal of a known service: its call would escape the analysis. */
export function checkJsonCalls(file: string, code: string): void {
  const named = [...code.matchAll(AWS_JSON_CALL)];
  const all = code.match(/\bawsJson\s*(?:<[^>]*>)?\(/g)?.length ?? 0;
  if (
    file !== AWS_JSON_FILE &&
    (all !== named.length || named.some(([, prefix = '']) => !JSON_PACKAGES[prefix]))
  ) {
    throw new Error(
      `${file}: name each awsJson call's action as a literal of a known service ('ecs:Operation'; known: ` +
        `${Object.keys(JSON_PACKAGES).join(', ')}) for the SDK call analysis (test/support/sdk-calls-signed.ts)`,
    );
  }
}

/** Refuses a file that builds a request without the SDK (REQUEST_BUILDERS) and is not in LIGHT_CALLS. */
export function checkBuilderImport(file: string, from: string, imported: string): void {
  if (REQUEST_BUILDERS[from] === imported && !LIGHT_CALLS[file] && !BUILDER_FILES.has(file)) {
    throw new Error(
      `${file} sends AWS requests with ${imported}: add its exported calls to LIGHT_CALLS in test/support/sdk-calls-signed.ts`,
    );
  }
}
