/**
 * Re-drives CleanUp: an asynchronous invocation with the status-change event, as EventBridge makes it, so the run
 * gets CleanUp's own retries and on-failure queue again
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ExecutionStatusChange } from '../clean-up/status-change';
import { asTransient } from '../shared/errors';

/** Queues one CleanUp run of `functionArn` with `event`. */
export async function invokeCleanUp(
  lambda: LambdaClient,
  functionArn: string,
  event: ExecutionStatusChange,
): Promise<void> {
  try {
    await lambda.send(
      new InvokeCommand({
        FunctionName: functionArn,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  } catch (error) {
    throw asTransient(`Invoke ${functionArn}`, error);
  }
}
