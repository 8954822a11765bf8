/**
 * The emulator serves only whoever launched it (cli/emulator/emulator_auth.py): each attack that used to run
 * commands as the user — an unsigned or foreign-signed AWS call, a control without the secret, a cross-origin or
 * DNS-rebound browser request, setting the build executor over HTTP — is refused here, against this worker's server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  CreateProjectCommand,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SECRET_HEADER } from '../../../../cli/emulator/emulator-credentials';
import { useMoto } from '../../../support/moto';

const LAUNCHER = join(__dirname, '../../../../cli/emulator/moto_launcher.py');
const stranger = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to the emulator with exactly these headers (Host included: fetch would not send a foreign one). */
function raw(
  endpoint: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  const url = new URL(options.path ?? '/', endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: { host: url.host, ...options.headers } },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** What the SDK made of a refused call: the error's name and HTTP status. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; status: number | undefined }> {
  const error = (await call.then(
    () => new Error('the emulator served the call'),
    (e: unknown) => e,
  )) as Error & { $metadata?: { httpStatusCode?: number } };
  return { name: error.name, status: error.$metadata?.httpStatusCode };
}

const corsHeaders = (response: RawResponse) =>
  Object.keys(response.headers).filter((name) => name.startsWith('access-control-'));

describe('the emulator serves only its launcher', () => {
  const moto = useMoto();
  const secret = () => process.env.AWS_SECRET_ACCESS_KEY as string;
  const keyId = () => process.env.AWS_ACCESS_KEY_ID as string;

  it('refuses AWS calls signed with another access key id, in each protocol’s error shape', async () => {
    const config = { credentials: stranger, region: 'us-east-1' };

    expect(await refusal(new S3Client(config).send(new ListBucketsCommand({})))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
    expect(await refusal(new DynamoDBClient(config).send(new ListTablesCommand({})))).toEqual({
      name: 'UnrecognizedClientException',
      status: 403,
    });
    expect(
      await refusal(new ElasticLoadBalancingV2Client(config).send(new DescribeLoadBalancersCommand({}))),
    ).toEqual({ name: 'InvalidClientTokenId', status: 403 });
    expect(await refusal(new LambdaClient(config).send(new ListFunctionsCommand({})))).toEqual({
      name: 'UnrecognizedClientException',
      status: 403,
    });
    // The same calls with the launch's credentials (the worker's environment) are served.
    await expect(new S3Client({}).send(new ListBucketsCommand({}))).resolves.toBeDefined();
    await expect(new DynamoDBClient({}).send(new ListTablesCommand({}))).resolves.toBeDefined();
  });

  it('refuses an unsigned call, and a presigned URL of another key id, before moto applies them', async () => {
    const unsigned = await raw(moto.endpoint, { method: 'PUT', path: '/planted-bucket' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body).toMatch(/<Code>AccessDenied<\/Code>.*the request is not signed/s);

    const ec2 = await raw(moto.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${stranger.accessKeyId}/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    });
    expect(ec2.status).toBe(403);
    expect(ec2.body).toMatch(/<Response><Errors><Error><Code>AuthFailure<\/Code>/);

    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'artifacts' }));
    await s3.send(new PutObjectCommand({ Bucket: 'artifacts', Key: 'a.txt', Body: 'hello' }));
    const presigned = (id: string) =>
      `/artifacts/a.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${id}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request` +
      '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0';
    const foreign = await raw(moto.endpoint, { path: presigned(stranger.accessKeyId) });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/<Code>InvalidAccessKeyId<\/Code>/);
    const own = await raw(moto.endpoint, { path: presigned(keyId()) });
    expect({ status: own.status, body: own.body }).toEqual({ status: 200, body: 'hello' });
    // S3's Signature Version 2 query, as `aws s3 presign` writes it against a custom endpoint.
    const legacy = (id: string) => `/artifacts/a.txt?AWSAccessKeyId=${id}&Signature=0&Expires=4102444800`;
    expect((await raw(moto.endpoint, { path: legacy(stranger.accessKeyId) })).status).toBe(403);
    expect((await raw(moto.endpoint, { path: legacy(keyId()) })).body).toBe('hello');

    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((bucket) => bucket.Name)).toEqual(['artifacts']);
  });

  it('refuses a control, moto’s reset included, without the secret header', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'kept' }));
    const attempts: Record<string, string>[] = [
      {},
      { [SECRET_HEADER]: 'guessed' },
      { [SECRET_HEADER]: keyId() },
    ];
    for (const headers of attempts) {
      const reset = await raw(moto.endpoint, { method: 'POST', path: '/moto-api/reset', headers });
      expect(reset.status).toBe(403);
      expect(JSON.parse(reset.body).error).toMatch(/needs the X-Switchyard-Emulator-Secret header/);
    }
    const outcomes = await raw(moto.endpoint, {
      method: 'POST',
      path: '/moto-api/switchyard/codebuild/outcomes',
      body: JSON.stringify({ projectName: 'p', outcomes: [{ status: 'FAILED' }] }),
    });
    expect(outcomes.status).toBe(403);
    expect(await moto.listRecordedBuilds()).toEqual([]);
    const { Buckets } = await s3.send(new ListBucketsCommand({}));
    expect(Buckets?.map((bucket) => bucket.Name)).toEqual(['kept']);
  });

  it('answers no browser: an Origin header or a preflight is refused, and no answer carries CORS headers', async () => {
    const origin = 'http://attacker.example';
    // The original attack: a cross-origin "simple" request (text/plain, no preflight) to a control.
    const simple = await raw(moto.endpoint, {
      method: 'POST',
      path: '/moto-api/switchyard/codebuild/run-builds',
      headers: { origin, 'content-type': 'text/plain', [SECRET_HEADER]: secret() },
      body: '{"enabled": true}',
    });
    expect(simple.status).toBe(403);
    expect(simple.body).toMatch(/no browser request/);
    expect(corsHeaders(simple)).toEqual([]);

    const preflight = await raw(moto.endpoint, {
      method: 'OPTIONS',
      path: '/',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,x-amz-target',
      },
    });
    expect(preflight.status).toBe(403);
    expect(corsHeaders(preflight)).toEqual([]);

    // moto's flask_cors would allow every origin; a served request carries no Access-Control-* header at all.
    const served = await raw(moto.endpoint, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${keyId()}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`,
      },
    });
    expect(served.status).toBe(200);
    expect(corsHeaders(served)).toEqual([]);
  });

  it('refuses a Host that is not the emulator’s (DNS rebinding), even with the right credentials', async () => {
    const port = new URL(moto.endpoint).port;
    const signed = {
      authorization: `AWS4-HMAC-SHA256 Credential=${keyId()}/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0`,
    };
    for (const host of [`rebind.attacker.example:${port}`, '127.0.0.1', `127.0.0.1:${Number(port) + 1}`]) {
      const response = await raw(moto.endpoint, { headers: { ...signed, host } });
      expect({ host, status: response.status }).toEqual({ host, status: 403 });
      expect(response.body).toMatch(/is not this emulator/);
    }
    const control = await raw(moto.endpoint, {
      path: '/moto-api/switchyard/timings',
      headers: { host: `rebind.attacker.example:${port}`, [SECRET_HEADER]: secret() },
    });
    expect(control.status).toBe(403);
    expect((await raw(moto.endpoint, { headers: { ...signed, host: `localhost:${port}` } })).status).toBe(
      200,
    );
    // A name under .localhost reaches moto (S3 takes it for a virtual-hosted bucket, here one that does not exist).
    const virtualHost = await raw(moto.endpoint, {
      headers: { ...signed, host: `artifacts.localhost:${port}` },
    });
    expect({ status: virtualHost.status, body: virtualHost.body }).toEqual({
      status: 404,
      body: expect.stringMatching(/NoSuchBucket/),
    });
  });

  it('takes no build command over HTTP: builds run only the executor named at launch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-auth-'));
    const marker = join(dir, 'pwned');
    try {
      const command = ['sh', '-c', `touch ${marker}`];
      const headers = { [SECRET_HEADER]: secret(), 'content-type': 'application/json' };
      const old = await raw(moto.endpoint, {
        method: 'POST',
        path: '/moto-api/switchyard/codebuild/executor',
        headers,
        body: JSON.stringify({ command }),
      });
      expect(old.status).toBe(404);
      const smuggled = await raw(moto.endpoint, {
        method: 'POST',
        path: '/moto-api/switchyard/codebuild/run-builds',
        headers,
        body: JSON.stringify({ enabled: true, command }),
      });
      expect(smuggled.status).toBe(400);
      expect(JSON.parse(smuggled.body).error).toMatch(/fixed at launch \(--build-executor\)/);

      const codebuild = new CodeBuildClient({});
      await codebuild.send(
        new CreateProjectCommand({
          name: 'app-build',
          source: { type: 'S3', location: 'artifacts/source.zip' },
          artifacts: { type: 'NO_ARTIFACTS' },
          environment: {
            type: 'LINUX_CONTAINER',
            computeType: 'BUILD_GENERAL1_SMALL',
            image: 'aws/codebuild/standard:7.0',
          },
          serviceRole: 'arn:aws:iam::123456789012:role/codebuild',
        }),
      );
      const { build } = await codebuild.send(new StartBuildCommand({ projectName: 'app-build' }));
      const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [build?.id ?? ''] }));
      expect(builds?.[0]?.buildStatus).toBe('SUCCEEDED');

      // Turned on, builds run the launch's executor (the local build runner), which finds no source archive.
      await moto.setBuildExecutor();
      const started = await codebuild.send(new StartBuildCommand({ projectName: 'app-build' }));
      let ran = started.build;
      while (!ran?.buildComplete) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        ran = (await codebuild.send(new BatchGetBuildsCommand({ ids: [started.build?.id ?? ''] })))
          .builds?.[0];
      }
      expect(ran.buildStatus).toBe('FAULT');
      expect(
        ran.phases?.find((phase) => phase.phaseType === 'DOWNLOAD_SOURCE')?.contexts?.[0]?.message,
      ).toMatch(/NoSuchKey|does not exist/);
      expect(existsSync(marker)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps its credentials off the command line and its log private', () => {
    const pids = (process.env.SWITCHYARD_TEST_MOTO_PIDS ?? '').split(',');
    const index = (Number(process.env.JEST_WORKER_ID ?? '1') - 1) % pids.length;
    const commandLine = readFileSync(`/proc/${pids[index]}/cmdline`, 'utf8');
    expect(commandLine).toContain('moto_launcher.py');
    expect(commandLine).not.toContain(keyId());
    expect(commandLine).not.toContain(secret());
    expect(statSync(moto.log).mode & 0o077).toBe(0);
  });

  it('refuses to start without launch credentials, naming the variable', () => {
    const env = { ...process.env };
    delete env.SWITCHYARD_EMULATOR_ACCESS_KEY_ID;
    const out = spawnSync('python3', [LAUNCHER, '--port', '0'], { env, encoding: 'utf8', timeout: 30_000 });
    expect(out.status).toBe(2);
    expect(out.stderr).toMatch(
      /SWITCHYARD_EMULATOR_ACCESS_KEY_ID must hold 16 to 128 capital letters and digits/,
    );
    expect(out.stdout).toBe('');
  });
});
