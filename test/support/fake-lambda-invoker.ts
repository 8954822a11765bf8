/**
 * A Lambda that answers the signed Invoke requests of functions/lib/shared/lambda-invoke.ts in memory, for unit
 * tests of RunHooks (the test seam of a signed request, as fake-s3-sender.ts is for S3): each invocation is
 * recorded as the SDK's InvokeCommand input would read it, with the options it was sent with, and answered by
 * `answer` (an object as Lambda answers, or a throw: `lambdaError('TooManyRequestsException', 429)`).
 */
import type { LambdaInvoker } from '../../functions/lib/shared/lambda-invoke';
import { AwsCallError, type SendOptions } from '../../functions/lib/shared/signed-request';

/** One Invoke as the fake received it, in the SDK's InvokeCommand input names. */
export interface RecordedInvoke {
  FunctionName: string;
  InvocationType: string | undefined;
  LogType: string | undefined;
  Payload: string;
  /** The options of the send (the budget's abort signal). */
  options: SendOptions;
}

/** What the fake Lambda answers one Invoke with. */
export interface FakeAnswer {
  StatusCode?: number;
  FunctionError?: string;
  /** The log tail, base64-encoded as Lambda sends it in X-Amz-Log-Result. */
  LogResult?: string;
  /** The function's response, as text. */
  Payload?: string;
}

/** The fake: the invoker for the code under test, the Invokes it received, and its answer to change. */
export interface FakeLambda {
  lambda: LambdaInvoker;
  invokes: RecordedInvoke[];
  answer: (invoke: RecordedInvoke) => FakeAnswer | Promise<FakeAnswer>;
}

/** The error Lambda answers with `code` and `status`, named as signed-request.ts names it. */
export function lambdaError(code: string, status: number, message = code): AwsCallError {
  return new AwsCallError(code, message, status);
}

/** A fresh fake Lambda; by default every function answers `{"status":"Succeeded"}`. */
export function fakeLambda(
  answer: FakeLambda['answer'] = () => ({ Payload: '{"status":"Succeeded"}' }),
): FakeLambda {
  const fake: FakeLambda = {
    invokes: [],
    answer,
    lambda: {
      region: 'us-east-1',
      send: async (request, options = {}) => {
        const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(request.path);
        if (request.method !== 'POST' || !match?.[1]) {
          throw new Error(`not an Invoke: ${request.method} ${request.path}`);
        }
        const invoke: RecordedInvoke = {
          FunctionName: decodeURIComponent(match[1]),
          InvocationType: request.headers?.['x-amz-invocation-type'],
          LogType: request.headers?.['x-amz-log-type'],
          Payload: String(request.body ?? ''),
          options,
        };
        fake.invokes.push(invoke);
        const out = await fake.answer(invoke);
        return {
          statusCode: out.StatusCode ?? 200,
          headers: {
            ...(out.FunctionError ? { 'x-amz-function-error': out.FunctionError } : {}),
            ...(out.LogResult ? { 'x-amz-log-result': out.LogResult } : {}),
          },
          body: Buffer.from(out.Payload ?? ''),
        };
      },
    },
  };
  return fake;
}
