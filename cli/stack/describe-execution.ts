/**
 * DescribeExecution from the command line (`switchyard cleanup --resume`), through the SDK client and so the
 * user's own credential chain (profiles, SSO), which functions/lib/reconcile/executions.ts's signed request
 * (Lambda's environment credentials) does not read. Undefined for an execution Step Functions does not know (never
 * was, or its history expired), as executions.ts answers:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DescribedExecution } from '../../functions/lib/clean-up/status-change';
import { asTransient } from '../../functions/lib/shared/errors';

/** The execution as DescribeExecution reports it; undefined when Step Functions does not know it. */
export async function describeExecutionFromCli(
  sfn: SFNClient,
  executionArn: string,
): Promise<DescribedExecution | undefined> {
  try {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return {
      executionArn: out.executionArn ?? executionArn,
      stateMachineArn: out.stateMachineArn ?? '',
      name: out.name ?? executionArn.split(':').pop() ?? '',
      status: out.status ?? 'UNKNOWN',
      startDate: out.startDate ?? new Date(0),
      ...(out.stopDate ? { stopDate: out.stopDate } : {}),
    };
  } catch (error) {
    if ((error as Error)?.name === 'ExecutionDoesNotExist') return undefined;
    throw asTransient(`DescribeExecution ${executionArn}`, error);
  }
}
