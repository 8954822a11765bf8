/**
 * Lambda's Invoke without @aws-sdk/client-lambda (whose schemas and errors are most of a bundle that makes this one
 * call), signed and retried by signed-request.ts: REST-JSON, POST /2015-03-31/functions/{name}/invocations with the
 * event as the body. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 * - invokeAsync: InvocationType Event. Lambda queues the event and answers 202; the function then runs with its own
 *   retries and on-failure destination (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 * - invokeSync: InvocationType RequestResponse. The answer is the function's response as the body, with
 *   X-Amz-Function-Error when it failed and, with LogType Tail, the last 4 KB of its log in X-Amz-Log-Result
 *   (base64) (https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html).
 */
import { API_CALLS, type ClientSettings } from './aws-clients';
import { type AwsSender, awsSender, dnsSuffix } from './signed-request';

/** The Lambda sender a handler creates once and passes to the invocations. */
export type LambdaInvoker = AwsSender;

/** The Lambda invoker of a handler. */
export function lambdaInvoker(settings: ClientSettings = API_CALLS): LambdaInvoker {
  return awsSender({ signingName: 'lambda', endpointId: 'LAMBDA' }, settings);
}

function invocation(
  lambda: LambdaInvoker,
  functionName: string,
  headers: Record<string, string>,
  body: string,
) {
  return {
    method: 'POST' as const,
    hostname: `lambda.${lambda.region}.${dnsSuffix(lambda.region)}`,
    path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    headers: { ...headers, 'content-type': 'application/json' },
    body,
  };
}

/**
 * Queues one invocation of `functionName` (a name or ARN) with `payload` as its JSON event. Lambda's errors keep
 * their names (ResourceNotFoundException, TooManyRequestsException…); a throttled or 5xx answer is retried.
 */
export async function invokeAsync(
  lambda: LambdaInvoker,
  functionName: string,
  payload: unknown,
): Promise<void> {
  await lambda.send(
    invocation(lambda, functionName, { 'x-amz-invocation-type': 'Event' }, JSON.stringify(payload)),
  );
}

/** What a synchronous Invoke answered, as the SDK's InvokeCommandOutput has it. */
export interface InvokeOutput {
  StatusCode: number;
  /** `Unhandled` (or `Handled`) when the function failed; its error is then the Payload. */
  FunctionError?: string;
  /** The end of the function's log, base64-encoded, with LogType Tail. */
  LogResult?: string;
  /** The function's response (or its error), as bytes. */
  Payload: Uint8Array;
}

/**
 * Invokes `functionName` (a name, `name:qualifier` or ARN) and waits for its answer. `payload` is the event as
 * JSON text. Lambda's own errors keep their names, and a throttled or 5xx answer is retried as the SDK retries it;
 * `abortSignal` ends the wait with AbortError, never retried.
 */
export async function invokeSync(
  lambda: LambdaInvoker,
  request: { functionName: string; payload: string; logType?: 'Tail' | 'None' },
  options: { abortSignal?: AbortSignal } = {},
): Promise<InvokeOutput> {
  const response = await lambda.send(
    invocation(
      lambda,
      request.functionName,
      { 'x-amz-invocation-type': 'RequestResponse', 'x-amz-log-type': request.logType ?? 'None' },
      request.payload,
    ),
    options.abortSignal ? { abortSignal: options.abortSignal } : {},
  );
  const functionError = response.headers['x-amz-function-error'];
  const logResult = response.headers['x-amz-log-result'];
  return {
    StatusCode: response.statusCode,
    ...(functionError ? { FunctionError: functionError } : {}),
    ...(logResult ? { LogResult: logResult } : {}),
    Payload: response.body,
  };
}
