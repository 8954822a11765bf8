/**
 * The signed request under the S3 reader and the Lambda invoker (functions/lib/shared/signed-request.ts), seen from
 * a local server standing in for AWS (the emulator checks the access key id, not the signature): the Signature
 * Version 4 it sends recomputes from what arrived, as AWS recomputes it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html; S3 signs the path as sent, other
 * services encode it once more); a hung request times out and is retried; a 503 is retried, a 404 is not.
 * Against the emulator: Lambda's asynchronous Invoke, its errors and its throttling.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultCounts, setFaults } from '../../../cli/emulator/moto-faults';
import { isTransient } from '../../../functions/lib/shared/errors';
import { invokeAsync, lambdaInvoker } from '../../../functions/lib/shared/lambda-invoke';
import { getObject, s3Reader } from '../../../functions/lib/shared/s3-read';
import { useMoto } from '../../support/moto';

interface Arrived {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A server that records each request and answers the next scripted answer (then 200 "ok"). */
async function fakeAws(answers: Answer[] = []) {
  const arrived: Arrived[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      arrived.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      const answer = answers.shift() ?? { status: 200, body: 'ok' };
      if (answer === 'hang') return;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url, arrived, close };
}

const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The signature AWS would compute for what arrived, with the secret key (Signature Version 4, header form). */
function expectedSignature(request: Arrived, secret: string, encodePathAgain: boolean): string {
  const auth = String(request.headers.authorization);
  const [, scope = '', signed = ''] = /Credential=[^/]+\/([^,]+), SignedHeaders=([^,]+),/.exec(auth) ?? [];
  const [date = '', region = '', service = ''] = scope.split('/');
  const [path = '', query = ''] = request.url.split('?');
  const canonicalPath = encodePathAgain ? path.split('/').map(rfc3986).join('/') : path;
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=').map((part) => rfc3986(decodeURIComponent(part))))
    .sort(([a = ''], [b = '']) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value = '']) => `${key}=${value}`)
    .join('&');
  const headers = signed
    .split(';')
    .map((name) => `${name}:${String(request.headers[name]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const payload = createHash('sha256').update(request.body).digest('hex');
  const canonical = [request.method, canonicalPath, canonicalQuery, headers, signed, payload].join('\n');
  const toSign = [
    'AWS4-HMAC-SHA256',
    request.headers['x-amz-date'],
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  for (const part of [region, service, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('signed-request', () => {
  const moto = useMoto();
  const saved = { ...process.env };
  afterEach(async () => {
    for (const name of [
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_MAX_ATTEMPTS',
      'AWS_SESSION_TOKEN',
    ])
      process.env[name] = saved[name];
    if (saved.AWS_SESSION_TOKEN === undefined) delete process.env.AWS_SESSION_TOKEN;
    if (saved.AWS_ENDPOINT_URL_S3 === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    if (saved.AWS_ENDPOINT_URL_LAMBDA === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
    await setFaults(moto.endpoint, []);
  });

  it('signs an S3 GET of a key that needs encoding as S3 checks it, path-style, with the session token', async () => {
    const aws = await fakeAws();
    try {
      process.env.AWS_ENDPOINT_URL_S3 = aws.url;
      process.env.AWS_SESSION_TOKEN = 'session-token';
      const key = 'dir/a b+c (1)!*~é.zip';
      const read = await getObject(
        s3Reader(),
        { bucket: 'artifacts', key, versionId: 'v1+/=' },
        { range: 'bytes=0-9' },
      );
      expect(read.body.toString()).toBe('ok');
      const [request] = aws.arrived;
      if (!request) throw new Error('no request arrived');
      expect(request.url).toBe(
        `/artifacts/dir/a%20b%2Bc%20%281%29%21%2A~%C3%A9.zip?versionId=${encodeURIComponent('v1+/=')}`,
      );
      expect(request.headers).toMatchObject({
        range: 'bytes=0-9',
        'x-amz-security-token': 'session-token',
        'x-amz-content-sha256': createHash('sha256').update('').digest('hex'),
      });
      const auth = String(request.headers.authorization);
      expect(auth).toContain(`Credential=${process.env.AWS_ACCESS_KEY_ID}/`);
      expect(auth).toContain('/us-east-1/s3/aws4_request');
      expect(auth).toContain(
        `Signature=${expectedSignature(request, process.env.AWS_SECRET_ACCESS_KEY ?? '', false)}`,
      );
    } finally {
      await aws.close();
    }
  });

  it("signs Lambda's Invoke of a function ARN with the path encoded twice, and sends the event", async () => {
    const aws = await fakeAws([{ status: 202 }]);
    try {
      process.env.AWS_ENDPOINT_URL_LAMBDA = aws.url;
      const arn = 'arn:aws:lambda:us-east-1:123456789012:function:clean-up';
      await invokeAsync(lambdaInvoker(), arn, { detail: { status: 'ABORTED' } });
      const [request] = aws.arrived;
      if (!request) throw new Error('no request arrived');
      expect(request.method).toBe('POST');
      expect(request.url).toBe(`/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`);
      expect(request.headers['x-amz-invocation-type']).toBe('Event');
      expect(JSON.parse(request.body.toString())).toEqual({ detail: { status: 'ABORTED' } });
      expect(String(request.headers.authorization)).toContain(
        `Signature=${expectedSignature(request, process.env.AWS_SECRET_ACCESS_KEY ?? '', true)}`,
      );
    } finally {
      await aws.close();
    }
  });

  it('times out a hung request, tries it again, and gets the next answer', async () => {
    const aws = await fakeAws(['hang', { status: 200, body: 'second' }]);
    try {
      process.env.AWS_ENDPOINT_URL_S3 = aws.url;
      process.env.AWS_MAX_ATTEMPTS = '2';
      const s3 = s3Reader({
        connectionTimeoutMs: 1000,
        requestTimeoutMs: 200,
        socketTimeoutMs: 200,
        maxAttempts: 2,
      });
      const read = await getObject(s3, { bucket: 'artifacts', key: 'k' });
      expect(read.body.toString()).toBe('second');
      expect(aws.arrived).toHaveLength(2);
    } finally {
      await aws.close();
    }
  });

  it('leaves a request that hangs every time as a TimeoutError, which isTransient reads as transient', async () => {
    const aws = await fakeAws(['hang', 'hang']);
    try {
      process.env.AWS_ENDPOINT_URL_S3 = aws.url;
      process.env.AWS_MAX_ATTEMPTS = '2';
      const s3 = s3Reader({
        connectionTimeoutMs: 1000,
        requestTimeoutMs: 200,
        socketTimeoutMs: 200,
        maxAttempts: 2,
      });
      const reading = getObject(s3, { bucket: 'artifacts', key: 'k' });
      await expect(reading).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(isTransient(await reading.catch((error: unknown) => error))).toBe(true);
      expect(aws.arrived).toHaveLength(2);
    } finally {
      await aws.close();
    }
  });

  it('retries a 503 without a body, not a 403 AccessDenied', async () => {
    const denied = '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
    const aws = await fakeAws([{ status: 503 }, { status: 403, body: denied }]);
    try {
      process.env.AWS_ENDPOINT_URL_S3 = aws.url;
      process.env.AWS_MAX_ATTEMPTS = '3';
      const reading = getObject(s3Reader(), { bucket: 'artifacts', key: 'k' });
      await expect(reading).rejects.toMatchObject({
        name: 'AccessDenied',
        message: 'Access Denied',
        $metadata: { httpStatusCode: 403 },
      });
      expect(isTransient(await reading.catch((error: unknown) => error))).toBe(false);
      expect(aws.arrived).toHaveLength(2);
    } finally {
      await aws.close();
    }
  });

  describe('Lambda Invoke against the emulator', () => {
    it('names a missing function ResourceNotFoundException, not transient', async () => {
      const reading = invokeAsync(lambdaInvoker(), 'arn:aws:lambda:us-east-1:123456789012:function:none', {});
      await expect(reading).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 404 },
      });
      expect(isTransient(await reading.catch((error: unknown) => error))).toBe(false);
    });

    it('retries a throttled Invoke, then leaves it transient', async () => {
      process.env.AWS_MAX_ATTEMPTS = '2';
      await setFaults(moto.endpoint, [{ service: 'lambda', rate: 1, error: 'throttle' }]);
      const reading = invokeAsync(lambdaInvoker(), 'clean-up', {});
      await expect(reading).rejects.toMatchObject({
        name: 'TooManyRequestsException',
        $metadata: { httpStatusCode: 429 },
      });
      expect(isTransient(await reading.catch((error: unknown) => error))).toBe(true);
      expect((await faultCounts(moto.endpoint)).total).toBe(2);
    });
  });
});
