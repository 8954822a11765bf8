/**
 * An asynchronous Lambda invocation without @aws-sdk/client-lambda (whose schemas and errors are most of a bundle
 * that makes this one call): Invoke with InvocationType Event, signed and retried by signed-request.ts.
 * Lambda queues the event and answers 202; the function then runs with its own retries and on-failure destination.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
 */
import { API_CALLS, type ClientSettings } from './aws-clients';
import { type AwsSender, awsSender, dnsSuffix } from './signed-request';

/** The Lambda sender a handler creates once and passes to the invocations. */
export type LambdaInvoker = AwsSender;

/** The Lambda invoker of a handler. */
export function lambdaInvoker(settings: ClientSettings = API_CALLS): LambdaInvoker {
  return awsSender({ signingName: 'lambda', endpointId: 'LAMBDA' }, settings);
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
  await lambda.send({
    method: 'POST',
    hostname: `lambda.${lambda.region}.${dnsSuffix(lambda.region)}`,
    path: `/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
    headers: { 'x-amz-invocation-type': 'Event', 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
}
