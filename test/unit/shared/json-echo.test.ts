/**
 * Values echoed in error messages are bounded (functions/lib/shared/json.ts `echo`, `bounded`): a 300 KB execution
 * input makes one short InvalidInputError that still shows the start of what was sent and how big it was.
 */

import { bounded, ECHO_LIMIT, echo } from '../../../functions/lib/shared/json';
import { parseTrigger } from '../../../functions/lib/source/prepare';
import { parseRedeploy } from '../../../functions/lib/source/redeploy';

const PIPELINE = { repository: 'switchyard-sample-app', branch: 'main' };

describe('echo and bounded', () => {
  it('leaves a short value as its JSON', () => {
    expect(echo({ commitId: 'abc' })).toBe('{"commitId":"abc"}');
    expect(echo('x'.repeat(ECHO_LIMIT - 2))).toHaveLength(ECHO_LIMIT);
  });

  it('cuts a long value to the limit and says how many bytes it had', () => {
    const value = { blob: 'x'.repeat(300_000) };
    const text = echo(value);

    expect(text.startsWith('{"blob":"xxx')).toBe(true);
    expect(text.endsWith(`… (${JSON.stringify(value).length} bytes)`)).toBe(true);
    expect(text.length).toBeLessThan(ECHO_LIMIT + 30);
  });

  it('counts UTF-8 bytes and never leaves half a surrogate pair', () => {
    const text = bounded(`a${'😀'.repeat(10)}`, 4);

    // "a", one emoji (two UTF-16 units), and the next emoji's first half dropped.
    expect(text).toBe(`a😀… (${1 + 10 * 4} bytes)`);
  });

  it('shows what JSON cannot: undefined, a cycle', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;

    expect(echo(undefined)).toBe('undefined');
    expect(echo(cycle)).toBe('[object Object]');
  });
});

describe('a bad execution input of 300 KB', () => {
  it('is refused before any side effect by one bounded error naming the field', () => {
    const huge = 'f'.repeat(300 * 1024);

    const attempts: (() => unknown)[] = [
      () => parseTrigger(huge, PIPELINE),
      () => parseTrigger([huge], PIPELINE),
      () => parseTrigger({ commitId: huge }, PIPELINE),
      () => parseTrigger({ source: huge, 'detail-type': 'x', detail: {} }, PIPELINE),
      () => parseRedeploy({ taskDefinitionArn: huge }),
    ];
    for (const attempt of attempts) {
      let message = '';
      try {
        attempt();
      } catch (error) {
        expect((error as Error).name).toBe('InvalidInputError');
        message = (error as Error).message;
      }
      expect(message).toMatch(/… \(\d+ bytes\)/);
      expect(message.length).toBeLessThan(2 * ECHO_LIMIT);
    }
  });
});
