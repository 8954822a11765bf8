import { describeRequest, operatorRequest } from '../../../functions/lib/record/operator-requests';

describe('operator requests', () => {
  it('reads the flag as the CLI writes it, or as a bare true or timestamp', () => {
    expect(operatorRequest(undefined)).toBeUndefined();
    expect(operatorRequest(false)).toBeUndefined();
    expect(operatorRequest(null)).toBeUndefined();
    expect(operatorRequest('')).toBeUndefined();
    expect(operatorRequest(true)).toEqual({});
    expect(operatorRequest('2026-11-26T12:11:00Z')).toEqual({ at: '2026-11-26T12:11:00Z' });
    expect(operatorRequest({ by: 'alice', at: '2026-11-26T12:11:00Z', reason: 'p99 up', extra: 1 })).toEqual({
      by: 'alice',
      at: '2026-11-26T12:11:00Z',
      reason: 'p99 up',
    });
  });

  it('describes who and when when the flag says', () => {
    expect(describeRequest({})).toBe('');
    expect(describeRequest({ by: 'alice', at: '2026-11-26T12:11:00Z', reason: 'p99 up' })).toBe(
      ' by alice at 2026-11-26T12:11:00Z: p99 up',
    );
  });
});
