/**
 * `switchyard cleanup --resume`: the execution read back, the status-change event EventBridge sent rebuilt from it,
 * CleanUp invoked with it; refusals before any call. AWS answers through aws-sdk-client-mock (the emulator runs no
 * Lambda function of ours).
 */
import {
  CloudFormationClient,
  DescribeStackResourceCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { cleanup } from '../../../../cli/commands/cleanup';
import { parseStatusChange } from '../../../../functions/lib/clean-up/status-change';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-pipeline';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:push-1';
const sfn = mockClient(SFNClient);
const lambda = mockClient(LambdaClient);
const cloudformation = mockClient(CloudFormationClient);
let printed: string[];

beforeEach(() => {
  sfn.reset();
  lambda.reset();
  cloudformation.reset();
  printed = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
    printed.push(String(text));
    return true;
  });
  jest.spyOn(process.stderr, 'write').mockImplementation((text) => {
    printed.push(String(text));
    return true;
  });
  sfn.on(DescribeExecutionCommand).resolves({
    executionArn: EXECUTION,
    stateMachineArn: MACHINE,
    name: 'push-1',
    status: 'ABORTED',
    startDate: new Date('2026-12-05T08:00:00Z'),
    stopDate: new Date('2026-12-05T08:05:00Z'),
  });
  lambda.on(InvokeCommand).resolves({
    StatusCode: 200,
    Payload: new TextEncoder().encode('{"action":"closed"}') as never,
  });
});
afterEach(() => jest.restoreAllMocks());

const sentEvent = () => {
  const [call] = lambda.commandCalls(InvokeCommand);
  return JSON.parse(new TextDecoder().decode(call?.args[0].input.Payload as Uint8Array));
};

describe('switchyard cleanup --resume', () => {
  it('runs CleanUp of the stack with the event EventBridge sent for the execution of a deployment id', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'sy',
          StackStatus: 'CREATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [{ OutputKey: 'StateMachineArn', OutputValue: MACHINE }],
        },
      ],
    });
    cloudformation
      .on(DescribeStackResourceCommand)
      .resolves({ StackResourceDetail: { PhysicalResourceId: 'sy-CleanUpFunction-1' } as never });

    const code = await cleanup.run(['--resume', 'push-1', '--stack', 'sy']);

    expect(code).toBe(0);
    expect(sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
    const [invoke] = lambda.commandCalls(InvokeCommand);
    expect(invoke?.args[0].input).toMatchObject({
      FunctionName: 'sy-CleanUpFunction-1',
      InvocationType: 'RequestResponse',
    });
    expect(parseStatusChange(sentEvent())).toEqual({
      name: 'push-1',
      executionArn: EXECUTION,
      status: 'ABORTED',
      startDate: Date.parse('2026-12-05T08:00:00Z'),
      stopDate: Date.parse('2026-12-05T08:05:00Z'),
    });
    expect(printed.join('')).toContain('{"action":"closed"}');
  });

  it('takes an execution ARN and a function name without a stack', async () => {
    expect(await cleanup.run(['--resume', EXECUTION, '--function', 'clean-up'])).toBe(0);
    expect(cloudformation.calls()).toHaveLength(0);
    expect(sentEvent().detail.executionArn).toBe(EXECUTION);
  });

  it('exits 1 with CleanUp’s error when it fails again', async () => {
    lambda.on(InvokeCommand).resolves({
      FunctionError: 'Unhandled',
      Payload: new TextEncoder().encode('{"errorType":"CleanUpTooEarlyError"}') as never,
    });

    expect(await cleanup.run(['--resume', EXECUTION, '--function', 'clean-up'])).toBe(1);
    expect(printed.join('')).toContain('CleanUpTooEarlyError');
  });

  it('refuses an execution that still runs, saying to stop it, and invokes nothing', async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION,
      stateMachineArn: MACHINE,
      name: 'push-1',
      status: 'RUNNING',
      startDate: new Date(),
    });

    await expect(cleanup.run(['--resume', EXECUTION, '--function', 'clean-up'])).rejects.toThrow(
      /stop it first/,
    );
    expect(lambda.calls()).toHaveLength(0);
  });

  it.each([
    [['--function', 'clean-up'], /give the execution/],
    [['--resume', 'not an id', '--function', 'clean-up'], /expected an execution ARN/],
    [['--resume', EXECUTION], /--stack NAME or --function NAME/],
  ])('refuses %j before any call', async (args, message) => {
    const error = await cleanup.run(args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(message);
    expect([...sfn.calls(), ...lambda.calls()]).toHaveLength(0);
  });
});
