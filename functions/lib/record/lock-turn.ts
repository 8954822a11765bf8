/**
 * Whose turn it is at the service's lock, decided from what AcquireLock read (the holder, the waiting
 * deployments, the live push and the pushes still on their way) with the push order of commit-order.ts. Pure: the
 * reads and writes are lock.ts's.
 */
import { compareTurns, isOlderPush, isPush, type Ordered, withPushChains } from './commit-order';
import type { PushHistory } from './push-history';

/** How deployments waiting for one service take turns (the stack's ExecutionMode). */
export type ExecutionMode = 'SUPERSEDED' | 'QUEUED';

/** The decision: end as superseded, wait (behind whom, if not only the holder), or take the free lock. */
export type Turn =
  | { kind: 'superseded'; by: Ordered; reason: string }
  | { kind: 'wait'; behind?: Ordered; reason?: string }
  | { kind: 'go' };

/** What the decision is made from. */
export interface TurnInput {
  mine: Ordered;
  mode: ExecutionMode;
  holder?: Ordered;
  /** The other deployments in the queue, still polling. */
  waiters: Ordered[];
  history: PushHistory;
}

/**
 * Both modes: a push older than the live push or than the holder ends superseded (it would put an older commit
 * over a newer one). SUPERSEDED mode: a deployment later in turn than this one, waiting or holding, supersedes it.
 * QUEUED mode: the earliest in turn goes first, and a push also waits for earlier pushes still building.
 */
export function decideTurn(input: TurnInput): Turn {
  const { mode } = input;
  const known = [input.mine, input.holder, input.history.live, ...input.waiters, ...input.history.inFlight];
  const linked = withPushChains(known.filter((item): item is Ordered => item !== undefined));
  const find = (item: Ordered | undefined) =>
    item && linked.find((other) => other === item || sameAs(other, item));
  const mine = find(input.mine) as Ordered;
  const holder = find(input.holder);
  const live = find(input.history.live);
  const waiters = input.waiters.map((item) => find(item) as Ordered);
  const inFlight = input.history.inFlight.map((item) => find(item) as Ordered);
  if (live && isOlderPush(mine, live)) {
    return {
      kind: 'superseded',
      by: live,
      reason: `${describe(mine)} is older than the live ${describe(live)}`,
    };
  }
  if (holder && isOlderPush(mine, holder)) {
    return {
      kind: 'superseded',
      by: holder,
      reason: `${describe(mine)} is older than ${describe(holder)}, which is deploying`,
    };
  }
  if (mode === 'SUPERSEDED') {
    const later = [...waiters, ...(holder ? [holder] : [])].filter((other) => compareTurns(mine, other) < 0);
    const newest = later.sort(compareTurns).at(-1);
    if (newest) {
      return {
        kind: 'superseded',
        by: newest,
        reason: `${describe(newest)} came after ${describe(mine)} (ExecutionMode SUPERSEDED)`,
      };
    }
    return holder ? { kind: 'wait' } : { kind: 'go' };
  }
  const before = waiters.filter((other) => compareTurns(other, mine) < 0).sort(compareTurns)[0];
  if (before) return { kind: 'wait', behind: before, reason: `${describe(before)} goes first` };
  if (isPush(mine)) {
    const atLock = new Set([holder?.deploymentId, ...waiters.map((w) => w.deploymentId)]);
    const building = inFlight
      .filter((other) => !atLock.has(other.deploymentId) && !(live && isOlderPush(other, live)))
      .filter((other) => isOlderPush(other, mine))
      .sort(compareTurns)[0];
    if (building) {
      return {
        kind: 'wait',
        behind: building,
        reason: `${describe(building)} goes first; it is still on its way to the lock`,
      };
    }
  }
  return holder ? { kind: 'wait' } : { kind: 'go' };
}

function sameAs(a: Ordered, b: Ordered): boolean {
  return a.deploymentId === b.deploymentId && a.commitId === b.commitId;
}

function describe(item: Ordered): string {
  const what = isPush(item)
    ? `the push of commit ${item.commitId.slice(0, 12)} (${item.pushOrder.pushedAt})`
    : `commit ${item.commitId.slice(0, 12)}`;
  return `${what} by deployment ${item.deploymentId}`;
}
