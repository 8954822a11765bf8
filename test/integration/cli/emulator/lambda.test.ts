import {
  CreateAliasCommand,
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { createNodeFunction, nodeFunctionZip } from '../../../../cli/emulator/functions';
import { useMoto } from '../../../support/moto';

const lambda = new LambdaClient({});
const payloadOf = (output: InvokeCommandOutput): unknown =>
  JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'));

const HANDLERS = `
exports.echo = async (event, context) => ({
  event,
  stage: process.env.STAGE,
  region: process.env.AWS_REGION,
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  endpoint: process.env.AWS_ENDPOINT_URL,
  requestId: context.awsRequestId,
  contextName: context.functionName,
  remaining: context.getRemainingTimeInMillis(),
});
exports.fails = async () => {
  throw new TypeError('deployment 42 has no target group');
};
exports.hook = async () => ({ status: 'Failed' });
exports.callback = (event, context, callback) => {
  setTimeout(() => callback(null, { doubled: event.value * 2 }), 5);
};
exports.chatty = async () => {
  console.log('checking %s', 'green');
  console.error('green answered 503');
  return 'done';
};
exports.hangs = () => new Promise(() => setInterval(() => {}, 1000));
exports.buckets = () =>
  new Promise((resolve, reject) => {
    const http = require('node:http');
    // An unsigned S3 ListBuckets: moto routes by the credential scope and does not check the signature.
    const request = http.get(
      new URL('/', process.env.AWS_ENDPOINT_URL),
      {
        headers: {
          authorization: 'AWS4-HMAC-SHA256 Credential=' + process.env.AWS_ACCESS_KEY_ID + '/20260101/' +
            process.env.AWS_REGION + '/s3/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
      (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve([...body.matchAll(/<Name>([^<]+)<\\/Name>/g)].map((m) => m[1])));
      },
    );
    request.on('error', reject);
  });
`;

describe('the emulator: Lambda Invoke of Node.js functions without Docker', () => {
  const moto = useMoto();

  const createFunction = async (
    handler: string,
    overrides: { name?: string; timeout?: number } = {},
    files: Record<string, string> = { 'index.js': HANDLERS },
  ): Promise<string> => {
    const name = overrides.name ?? `fn-${handler.replace(/\W/g, '-')}`;
    await createNodeFunction(moto.endpoint, {
      name,
      files,
      handler,
      environment: { STAGE: 'test' },
      timeout: overrides.timeout ?? 10,
    });
    return name;
  };
  const invoke = (
    name: string,
    event: unknown = {},
    extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {},
  ) => lambda.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event), ...extra }));

  it('returns the handler result, with the event, the context and the environment', async () => {
    const name = await createFunction('index.echo');

    const output = await invoke(name, { deploymentId: 'd-1' });

    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
    expect(output.ExecutedVersion).toBe('$LATEST');
    expect(payloadOf(output)).toEqual({
      event: { deploymentId: 'd-1' },
      stage: 'test',
      region: 'us-east-1',
      functionName: name,
      endpoint: moto.endpoint,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      contextName: name,
      remaining: expect.any(Number),
    });
  });

  it('answers a thrown error as Lambda does: FunctionError Unhandled with errorType, errorMessage and trace', async () => {
    const output = await invoke(await createFunction('index.fails'));

    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBe('Unhandled');
    const payload = payloadOf(output) as { errorType: string; errorMessage: string; trace: string[] };
    expect(payload).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'deployment 42 has no target group',
    });
    expect(payload.trace[0]).toBe('TypeError: deployment 42 has no target group');
  });

  it('returns a hook-style result as is, and takes a callback result', async () => {
    expect(payloadOf(await invoke(await createFunction('index.hook')))).toEqual({ status: 'Failed' });
    expect(payloadOf(await invoke(await createFunction('index.callback'), { value: 21 }))).toEqual({
      doubled: 42,
    });
  });

  it('loads an ES module handler and names a missing export', async () => {
    const files = { 'app/main.mjs': 'export const handler = async (event) => ({ esm: true, event });' };
    expect(payloadOf(await invoke(await createFunction('app/main.handler', {}, files), [1]))).toEqual({
      esm: true,
      event: [1],
    });

    const missing = await invoke(await createFunction('index.absent', { name: 'absent' }));
    expect(missing.FunctionError).toBe('Unhandled');
    expect(payloadOf(missing)).toMatchObject({
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'index.absent is undefined or not exported',
    });
  });

  it('lets the function call AWS through the emulator (AWS_ENDPOINT_URL)', async () => {
    await new S3Client({}).send(new CreateBucketCommand({ Bucket: 'hook-evidence' }));

    expect(payloadOf(await invoke(await createFunction('index.buckets')))).toEqual(['hook-evidence']);
  });

  it('kills a function that runs past its Timeout and says so as Lambda does', async () => {
    const output = await invoke(await createFunction('index.hangs', { timeout: 1 }), {}, { LogType: 'Tail' });

    expect(output.FunctionError).toBe('Unhandled');
    expect(payloadOf(output)).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(
        /^RequestId: [0-9a-f-]{36} Error: Task timed out after 1\.00 seconds$/,
      ),
    });
    expect(Buffer.from(output.LogResult ?? '', 'base64').toString()).toMatch(
      /Task timed out after 1\.00 seconds/,
    );
  });

  it('returns the log tail with LogType Tail only', async () => {
    const name = await createFunction('index.chatty');

    const tailed = await invoke(name, {}, { LogType: 'Tail' });

    expect(payloadOf(tailed)).toBe('done');
    const log = Buffer.from(tailed.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: (\S+) Version: \$LATEST\n/);
    expect(log).toMatch(/\tINFO\tchecking green\n/);
    expect(log).toMatch(/\tERROR\tgreen answered 503\n/);
    expect(log).toMatch(/\nEND RequestId: \S+\nREPORT RequestId: \S+\tDuration: [\d.]+ ms\t/);
    expect((await invoke(name)).LogResult).toBeUndefined();
  });

  it('answers Event with 202 and DryRun with 204 without a payload', async () => {
    const name = await createFunction('index.hook');

    const event = await invoke(name, {}, { InvocationType: 'Event' });
    const dryRun = await invoke(name, {}, { InvocationType: 'DryRun' });

    expect([event.StatusCode, Buffer.from(event.Payload ?? new Uint8Array()).length]).toEqual([202, 0]);
    expect([dryRun.StatusCode, Buffer.from(dryRun.Payload ?? new Uint8Array()).length]).toEqual([204, 0]);
  });

  it('runs the code of the version a qualifier or an alias resolves to', async () => {
    const name = await createFunction(
      'index.handler',
      {},
      { 'index.js': "exports.handler = async () => 'v1';" },
    );
    const { Version } = await lambda.send(new PublishVersionCommand({ FunctionName: name }));
    await lambda.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: Version }));
    await lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: name,
        ZipFile: await nodeFunctionZip({ 'index.js': "exports.handler = async () => 'v2';" }),
      }),
    );

    expect(payloadOf(await invoke(name))).toBe('v2');
    expect(payloadOf(await invoke(name, {}, { Qualifier: Version }))).toBe('v1');
    expect(payloadOf(await invoke(name, {}, { Qualifier: 'live' }))).toBe('v1');
  });
});
