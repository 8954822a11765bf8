/**
 * Re-drives CleanUp: an asynchronous invocation with the status-change event, as EventBridge makes it, so the run
 * gets CleanUp's own retries and on-failure queue again
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 */
import type { ExecutionStatusChange } from '../clean-up/status-change';
import { asTransient } from '../shared/errors';
import { invokeAsync, type LambdaInvoker } from '../shared/lambda-invoke';

/** Queues one CleanUp run of `functionArn` with `event`. */
export async function invokeCleanUp(
  lambda: LambdaInvoker,
  functionArn: string,
  event: ExecutionStatusChange,
): Promise<void> {
  try {
    await invokeAsync(lambda, functionArn, event);
  } catch (error) {
    throw asTransient(`Invoke ${functionArn}`, error);
  }
}
