/**
 * The one wrapper every Lambda entry point goes through (`export const handler = lambdaHandler(handle)`), so that
 * what reaches the state machine is always a name its Retry and Catch know:
 * - a throttled, 5xx or timed-out AWS call that the SDK's own retries did not get through, whatever its SDK name
 *   (ThrottlingException, ProvisionedThroughputExceededException, TimeoutError, ECONNRESET…), becomes
 *   TransientAwsError, which every Task state retries with backoff;
 * - every message is bounded (json.ts `bounded`), so a bad input of hundreds of KB makes one short error;
 * - every line the invocation logs carries its deployment's keys (log.ts), and what it throws is logged once, with
 *   those keys, before it leaves.
 * Step Functions reports a Lambda function's error by its name (the runtime's errorType) and matches it in
 * ErrorEquals: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
import { describeError, isTransient, SwitchyardError, TransientAwsError } from './errors';
import { bounded } from './json';
import { logFailure, startInvocation } from './log';

/** The longest error message a handler reports (Step Functions keeps at most 32 KB of an error's cause). */
export const MAX_ERROR_MESSAGE = 4096;

/** Wraps a Lambda handler: transient AWS errors leave it as TransientAwsError, and every message is bounded. */
export function lambdaHandler<E, R, C = unknown>(
  handle: (event: E, context?: C) => Promise<R>,
): (event: E, context?: C) => Promise<R> {
  return async (event, context) => {
    startInvocation(event, context);
    try {
      return await handle(event, context);
    } catch (error) {
      const reported = forStateMachine(error);
      logFailure(reported);
      throw reported;
    }
  };
}

/** The error the machine gets for `error`: a TransientAwsError for a transient AWS failure, else itself, bounded. */
export function forStateMachine(error: unknown): unknown {
  // Our own errors already carry a name the machine matches (a TransientAwsError among them).
  if (!(error instanceof SwitchyardError) && isTransient(error)) {
    return new TransientAwsError(
      bounded(`an AWS call still failed after the SDK's retries: ${describeError(error)}`, MAX_ERROR_MESSAGE),
      { cause: error },
    );
  }
  if (error instanceof Error && error.message.length > MAX_ERROR_MESSAGE) {
    const head = `${error.name}: ${error.message}`;
    error.message = bounded(error.message, MAX_ERROR_MESSAGE);
    // Lambda reports the stack too (errorMessage and trace), and its first line repeats the whole message.
    if (error.stack?.startsWith(head))
      error.stack = `${error.name}: ${error.message}${error.stack.slice(head.length)}`;
  }
  return error;
}
