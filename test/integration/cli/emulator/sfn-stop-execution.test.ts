/**
 * StopExecution's error and cause in the emulator (cli/emulator/sfn_stop_execution.py): DescribeExecution of a
 * stopped execution returns them, as Step Functions does; absent when the stop gave none; the first stop's kept; a
 * value over the API's limit refused before anything changes.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { useMoto } from '../../../support/moto';

describe("the emulator's StopExecution", () => {
  useMoto();
  const sfn = new SFNClient({});
  afterAll(() => sfn.destroy());

  async function started(name: string): Promise<string> {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: `machine-${name}`,
        roleArn: 'arn:aws:iam::123456789012:role/pipeline',
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
      }),
    );
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name }));
    return executionArn as string;
  }
  const describe_ = (executionArn: string) => sfn.send(new DescribeExecutionCommand({ executionArn }));

  it('keeps the error and cause of the stop for DescribeExecution, and the first stop only', async () => {
    const executionArn = await started('stopped');

    const stop = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'OperatorStop', cause: 'wrong commit, see #42' }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Later', cause: 'a second stop' }));

    const described = await describe_(executionArn);
    expect(described).toMatchObject({
      status: 'ABORTED',
      error: 'OperatorStop',
      cause: 'wrong commit, see #42',
    });
    expect(stop.stopDate).toBeInstanceOf(Date);
  });

  it('returns neither when the stop gave none', async () => {
    const executionArn = await started('plain');

    await sfn.send(new StopExecutionCommand({ executionArn }));

    const described = await describe_(executionArn);
    expect(described.status).toBe('ABORTED');
    expect(described).not.toHaveProperty('error');
    expect(described).not.toHaveProperty('cause');
  });

  it('refuses a cause over 32,768 characters with ValidationException, leaving the execution RUNNING', async () => {
    const executionArn = await started('too-long');

    await expect(
      sfn.send(new StopExecutionCommand({ executionArn, cause: 'x'.repeat(32_769) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });

    expect((await describe_(executionArn)).status).toBe('RUNNING');
  });
});
