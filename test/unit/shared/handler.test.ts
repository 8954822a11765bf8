/**
 * The wrapper every handler goes through (functions/lib/shared/handler.ts) and the clients they build
 * (functions/lib/shared/aws-clients.ts): a transient AWS error leaves a handler as TransientAwsError whatever the
 * SDK called it, our own and other errors pass unchanged, messages are bounded; a call to an endpoint that never
 * answers ends at the request timeout and is retried by the SDK.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { API_CALLS, awsClient, clientConfig, TRANSFERS } from '../../../functions/lib/shared/aws-clients';
import { InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { lambdaHandler, MAX_ERROR_MESSAGE } from '../../../functions/lib/shared/handler';

/** An error shaped as the SDK throws it. */
function sdkError(name: string, status: number, message = `${name} from the service`): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'server' });
}

/** What a handler that throws `error` reports. */
async function thrownBy(error: unknown): Promise<unknown> {
  try {
    await lambdaHandler(async () => {
      throw error;
    })({});
  } catch (thrown) {
    return thrown;
  }
  throw new Error('the handler did not throw');
}

describe('lambdaHandler', () => {
  it('returns what the handler returns, given the event and context', async () => {
    const handler = lambdaHandler(async (event: { n: number }, context?: { id: string }) => ({
      doubled: event.n * 2,
      id: context?.id,
    }));

    expect(await handler({ n: 21 }, { id: 'ctx' })).toEqual({ doubled: 42, id: 'ctx' });
  });

  it.each([
    ['ThrottlingException', 400],
    ['ProvisionedThroughputExceededException', 400],
    ['InternalServerError', 500],
    ['SomethingNew', 503],
    ['TimeoutError', 0],
  ])('turns %s (HTTP %i) into TransientAwsError, keeping the cause', async (name, status) => {
    const original = sdkError(name, status);
    const thrown = (await thrownBy(original)) as Error;

    expect(thrown).toBeInstanceOf(TransientAwsError);
    expect(thrown.name).toBe('TransientAwsError');
    expect(thrown.message).toContain(`${name}: ${name} from the service`);
    expect(thrown.cause).toBe(original);
  });

  it('passes our own errors and non-transient AWS errors unchanged', async () => {
    const ours = new InvalidInputError('bad field');
    const validation = Object.assign(new Error('1 validation error'), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });

    expect(await thrownBy(ours)).toBe(ours);
    expect(await thrownBy(validation)).toBe(validation);
  });

  it('bounds a huge message, in the stack too', async () => {
    const thrown = (await thrownBy(new InvalidInputError(`input is ${'x'.repeat(300_000)}`))) as Error;

    expect(thrown.name).toBe('InvalidInputError');
    expect(thrown.message.length).toBeLessThan(MAX_ERROR_MESSAGE + 40);
    expect(thrown.message).toMatch(/… \(300009 bytes\)$/);
    expect(thrown.stack?.split('\n')[0]).toBe(`InvalidInputError: ${thrown.message}`);
  });
});

describe('awsClient', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('sets the request and connection timeouts and the standard retry', () => {
    delete process.env.AWS_MAX_ATTEMPTS;

    expect(clientConfig()).toEqual({
      maxAttempts: 3,
      retryMode: 'standard',
      requestHandler: {
        connectionTimeout: 3000,
        requestTimeout: 10_000,
        throwOnRequestTimeout: true,
        socketTimeout: 10_000,
      },
    });
  });

  it('follows AWS_MAX_ATTEMPTS, as an SDK client does, for the S3 transfers too', () => {
    process.env.AWS_MAX_ATTEMPTS = '5';

    expect(clientConfig(API_CALLS).maxAttempts).toBe(5);
    expect(clientConfig(TRANSFERS)).toMatchObject({
      maxAttempts: 5,
      requestHandler: { requestTimeout: 0, throwOnRequestTimeout: false, socketTimeout: 30_000 },
    });
  });

  describe('against an endpoint that never answers', () => {
    let server: Server;
    let requests = 0;
    beforeAll(async () => {
      // Accepts each request and never answers it: a hung call.
      server = createServer(() => {
        requests += 1;
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('ends each attempt at the request timeout, retries it, then reports TransientAwsError', async () => {
      delete process.env.AWS_MAX_ATTEMPTS;
      process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = awsClient(DynamoDBClient, { ...API_CALLS, requestTimeoutMs: 150, maxAttempts: 2 });
      const handler = lambdaHandler(async () => client.send(new ListTablesCommand({})));

      const thrown = (await handler({}).catch((error: unknown) => error)) as Error;

      expect(thrown.name).toBe('TransientAwsError');
      expect((thrown.cause as Error).name).toBe('TimeoutError');
      expect(requests).toBe(2);
    });
  });
});
