/**
 * A CodeCommit endpoint on 127.0.0.1 for tests that need the SDK's middleware (retries above all), which
 * aws-sdk-client-mock skips: it answers the AWS JSON 1.1 protocol from a fake repository and can be told
 * to fail the next calls of an operation (throttling, 5xx), recording every attempt it receives.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FakeRepository, fakeCodeCommit } from './fake-codecommit';

/** An error answer: the HTTP status and, for a modelled error, its `__type`. */
export interface Failure {
  status: number;
  type?: string;
  message?: string;
}

/** One request as the server received it. */
export interface Attempt {
  operation: string;
  input: Record<string, unknown>;
  /** The SDK's `amz-sdk-request` header, e.g. "attempt=2; max=6". */
  sdkRequest: string | undefined;
}

/** The running server. */
export interface CodeCommitHttp {
  endpoint: string;
  attempts: Attempt[];
  /** The next `times` calls of `operation` (all of them by default) answer `failure`. */
  fail(operation: string, failure: Failure, times?: number): void;
  close(): Promise<void>;
}

type Operation = (input: Record<string, unknown>) => unknown;

/** Starts the server on a free port of 127.0.0.1. */
export async function serveCodeCommitHttp(repo: FakeRepository): Promise<CodeCommitHttp> {
  const fake = fakeCodeCommit(repo);
  const operations: Record<string, Operation> = {
    GetCommit: fake.getCommit,
    GetFolder: fake.getFolder,
    GetBlob: fake.getBlob,
  };
  const failures: { operation: string; failure: Failure; left: number }[] = [];
  const attempts: Attempt[] = [];

  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    const operation = String(request.headers['x-amz-target'] ?? '').replace(/^CodeCommit_\d+\./, '');
    const sdkRequest = request.headers['amz-sdk-request'];
    attempts.push({ operation, input, sdkRequest: Array.isArray(sdkRequest) ? sdkRequest[0] : sdkRequest });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify(body, (_key, value) => (value instanceof Uint8Array ? base64(value) : value)),
      );
    };
    const scripted = failures.find((f) => f.operation === operation && f.left > 0);
    if (scripted) {
      scripted.left -= 1;
      const { status, type, message = 'Rate exceeded' } = scripted.failure;
      return send(status, type === undefined ? { message } : { __type: type, message });
    }
    const handle = operations[operation];
    if (!handle) return send(400, { __type: 'UnknownOperationException', message: operation });
    try {
      return send(200, handle(input));
    } catch (error) {
      const { name, message } = error as Error;
      return send(400, { __type: name, message });
    }
  };

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    attempts,
    fail: (operation, failure, times = Number.POSITIVE_INFINITY) => {
      failures.push({ operation, failure, left: times });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
