/**
 * An AWS JSON-protocol service answered in memory, for unit tests of the calls made through
 * functions/lib/shared/aws-json.ts (the test seam of a signed request, as fake-s3-sender.ts is for S3): each
 * operation answers from a handler, a handler's throw reaches the caller as that error, and every call is
 * recorded with its operation and parsed input.
 */
import type { JsonClient, JsonService } from '../../functions/lib/shared/aws-json';
import { AwsCallError, type AwsResponse } from '../../functions/lib/shared/signed-request';

/** One call as the fake received it. */
export interface JsonCall {
  operation: string;
  input: Record<string, unknown>;
}

/** An operation's answer: its output, or a throw (e.g. `serviceError('InvalidInputException', 400)`). */
export type JsonHandler = (input: Record<string, unknown>) => unknown;

/** The fake: its client for the code under test, the calls it received, and its handlers to change. */
export interface FakeJsonService {
  client: JsonClient;
  calls: JsonCall[];
  handlers: Record<string, JsonHandler>;
  /** The inputs of the calls of `operation`, in order. */
  inputs(operation: string): Record<string, unknown>[];
}

/** The error a service answers with `code` and `status`, named as signed-request.ts names it. */
export function serviceError(code: string, status: number, message = code): AwsCallError {
  return new AwsCallError(code, message, status);
}

/** A fake of `service` answering with `handlers`; an operation without one answers UnknownOperationException. */
export function fakeJsonService(
  service: JsonService,
  handlers: Record<string, JsonHandler> = {},
): FakeJsonService {
  const calls: JsonCall[] = [];
  const fake: FakeJsonService = {
    calls,
    handlers,
    inputs: (operation) => calls.filter((c) => c.operation === operation).map((c) => c.input),
    client: {
      service,
      sender: {
        region: 'us-east-1',
        send: async (request): Promise<AwsResponse> => {
          const target = request.headers?.['x-amz-target'] ?? '';
          if (!target.startsWith(`${service.targetPrefix}.`))
            throw new Error(`a ${service.signingName} fake received ${target || 'no X-Amz-Target'}`);
          const operation = target.slice(service.targetPrefix.length + 1);
          const input = JSON.parse(String(request.body ?? '{}')) as Record<string, unknown>;
          calls.push({ operation, input });
          const handler = fake.handlers[operation];
          if (!handler) throw serviceError('UnknownOperationException', 400, operation);
          const output = await handler(input);
          return { statusCode: 200, headers: {}, body: Buffer.from(JSON.stringify(output ?? {})) };
        },
      },
    },
  };
  return fake;
}
