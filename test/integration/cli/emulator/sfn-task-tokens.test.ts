/**
 * The emulator's task tokens (cli/emulator/sfn_task_tokens.py): what a callback wait of the local runner reads
 * back, and the errors SendTaskSuccess / SendTaskFailure answer as Step Functions does.
 */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { closeTaskToken, readTaskToken, registerTaskToken } from '../../../../cli/emulator/task-tokens';
import { useMoto } from '../../../support/moto';

describe('task tokens in the emulator', () => {
  const moto = useMoto();
  const sfn = new SFNClient({});

  it('hands the runner the output of SendTaskSuccess, and the error of SendTaskFailure', async () => {
    await registerTaskToken(moto.endpoint, 'token-1');
    expect(await readTaskToken(moto.endpoint, 'token-1')).toMatchObject({ status: 'WAITING' });
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'token-1' }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token-1', output: '{"status":"WOKEN"}' }));
    expect(await readTaskToken(moto.endpoint, 'token-1')).toMatchObject({
      status: 'SUCCEEDED',
      output: '{"status":"WOKEN"}',
    });

    await registerTaskToken(moto.endpoint, 'token-2');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: 'token-2', error: 'AlarmError', cause: 'web-5xx' }),
    );
    expect(await readTaskToken(moto.endpoint, 'token-2')).toMatchObject({
      status: 'FAILED',
      error: 'AlarmError',
      cause: 'web-5xx',
    });
  });

  it('answers TaskDoesNotExist for a token never issued, TaskTimedOut once its task ended, InvalidOutput for non-JSON', async () => {
    const success = (taskToken: string, output = '{}') =>
      sfn.send(new SendTaskSuccessCommand({ taskToken, output }));
    await expect(success('never-issued')).rejects.toMatchObject({ name: 'TaskDoesNotExist' });

    await registerTaskToken(moto.endpoint, 'token-3');
    await closeTaskToken(moto.endpoint, 'token-3');
    await expect(success('token-3')).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect(await readTaskToken(moto.endpoint, 'token-3')).toMatchObject({ status: 'TIMED_OUT' });

    await registerTaskToken(moto.endpoint, 'token-4');
    await success('token-4');
    await expect(success('token-4')).rejects.toMatchObject({ name: 'TaskTimedOut' });

    await registerTaskToken(moto.endpoint, 'token-5');
    await expect(success('token-5', 'not json')).rejects.toMatchObject({ name: 'InvalidOutput' });
  });

  it('forgets every token on reset', async () => {
    await registerTaskToken(moto.endpoint, 'token-6');
    await moto.reset();
    await expect(readTaskToken(moto.endpoint, 'token-6')).rejects.toThrow(/never registered/);
  });
});
