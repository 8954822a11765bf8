import {
  CLEAN_UP_RESERVE_MS,
  CleanUpTooEarlyError,
  parseMaxTaskSeconds,
  waitForStoppedTasks,
} from '../../../functions/lib/clean-up/stop-wait';
import { ConfigurationError } from '../../../functions/lib/shared/errors';

describe('waitForStoppedTasks', () => {
  const stopMs = Date.parse('2026-12-05T08:00:00Z');
  const clock = (nowMs: number, remainingMs?: number) => {
    const slept: number[] = [];
    return {
      slept,
      clock: {
        maxTaskSeconds: 910,
        now: () => nowMs,
        sleep: async (ms: number) => {
          slept.push(ms);
        },
        ...(remainingMs === undefined ? {} : { remainingMs: () => remainingMs }),
      },
    };
  };

  it('does not wait once the stop is MAX_TASK_SECONDS old', async () => {
    const { slept, clock: c } = clock(stopMs + 910_000);
    await expect(waitForStoppedTasks(stopMs, c)).resolves.toBe(0);
    expect(slept).toEqual([]);
  });

  it('waits exactly until stop + MAX_TASK_SECONDS when that fits in the invocation', async () => {
    const { slept, clock: c } = clock(stopMs + 200_000, 900_000);
    await expect(waitForStoppedTasks(stopMs, c)).resolves.toBe(710_000);
    expect(slept).toEqual([710_000]);
  });

  it('fails at once, naming when it may go on, when the wait does not leave the reserve', async () => {
    const { slept, clock: c } = clock(stopMs + 1_000, 899_000);
    const error = await waitForStoppedTasks(stopMs, c).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CleanUpTooEarlyError);
    expect((error as Error).name).toBe('CleanUpTooEarlyError');
    expect((error as Error).message).toContain('2026-12-05T08:15:10.000Z');
    expect(slept).toEqual([]);
  });

  it('keeps CLEAN_UP_RESERVE_MS for the rollback after the wait', async () => {
    const wait = 100_000;
    const fits = clock(stopMs + 910_000 - wait, wait + CLEAN_UP_RESERVE_MS);
    await expect(waitForStoppedTasks(stopMs, fits.clock)).resolves.toBe(wait);
    const short = clock(stopMs + 910_000 - wait, wait + CLEAN_UP_RESERVE_MS - 1);
    await expect(waitForStoppedTasks(stopMs, short.clock)).rejects.toThrow(CleanUpTooEarlyError);
  });
});

describe('parseMaxTaskSeconds', () => {
  it('reads whole seconds', () => {
    expect(parseMaxTaskSeconds('910')).toBe(910);
    expect(parseMaxTaskSeconds('0')).toBe(0);
  });

  it.each([[undefined], [''], ['-1'], ['1.5'], ['ten']])(
    'refuses %j, naming the variable and where it is set',
    (value) => {
      expect(() => parseMaxTaskSeconds(value)).toThrow(ConfigurationError);
      expect(() => parseMaxTaskSeconds(value)).toThrow(/MAX_TASK_SECONDS .*template\.yaml/);
    },
  );
});
