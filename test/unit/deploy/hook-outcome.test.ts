import { hookOutcome, reportedStatuses } from '../../../functions/lib/deploy/hook-outcome';

const ID = 'switchyard-0123456789abcdef0123456789abcdef';
const statusLine = (status: unknown, id = ID) =>
  `SWITCHYARD_HOOK_STATUS ${JSON.stringify({ lifecycleEventHookExecutionId: id, status })}`;
const answered = (payload: string, logTail = '') => hookOutcome({ payload, logTail }, ID);

describe('reportedStatuses', () => {
  it('reads raw lines, Text-format console lines and JSON-format log records, for this id only', () => {
    const tail = [
      'START RequestId: r1 Version: $LATEST',
      statusLine('Succeeded'),
      `2026-12-04T10:00:00.000Z\tr1\tINFO\t${statusLine('Failed')}`,
      JSON.stringify({
        timestamp: '2026-12-04T10:00:00.000Z',
        level: 'INFO',
        message: statusLine('Succeeded'),
      }),
      statusLine('Failed', 'switchyard-ffffffffffffffffffffffffffffffff'),
      'SWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId": "switchyard-012345', // cut by the 4 KB tail
      'END RequestId: r1',
    ].join('\n');

    expect(reportedStatuses(tail, ID)).toEqual(['Succeeded', 'Failed', 'Succeeded']);
  });
});

describe('hookOutcome', () => {
  it('passes {"status": "Succeeded"} answered, or Succeeded reported, or both', () => {
    expect(answered('{"status":"Succeeded","url":"http://x/health"}')).toEqual({
      passed: true,
      by: 'answer',
    });
    expect(answered('null', statusLine('Succeeded'))).toEqual({ passed: true, by: 'status line' });
    expect(answered('"the validation result was reported"', statusLine('Succeeded'))).toEqual({
      passed: true,
      by: 'status line',
    });
    expect(answered('{"status":"Succeeded"}', statusLine('Succeeded'))).toMatchObject({ passed: true });
  });

  it.each([
    ['nothing', '', 'answered nothing'],
    ['null', 'null', 'answered null'],
    ['a string', '"done"', 'answered "done"'],
    ['an empty object', '{}', 'answered {}'],
    ['an array', '[{"status":"Succeeded"}]', 'answered [{"status":"Succeeded"}]'],
    ['text that is not JSON', 'ok', 'answered ok'],
    ['ECS native hook status', '{"hookStatus":"SUCCEEDED"}', 'answered {"hookStatus":"SUCCEEDED"}'],
  ])('fails %s with no status reported, saying so and how to pass', (_, payload, start) => {
    const outcome = answered(payload);
    expect(outcome).toEqual({ passed: false, reason: expect.stringMatching(/reported no status/) });
    const reason = outcome.passed ? '' : outcome.reason;
    expect(
      reason.startsWith(
        `${start} and reported no status; a hook passes only when it answers {"status": "Succeeded"}`,
      ),
    ).toBe(true);
    expect(reason).toMatch(
      /last 4 KB of the hook's log, all that Lambda returns: report the status last, or answer/,
    );
  });

  it('fails a status other than "Succeeded", with the message, reason or the answer itself', () => {
    expect(answered('{"status":"failed","message":"503"}')).toEqual({
      passed: false,
      reason: 'answered status "failed": 503',
    });
    expect(answered('{"status":"FAILED","reason":"p99 800 ms"}')).toEqual({
      passed: false,
      reason: 'answered status "FAILED": p99 800 ms',
    });
    expect(answered('{"status":"Failed","checks":3}')).toEqual({
      passed: false,
      reason: 'answered status "Failed" ({"status":"Failed","checks":3})',
    });
    expect(answered('{"status":null}')).toEqual({
      passed: false,
      reason: 'answered status null ({"status":null})',
    });
  });

  it('fails "Succeeded" in another case, as CodeDeploy refuses it, and says how it must be spelled', () => {
    expect(answered('{"status":"SUCCEEDED"}')).toEqual({
      passed: false,
      reason: 'answered status "SUCCEEDED" ({"status":"SUCCEEDED"}); only "Succeeded", spelled so, passes',
    });
    expect(answered('null', statusLine('succeeded'))).toEqual({
      passed: false,
      reason:
        'reported status "succeeded" through PutLifecycleEventHookExecutionStatus; only "Succeeded", spelled so, passes',
    });
  });

  it('fails when either way says anything but Succeeded, even if the other says Succeeded', () => {
    expect(answered('{"status":"Succeeded"}', statusLine('Failed'))).toEqual({
      passed: false,
      reason: 'reported status "Failed" through PutLifecycleEventHookExecutionStatus',
    });
    expect(answered('{"status":"Failed"}', statusLine('Succeeded'))).toMatchObject({ passed: false });
    expect(answered('null', `${statusLine('Succeeded')}\n${statusLine('Failed')}`)).toMatchObject({
      passed: false,
    });
  });

  it('ignores a Succeeded reported for another execution id', () => {
    expect(
      answered('null', statusLine('Succeeded', 'switchyard-ffffffffffffffffffffffffffffffff')),
    ).toMatchObject({
      passed: false,
      reason: expect.stringMatching(/^answered null and reported no status/),
    });
  });

  it('quotes at most 300 characters of a long answer', () => {
    const outcome = answered(JSON.stringify({ status: 'Failed', details: 'x'.repeat(1000) }));
    const reason = outcome.passed ? '' : outcome.reason;
    expect(reason).toMatch(
      /^answered status "Failed" \(\{"status":"Failed","details":"x+… \(1032 characters\)\)$/,
    );
    expect(reason.length).toBeLessThan(400);
  });

  it('fails a function error with its type and message, whatever it reported', () => {
    const error = '{"errorType":"TypeError","errorMessage":"boom","trace":[]}';
    expect(
      hookOutcome({ functionError: 'Unhandled', payload: error, logTail: statusLine('Succeeded') }, ID),
    ).toEqual({
      passed: false,
      reason: 'TypeError: boom',
    });
    expect(hookOutcome({ functionError: 'Unhandled', payload: 'garbled', logTail: '' }, ID)).toEqual({
      passed: false,
      reason: 'Unhandled: garbled',
    });
  });
});
