/**
 * An emulator crash (an exception inside moto) is answered as an `EmulatorFailure` that names the emulated call,
 * in the protocol of the service, once: never an HTML 500 that the SDK fails to parse, retries, and the pipeline
 * reads as a transient AWS error.
 */
import { CloudWatchClient, PutCompositeAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CodeCommitClient, ListBranchesCommand } from '@aws-sdk/client-codecommit';
import { asTransient, TransientAwsError } from '../../../../functions/lib/shared/errors';
import { useMoto } from '../../../support/moto';

interface SdkError extends Error {
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

async function failureOf(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('the call succeeded; this test needs a call the emulator cannot serve');
}

describe('the emulator: its own failures', () => {
  useMoto();

  it('answers a crash in a query-protocol service as EmulatorFailure naming the call, not retried', async () => {
    // moto 5.2.1 does not implement PutCompositeAlarm: it raises NotImplementedError.
    const error = await failureOf(
      new CloudWatchClient({}).send(new PutCompositeAlarmCommand({ AlarmName: 'c', AlarmRule: 'ALARM(a)' })),
    );
    expect(error.name).toBe('EmulatorFailure');
    expect(error.message).toContain(
      'the emulator failed on cloudwatch PutCompositeAlarm: NotImplementedError',
    );
    expect(error.message).toContain('not an AWS error');
    expect(error.$metadata?.attempts).toBe(1);
    expect(asTransient('PutCompositeAlarm', error)).toBe(error);
  });

  it('answers a crash in a JSON-protocol service the same way, and the pipeline does not call it transient', async () => {
    const error = await failureOf(
      new CodeCommitClient({}).send(new ListBranchesCommand({ repositoryName: 'r' })),
    );
    expect(error.name).toBe('EmulatorFailure');
    expect(error.message).toMatch(/the emulator failed on codecommit ListBranches: \w+/);
    expect(error.$metadata?.attempts).toBe(1);
    expect(asTransient('ListBranches', error)).not.toBeInstanceOf(TransientAwsError);
  });
});
