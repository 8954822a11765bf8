/**
 * Creates Node.js Lambda functions in the emulator (the emulator runs them without Docker): the lifecycle hooks
 * of a local run, and test fixtures.
 */
import { CreateFunctionCommand, LambdaClient, type Runtime } from '@aws-sdk/client-lambda';
import { zipToBuffer } from '../../functions/lib/zip/write';
import { emulatorCredentials } from './emulator-credentials';

/**
 * An IAM role for emulator functions (moto's CreateFunction checks that the role exists). There is no IAM client
 * among the project's dependencies, so IAM's query API is called directly; an existing role is reused.
 */
export async function ensureFunctionRole(
  endpoint: string,
  roleName = 'switchyard-emulator-function',
): Promise<string> {
  const call = async (params: Record<string, string>) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${emulatorCredentials(endpoint).accessKeyId}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }),
    });
    return { ok: response.ok, text: await response.text() };
  };
  const existing = await call({ Action: 'GetRole', RoleName: roleName });
  let arn = existing.ok ? /<Arn>([^<]+)<\/Arn>/.exec(existing.text)?.[1] : undefined;
  if (!arn) {
    const created = await call({
      Action: 'CreateRole',
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    });
    arn = /<Arn>([^<]+)<\/Arn>/.exec(created.text)?.[1];
    if (!created.ok || !arn) throw new Error(`the emulator's IAM CreateRole answered: ${created.text}`);
  }
  return arn;
}

/** The code zip of a Node.js function: the given source files, all plain files, with a fixed timestamp. */
export async function nodeFunctionZip(files: Record<string, string>): Promise<Buffer> {
  const { zip } = await zipToBuffer(
    Object.entries(files).map(([path, text]) => ({ path, mode: 'file' as const, data: Buffer.from(text) })),
    { mtime: new Date('2026-01-01T00:00:00Z') },
  );
  return zip;
}

/** Creates a Node.js function from source files (`index.js` exporting `handler` unless `handler` says otherwise). */
export async function createNodeFunction(
  endpoint: string,
  options: {
    name: string;
    files: Record<string, string>;
    handler?: string;
    environment?: Record<string, string>;
    /** Seconds; 30 unless given. */
    timeout?: number;
    runtime?: Runtime;
  },
): Promise<string> {
  const role = await ensureFunctionRole(endpoint);
  const zip = await nodeFunctionZip(options.files);
  const lambda = new LambdaClient({ endpoint });
  try {
    const out = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: options.name,
        Runtime: options.runtime ?? 'nodejs22.x',
        Role: role,
        Handler: options.handler ?? 'index.handler',
        Code: { ZipFile: zip },
        Timeout: options.timeout ?? 30,
        ...(options.environment ? { Environment: { Variables: options.environment } } : {}),
      }),
    );
    return out.FunctionArn ?? options.name;
  } finally {
    lambda.destroy();
  }
}
