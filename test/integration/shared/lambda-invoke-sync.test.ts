/**
 * Lambda's synchronous Invoke as a signed request (functions/lib/shared/lambda-invoke.ts invokeSync), seen from a
 * local server standing in for Lambda: the headers it sends, the answer's FunctionError, LogResult and payload
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html), and an abort signal that ends the call as the
 * SDK's does: AbortError, never retried, whether the attempt is in flight or waiting to be retried.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTransient } from '../../../functions/lib/shared/errors';
import { invokeSync, lambdaInvoker } from '../../../functions/lib/shared/lambda-invoke';

interface Arrived {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A stand-in for Lambda that records each request and lets `respond` answer it (or leave it hanging). */
async function fakeLambda(respond: (res: ServerResponse, index: number) => void) {
  const arrived: Arrived[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      arrived.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      respond(res, arrived.length - 1);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { arrived, close };
}

const SETTINGS = { connectionTimeoutMs: 1000, requestTimeoutMs: 0, socketTimeoutMs: 0, maxAttempts: 3 };

describe('invokeSync', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of ['AWS_ENDPOINT_URL_LAMBDA', 'AWS_MAX_ATTEMPTS']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('sends RequestResponse with the log type and the event, and reads the function error, log tail and payload', async () => {
    const tail = Buffer.from('START\nSWITCHYARD_HOOK_STATUS {}\nEND\n').toString('base64');
    const aws = await fakeLambda((res) => {
      res.writeHead(200, { 'X-Amz-Function-Error': 'Unhandled', 'X-Amz-Log-Result': tail });
      res.end('{"errorType":"Error","errorMessage":"boom"}');
    });
    try {
      const out = await invokeSync(lambdaInvoker(SETTINGS), {
        functionName: 'CodeDeployHook_smoke:live',
        payload: '{"hook":"AfterInstall"}',
        logType: 'Tail',
      });

      expect(out).toEqual({
        StatusCode: 200,
        FunctionError: 'Unhandled',
        LogResult: tail,
        Payload: Buffer.from('{"errorType":"Error","errorMessage":"boom"}'),
      });
      const [request] = aws.arrived;
      expect(request?.url).toBe('/2015-03-31/functions/CodeDeployHook_smoke%3Alive/invocations');
      expect(request?.headers).toMatchObject({
        'x-amz-invocation-type': 'RequestResponse',
        'x-amz-log-type': 'Tail',
      });
      expect(request?.body).toBe('{"hook":"AfterInstall"}');
    } finally {
      await aws.close();
    }
  });

  it('answers a function that succeeded without FunctionError or LogResult', async () => {
    const aws = await fakeLambda((res) => {
      res.writeHead(200);
      res.end('{"status":"Succeeded"}');
    });
    try {
      const out = await invokeSync(lambdaInvoker(SETTINGS), { functionName: 'f', payload: '{}' });
      expect(out).toEqual({ StatusCode: 200, Payload: Buffer.from('{"status":"Succeeded"}') });
      expect(aws.arrived[0]?.headers['x-amz-log-type']).toBe('None');
    } finally {
      await aws.close();
    }
  });

  it('ends an attempt in flight with AbortError when the signal aborts, and does not try again', async () => {
    process.env.AWS_MAX_ATTEMPTS = '3';
    const controller = new AbortController();
    // The hook "runs" and never answers; the budget runs out meanwhile.
    const aws = await fakeLambda(() => controller.abort());
    try {
      const call = invokeSync(
        lambdaInvoker(SETTINGS),
        { functionName: 'slow', payload: '{}' },
        { abortSignal: controller.signal },
      );
      const error = await call.catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(isTransient(error)).toBe(false);
      expect(aws.arrived).toHaveLength(1);
    } finally {
      await aws.close();
    }
  });

  it('does not retry a throttled attempt once the signal has aborted', async () => {
    process.env.AWS_MAX_ATTEMPTS = '3';
    const controller = new AbortController();
    const aws = await fakeLambda((res) => {
      res.writeHead(429, { 'X-Amzn-ErrorType': 'TooManyRequestsException' });
      res.end('{"message":"Rate exceeded"}');
      controller.abort();
    });
    try {
      const call = invokeSync(
        lambdaInvoker(SETTINGS),
        { functionName: 'busy', payload: '{}' },
        { abortSignal: controller.signal },
      );
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
      expect(aws.arrived).toHaveLength(1);
    } finally {
      await aws.close();
    }
  });

  it('retries a throttled Invoke as the SDK does, and keeps the error name', async () => {
    process.env.AWS_MAX_ATTEMPTS = '2';
    const aws = await fakeLambda((res) => {
      res.writeHead(429, { 'X-Amzn-ErrorType': 'TooManyRequestsException' });
      res.end('{"message":"Rate exceeded"}');
    });
    try {
      const call = invokeSync(lambdaInvoker(SETTINGS), { functionName: 'busy', payload: '{}' });
      const error = await call.catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
      expect(isTransient(error)).toBe(true);
      expect(aws.arrived).toHaveLength(2);
    } finally {
      await aws.close();
    }
  });
});
