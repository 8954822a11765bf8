/**
 * The reconciler's Step Functions adapter: start the pipeline for a missed push, once, and ask whether the
 * execution that holds a claim still runs.
 * - StartExecution is idempotent for a STANDARD workflow only while the execution of that name runs with the same
 *   input; a closed one, or another input, answers ExecutionAlreadyExists, and a name is not reused for 90 days
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): a deterministic name
 *   per commit starts it at most once however often the reconciler runs.
 * - DescribeExecution answers ExecutionDoesNotExist for an execution that never was or whose history expired
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html).
 * Both are JSON 1.0 calls through shared/aws-json.ts (`sfn` is `jsonClient(STEP_FUNCTIONS)`), so Reconcile bundles
 * no Step Functions client; the JSON protocol sends the dates as epoch seconds.
 */

import type { DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import type { DescribedExecution } from '../clean-up/status-change';
import { type AsJson, awsJson, epochDate, type JsonClient } from '../shared/aws-json';
import { asTransient } from '../shared/errors';

/** DescribeExecution's answer in JSON (dates in epoch seconds); a plain name, as test/support/sdk-calls-signed.ts reads calls. */
type DescribeExecutionAnswer = AsJson<DescribeExecutionOutput>;

/** The ARN an execution named `name` of the state machine has. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** Starts an execution named `name`; `started: false` when one of that name already exists (or existed). */
export async function startNamedExecution(
  sfn: JsonClient,
  request: { stateMachineArn: string; name: string; input: unknown },
): Promise<{ started: boolean; executionArn: string }> {
  const executionArn = executionArnOf(request.stateMachineArn, request.name);
  try {
    const out = await awsJson<{ executionArn?: string }>(sfn, 'states:StartExecution', {
      stateMachineArn: request.stateMachineArn,
      name: request.name,
      input: JSON.stringify(request.input),
    });
    return { started: true, executionArn: out.executionArn ?? executionArn };
  } catch (error) {
    if ((error as Error)?.name === 'ExecutionAlreadyExists') return { started: false, executionArn };
    throw asTransient(`StartExecution ${request.name}`, error);
  }
}

/** The execution as DescribeExecution reports it; undefined when Step Functions does not know it. */
export async function describeExecution(
  sfn: JsonClient,
  executionArn: string,
): Promise<DescribedExecution | undefined> {
  try {
    const out = await awsJson<DescribeExecutionAnswer>(sfn, 'states:DescribeExecution', {
      executionArn,
    });
    const stopDate = epochDate(out.stopDate);
    return {
      executionArn: out.executionArn ?? executionArn,
      stateMachineArn: out.stateMachineArn ?? '',
      name: out.name ?? executionArn.split(':').pop() ?? '',
      status: out.status ?? 'UNKNOWN',
      startDate: epochDate(out.startDate) ?? new Date(0),
      ...(stopDate ? { stopDate } : {}),
    };
  } catch (error) {
    if ((error as Error)?.name === 'ExecutionDoesNotExist') return undefined;
    throw asTransient(`DescribeExecution ${executionArn}`, error);
  }
}
