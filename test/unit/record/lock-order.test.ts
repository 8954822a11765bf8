import {
  checkPushOrder,
  comparePushes,
  compareTurns,
  isOlderPush,
  type Ordered,
  type PushOrder,
  withPushChains,
} from '../../../functions/lib/record/commit-order';
import { decideTurn, type TurnInput } from '../../../functions/lib/record/lock-turn';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

const commit = (n: number) => String(n).repeat(40).slice(0, 40);
const STARTED = '2026-11-26T12:10:00.000Z';

/** Push n of a branch: commit n, moved from commit n-1, at second `second`, started in push order unless told. */
function pushed(
  n: number,
  second = n,
  order: Partial<PushOrder> = {},
  startedAt = STARTED,
): Ordered & { pushOrder: PushOrder } {
  return {
    deploymentId: `push-${n}`,
    commitId: commit(n),
    startedAt,
    pushOrder: {
      pushedAt: `2026-11-26T12:00:${String(second).padStart(2, '0')}Z`,
      ...(n > 1 ? { previousCommitId: commit(n - 1) } : {}),
      newerThan: [],
      olderThan: [],
      ...order,
    },
  };
}

const manual = (id: string, startedAt: string, n = 9): Ordered => ({
  deploymentId: id,
  commitId: commit(n),
  startedAt,
});

const turn = (input: Partial<TurnInput> & { mine: Ordered }) =>
  decideTurn({ mode: 'QUEUED', waiters: [], history: { inFlight: [] }, ...input });

describe('the push order', () => {
  it('orders pushes by push time, not by when their executions started', () => {
    const first = pushed(1, 1, {}, '2026-11-26T12:30:00.000Z');
    const second = pushed(2, 2, {}, '2026-11-26T12:01:00.000Z');
    expect(comparePushes(first, second)).toBeLessThan(0);
    expect(isOlderPush(first, second)).toBe(true);
    expect(isOlderPush(second, first)).toBe(false);
  });

  it('lets git ancestry known to either side overrule the push times: an old commit pushed again is older', () => {
    const live = pushed(5, 5);
    const again = pushed(2, 30, { olderThan: [commit(5)] });
    expect(isOlderPush(again, live)).toBe(true);
    const seenFromTheNewer = pushed(5, 5, { newerThan: [commit(2)] });
    expect(isOlderPush(pushed(2, 30), seenFromTheNewer)).toBe(true);
  });

  it('orders two pushes of one second by the commit the later one moved the branch from', () => {
    expect(comparePushes(pushed(1, 0), pushed(2, 0))).toBeLessThan(0);
    expect(comparePushes(pushed(2, 0), pushed(1, 0))).toBeGreaterThan(0);
  });

  it('follows oldCommitId links through the pushes it knows, so that the first of a second precedes the third', () => {
    const [first, , third] = withPushChains([
      pushed(1, 0),
      pushed(2, 0),
      pushed(3, 0, {}, '2026-11-26T12:00:00.000Z'),
    ]);
    expect(third?.pushOrder?.newerThan).toEqual([commit(2), commit(1)]);
    expect(comparePushes(first as never, third as never)).toBeLessThan(0);
  });

  it('puts a manual deployment in turn by its start, and never calls it an older push', () => {
    const early = manual('manual', '2026-11-26T12:00:01.500Z');
    expect(compareTurns(pushed(1, 1), early)).toBeLessThan(0);
    expect(compareTurns(early, pushed(2, 2))).toBeLessThan(0);
    expect(isOlderPush(early, pushed(5, 5))).toBe(false);
  });

  it.each([
    ['not an object', 'x', /\$\.deployment\.pushOrder is "x"/],
    [
      'a bad time',
      { pushedAt: 'yesterday', newerThan: [], olderThan: [] },
      /pushOrder\.pushedAt is "yesterday"/,
    ],
    [
      'a bad ancestry list',
      { pushedAt: STARTED, newerThan: ['abc'], olderThan: [] },
      /pushOrder\.newerThan is \["abc"\]/,
    ],
  ])('refuses a pushOrder that is %s, naming the field', (_name, value, message) => {
    expect(() => checkPushOrder(value)).toThrow(InvalidInputError);
    expect(() => checkPushOrder(value)).toThrow(message);
  });

  it('accepts no pushOrder at all (a manual deployment)', () => {
    expect(checkPushOrder(undefined)).toBeUndefined();
  });
});

describe('whose turn it is at the lock', () => {
  it('supersedes a push older than the live push, in both modes, naming the live one', () => {
    for (const mode of ['QUEUED', 'SUPERSEDED'] as const) {
      const decision = turn({ mine: pushed(3), mode, history: { live: pushed(5), inFlight: [] } });
      expect(decision).toMatchObject({ kind: 'superseded', by: { deploymentId: 'push-5' } });
      expect(decision.kind === 'superseded' && decision.reason).toMatch(/older than the live .*push-5/);
    }
  });

  it('supersedes a push older than the holder in QUEUED mode too', () => {
    expect(turn({ mine: pushed(3), holder: pushed(4) })).toMatchObject({
      kind: 'superseded',
      by: { deploymentId: 'push-4' },
    });
  });

  it('lets a manual deployment of an old commit go, live push or not', () => {
    expect(turn({ mine: manual('m', STARTED, 1), history: { live: pushed(5), inFlight: [] } })).toEqual({
      kind: 'go',
    });
  });

  it('QUEUED: waits behind the earliest push in the queue, whatever the start order', () => {
    const decision = turn({
      mine: pushed(4, 4, {}, '2026-11-26T12:00:00.000Z'),
      waiters: [pushed(3), pushed(2)],
    });
    expect(decision).toMatchObject({ kind: 'wait', behind: { deploymentId: 'push-2' } });
  });

  it('QUEUED: waits for an older push still building, but not for one older than the live push', () => {
    const building = { live: pushed(1), inFlight: [pushed(2)] };
    expect(turn({ mine: pushed(3), history: building })).toMatchObject({
      kind: 'wait',
      behind: { deploymentId: 'push-2' },
      reason: expect.stringContaining('still on its way'),
    });
    expect(turn({ mine: pushed(3), history: { live: pushed(2), inFlight: [pushed(1)] } })).toEqual({
      kind: 'go',
    });
  });

  it('SUPERSEDED: the newest waiting push supersedes older ones and does not wait for them', () => {
    const waiters = [pushed(2), pushed(4)];
    expect(turn({ mode: 'SUPERSEDED', mine: pushed(3), waiters })).toMatchObject({
      kind: 'superseded',
      by: { deploymentId: 'push-4' },
    });
    expect(
      turn({ mode: 'SUPERSEDED', mine: pushed(5), waiters, history: { inFlight: [pushed(1)] } }),
    ).toEqual({
      kind: 'go',
    });
  });

  it('waits for the holder when nothing else decides', () => {
    expect(turn({ mine: pushed(5), holder: pushed(4) })).toEqual({ kind: 'wait' });
  });
});
