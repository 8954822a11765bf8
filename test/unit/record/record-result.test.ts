import { summarizeFailure } from '../../../functions/lib/record/record-result';

describe('summarizeFailure', () => {
  it.each([
    [
      'a Lambda error keeps the type and message and drops the trace',
      {
        Error: 'SourceError',
        Cause: JSON.stringify({
          errorType: 'SourceError',
          errorMessage: 'taskdef.json is missing',
          trace: ['at x'],
        }),
      },
      { name: 'SourceError', message: 'taskdef.json is missing' },
    ],
    [
      'a Lambda error without a type takes the state error name',
      { Error: 'Lambda.Unknown', Cause: JSON.stringify({ errorMessage: 'boom' }) },
      { name: 'Lambda.Unknown', message: 'boom' },
    ],
    [
      'a plain-text cause is the message',
      { Error: 'States.Timeout', Cause: 'Task timed out after 900 seconds' },
      { name: 'States.Timeout', message: 'Task timed out after 900 seconds' },
    ],
    ['no cause at all', { Error: 'States.Runtime' }, { name: 'States.Runtime', message: '' }],
    [
      'JSON that is not a Lambda error is kept as text',
      { Error: 'States.TaskFailed', Cause: '{"status":"Failed"}' },
      { name: 'States.TaskFailed', message: '{"status":"Failed"}' },
    ],
  ])('%s', (_name, caught, expected) => {
    expect(summarizeFailure(caught)).toEqual(expected);
  });
});
