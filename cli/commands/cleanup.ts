import { DescribeStackResourceCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { statusChangeEvent } from '../../functions/lib/clean-up/status-change';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { describeExecutionFromCli } from '../stack/describe-execution';
import { resolveTarget, stackClients, TARGET_OPTIONS, TARGET_USAGE } from '../stack/target';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

const EXECUTION_ARN = /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:execution:[\w-]+:[\w-]+$/;
const EXECUTION_NAME = /^[\w-]{1,80}$/;

/** `switchyard cleanup --resume`: runs CleanUp again for an execution whose CleanUp was lost. */
export const cleanup: Command = {
  summary: 'run CleanUp again for a stopped, timed-out or failed execution (--resume)',
  usage: `switchyard cleanup --resume EXECUTION_ARN|DEPLOYMENT_ID [--function NAME] (--stack NAME | --state-machine ARN)

CleanUp runs when EventBridge reports an execution of the pipeline ABORTED, TIMED_OUT or FAILED; Lambda retries a
failed run twice, then keeps its event in the stack's CleanUpFailureQueue (alarm CleanUpFailureAlarm). This command
runs it again: it reads the execution (DescribeExecution; a deployment id is the execution's name), builds the
status-change event EventBridge sent for it, and invokes CleanUpFunction with it, waiting for the answer. CleanUp
is idempotent: it rolls back what the execution left, closes its record and claim, and releases the service's
lock. It waits until MAX_TASK_SECONDS after the stop first, so a run soon after the stop may take minutes.

  --resume EXECUTION_ARN|ID   the execution (or the deployment id, with --stack or --state-machine)
  --function NAME             CleanUpFunction's name or ARN (default: read from --stack)
${TARGET_USAGE}

Example (the execution CleanUpFailureAlarm named):
  switchyard cleanup --stack switchyard --resume arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:push-7f3c2a9e`,
  run: async (args) => {
    const { values, positionals } = parseFlags('cleanup', {
      args,
      options: { ...TARGET_OPTIONS, resume: { type: 'string' }, function: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    });
    const named = values.resume;
    if (!named || positionals.length > 0) {
      throw new InvalidInputError(
        `${positionals.length > 0 ? `unexpected argument(s) ${positionals.join(' ')}: ` : ''}` +
          'give the execution: switchyard cleanup --resume EXECUTION_ARN|DEPLOYMENT_ID',
      );
    }
    if (!EXECUTION_ARN.test(named) && !EXECUTION_NAME.test(named)) {
      throw new InvalidInputError(
        `--resume ${named}: expected an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>) ` +
          'or a deployment id (the execution name, as switchyard status and history show it)',
      );
    }
    const clients = stackClients();
    const executionArn = EXECUTION_ARN.test(named)
      ? named
      : `${(await resolveTarget(values, ['stateMachineArn'] as const, clients.cloudformation)).stateMachineArn.replace(':stateMachine:', ':execution:')}:${named}`;
    const functionName = values.function ?? (await cleanUpFunctionOf(values.stack, clients));

    const execution = await describeExecutionFromCli(clients.sfn, executionArn);
    if (!execution) {
      throw new InvalidInputError(
        `execution ${executionArn} does not exist (or its history expired after 90 days): check --resume and the region`,
      );
    }
    const event = statusChangeEvent(execution, 'switchyard-cleanup-resume');
    process.stdout.write(
      `running CleanUp (${functionName}) for ${execution.name}: ${execution.status} at ` +
        `${execution.stopDate?.toISOString() ?? 'an unknown time'} …\n`,
    );
    const lambda = new LambdaClient({});
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
    const answer = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      process.stderr.write(`CleanUp failed (${out.FunctionError}): ${answer}\n`);
      return 1;
    }
    process.stdout.write(`${answer}\n`);
    return 0;
  },
};

/** CleanUpFunction's physical name in the stack. */
async function cleanUpFunctionOf(
  stack: string | undefined,
  clients: ReturnType<typeof stackClients>,
): Promise<string> {
  if (!stack)
    throw new InvalidInputError('--stack NAME or --function NAME is required: which CleanUp function to run');
  const out = await clients.cloudformation.send(
    new DescribeStackResourceCommand({ StackName: stack, LogicalResourceId: 'CleanUpFunction' }),
  );
  const name = out.StackResourceDetail?.PhysicalResourceId;
  if (!name)
    throw new InvalidInputError(`stack "${stack}" has no CleanUpFunction: is it a Switchyard stack?`);
  return name;
}
