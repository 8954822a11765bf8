/**
 * Lifecycle hooks written for CodeDeploy, as test fixtures: the shape of the CodeDeploy user guide's ECS sample
 * (AWS SDK v2, callback style) and the same with SDK v3, each unchanged and with the one-line change of
 * docs/HOOKS.md, and the files to deploy them into the emulator with.
 *
 * The emulator runs functions without the SDK that Lambda's runtime bundles, so the zip carries a stand-in for the
 * SDK module the hook requires (`aws-sdk` or `@aws-sdk/client-codedeploy`): the same calls, sent as CodeDeploy's
 * JSON API to the emulator (AWS_ENDPOINT_URL), where PutLifecycleEventHookExecutionStatus fails as there is no
 * CodeDeploy deployment behind the id (the emulator answers EmulatorFailure, AWS a deployment error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The helper teams copy next to their hook. */
export const HELPER_PATH = join(__dirname, '../../hooks/switchyard-codedeploy.js');

/** The validation result the fixtures report comes from VALIDATION_RESULT (default Succeeded). */
export const SAMPLE_V2 = `// AfterAllowTestTraffic hook as CodeDeploy's ECS tutorial shapes it: SDK v2, a callback.
'use strict';
const AWS = require('aws-sdk');
const codedeploy = new AWS.CodeDeploy({ apiVersion: '2014-10-06' });

exports.handler = (event, context, callback) => {
  console.log('validation of the new task set starts');
  const deploymentId = event.DeploymentId;
  const lifecycleEventHookExecutionId = event.LifecycleEventHookExecutionId;
  // The team's test would run here and decide between 'Succeeded' and 'Failed'.
  const params = {
    deploymentId: deploymentId,
    lifecycleEventHookExecutionId: lifecycleEventHookExecutionId,
    status: process.env.VALIDATION_RESULT || 'Succeeded',
  };
  codedeploy.putLifecycleEventHookExecutionStatus(params, function (err, data) {
    if (err) {
      callback('the validation result could not be reported');
    } else {
      callback(null, 'the validation result was reported');
    }
  });
};
`;

/** The same hook, but it swallows the API's error: it always ends with callback(null). */
export const SWALLOWING_V2 = SAMPLE_V2.replace(
  "callback('the validation result could not be reported');",
  "console.log('not reported: ' + err.name); callback(null);",
);

/** A hook written with SDK v3, async, answering nothing. */
export const SAMPLE_V3 = `// AfterAllowTestTraffic hook written for CodeDeploy with SDK v3.
const { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand } = require('@aws-sdk/client-codedeploy');
const codedeploy = new CodeDeployClient({});

exports.handler = async (event) => {
  await codedeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: process.env.VALIDATION_RESULT || 'Succeeded',
    }),
  );
};
`;

const CLIENT_LINES = [
  "const codedeploy = new AWS.CodeDeploy({ apiVersion: '2014-10-06' });",
  'const codedeploy = new CodeDeployClient({});',
];

/** `source` with docs/HOOKS.md's one-line change: the client wrapped by the helper. */
export function migrated(source: string): string {
  const line = CLIENT_LINES.find((candidate) => source.includes(candidate));
  if (!line) throw new Error('the fixture makes no CodeDeploy client this function knows how to wrap');
  const made = line.slice('const codedeploy = '.length, -1);
  return source.replace(line, `const codedeploy = require('./switchyard-codedeploy').client(${made});`);
}

/** CodeDeploy's JSON API against the emulator, for the SDK stand-ins; failures as the SDK reports them. */
const CALL_CODEDEPLOY = `
async function callCodeDeploy(operation, input) {
  const region = process.env.AWS_REGION;
  const response = await fetch(process.env.AWS_ENDPOINT_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'CodeDeploy_20141006.' + operation,
      authorization: 'AWS4-HMAC-SHA256 Credential=' + process.env.AWS_ACCESS_KEY_ID + '/20260101/' + region +
        '/codedeploy/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch {}
  if (response.ok) return body;
  const error = new Error(body.message || body.Message || text);
  error.name = String(body.__type || response.headers.get('x-amzn-errortype') || 'UnknownError').split('#').pop();
  console.log('CodeDeploy ' + operation + ' failed: ' + error.name + ': ' + error.message);
  throw error;
}
`;

const AWS_SDK_V2 = `${CALL_CODEDEPLOY}
class CodeDeploy {
  constructor(options) { this.options = options; }
  putLifecycleEventHookExecutionStatus(params, callback) {
    let sent;
    const send = () => (sent = sent || callCodeDeploy('PutLifecycleEventHookExecutionStatus', params));
    if (callback) send().then((data) => callback(null, data), (error) => callback(error));
    return { promise: send };
  }
}
module.exports = { CodeDeploy };
`;

const AWS_SDK_V3 = `${CALL_CODEDEPLOY}
class PutLifecycleEventHookExecutionStatusCommand {
  constructor(input) { this.input = input; }
}
class CodeDeployClient {
  constructor(config) { this.config = config; }
  async send(command) {
    return callCodeDeploy('PutLifecycleEventHookExecutionStatus', command.input);
  }
}
module.exports = { CodeDeployClient, PutLifecycleEventHookExecutionStatusCommand };
`;

/** The files of a hook function: its index.js, the SDK stand-in it requires and, if asked, the helper. */
export function hookFiles(source: string, options: { helper?: boolean } = {}): Record<string, string> {
  return {
    'index.js': source,
    'node_modules/aws-sdk/index.js': AWS_SDK_V2,
    'node_modules/@aws-sdk/client-codedeploy/index.js': AWS_SDK_V3,
    ...(options.helper ? { 'switchyard-codedeploy.js': readFileSync(HELPER_PATH, 'utf8') } : {}),
  };
}
