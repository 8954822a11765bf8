import { parseStatusChange, statusChangeEvent } from '../../../functions/lib/clean-up/status-change';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';

describe('the status-change event', () => {
  const execution = {
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:switchyard-pipeline:abc',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:switchyard-pipeline',
    name: 'abc',
    status: 'TIMED_OUT',
    startDate: new Date('2026-12-05T08:00:00Z'),
    stopDate: new Date('2026-12-05T09:00:00Z'),
  };

  it('reads events/clean-up.json', () => {
    expect(parseStatusChange(loadEvent('clean-up'))).toEqual({
      name: 'sample-exec',
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:sample-exec',
      status: 'ABORTED',
      startDate: 1795694400000,
      stopDate: 1795694580000,
    });
  });

  it('is rebuilt from DescribeExecution as EventBridge sends it, and reads back the same', () => {
    const event = statusChangeEvent(execution, 'test');
    expect(event).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      region: 'eu-west-1',
      account: '123456789012',
      resources: [execution.executionArn],
    });
    expect(parseStatusChange(event)).toEqual({
      name: 'abc',
      executionArn: execution.executionArn,
      status: 'TIMED_OUT',
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate.getTime(),
    });
  });

  it('refuses to rebuild one for an execution that still runs or succeeded, saying what to do', () => {
    expect(() => statusChangeEvent({ ...execution, status: 'RUNNING' }, 'test')).toThrow(/stop it first/);
    expect(() => statusChangeEvent({ ...execution, status: 'SUCCEEDED' }, 'test')).toThrow(InvalidInputError);
  });

  it.each([
    ['another source', { source: 'aws.codecommit', detail: { name: 'a', startDate: 1, status: 'ABORTED' } }],
    [
      'a SUCCEEDED status',
      { source: 'aws.states', detail: { name: 'a', startDate: 1, status: 'SUCCEEDED' } },
    ],
    ['no start date', { source: 'aws.states', detail: { name: 'a', status: 'ABORTED' } }],
  ])('refuses %s, pointing at the sample event', (_what, event) => {
    expect(() => parseStatusChange(event)).toThrow(/events\/clean-up\.json/);
  });
});
