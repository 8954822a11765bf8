/**
 * The order of a branch's pushes, which decides which commit may deploy after which ("newest commit wins"). A
 * push's place is fixed by Prepare (`pushOrder` on the deployment, its record, its queue and lock items) from the
 * push event and git ancestry, never from when its execution started or its build ended:
 * - git first: a commit that is an ancestor of another was pushed before it, even if it is pushed again later;
 * - then the push event's `time` (EventBridge sets it when CodeCommit reports the push, second precision);
 * - then, for two pushes in one second, the event's `oldCommitId`: a push that moved the branch from commit X
 *   came after the push of X.
 * Manual and rollback deployments have no push order: they are exempt (an operator may deploy any commit) and
 * take their turn in the queue by their start time.
 */
import { InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';
import type { Deployment } from './deployments';

/** Where a push stands among the branch's other pushes (Prepare sets it; AcquireLock compares it). */
export interface PushOrder {
  /** The push event's `time` (ISO 8601, second precision). */
  pushedAt: string;
  /** The branch's commit before this push (`detail.oldCommitId`), absent when the push created the branch. */
  previousCommitId?: string;
  /** Commits of other pushes (live or deploying when Prepare ran) that this commit descends from. */
  newerThan: string[];
  /** Commits of other pushes that this commit is an ancestor of: an old commit pushed again. */
  olderThan: string[];
}

/** A deployment as it travels after Prepare: a push carries its place in the push order. */
export type OrderedDeployment = Deployment & { pushOrder?: PushOrder };

/** What the order needs of a deployment, a queue item, the lock holder or a history record. */
export interface Ordered {
  deploymentId: string;
  commitId: string;
  startedAt: string;
  pushOrder?: PushOrder;
}

/** What a deployment's record says about ordering when it is exempt from it. */
export const EXEMPT_NOTE =
  'manual deployment: exempt from the push order (it may deploy a commit older than the live one, and a later push is not held back by it)';

const COMMIT_ID = /^[0-9a-f]{40}$/;

/** Checks the `pushOrder` of `$.deployment` (undefined is fine: an exempt deployment); names the bad field. */
export function checkPushOrder(value: unknown): PushOrder | undefined {
  if (value === undefined || value === null) return undefined;
  const where = '$.deployment.pushOrder';
  const fail = (what: string) => {
    throw new InvalidInputError(
      `${where}${what}; expected {"pushedAt": "<ISO time>", "previousCommitId"?: "<commit>", "newerThan": [...], "olderThan": [...]} as Prepare sets it (functions/lib/record/commit-order.ts)`,
    );
  };
  if (typeof value !== 'object' || Array.isArray(value)) return fail(` is ${echo(value)}`);
  const order = value as Record<string, unknown>;
  if (typeof order.pushedAt !== 'string' || Number.isNaN(Date.parse(order.pushedAt))) {
    return fail(`.pushedAt is ${echo(order.pushedAt)}, not a time`);
  }
  if (order.previousCommitId !== undefined && typeof order.previousCommitId !== 'string') {
    return fail(`.previousCommitId is ${echo(order.previousCommitId)}`);
  }
  for (const field of ['newerThan', 'olderThan'] as const) {
    const list = order[field];
    if (!Array.isArray(list) || list.some((id) => typeof id !== 'string' || !COMMIT_ID.test(id))) {
      return fail(`.${field} is ${echo(list)}, not a list of commit ids`);
    }
  }
  return value as PushOrder;
}

/**
 * Compares two pushes: negative when `a` was pushed before `b`, positive after, 0 for the same commit. Ancestry
 * known to either side wins over the times, the times over the `oldCommitId` link; the deployment ids settle
 * what nothing else does, so that every AcquireLock of the service sees the same order.
 */
export function comparePushes(
  a: Ordered & { pushOrder: PushOrder },
  b: Ordered & { pushOrder: PushOrder },
): number {
  if (a.commitId === b.commitId) return 0;
  if (b.pushOrder.newerThan.includes(a.commitId) || a.pushOrder.olderThan.includes(b.commitId)) return -1;
  if (a.pushOrder.newerThan.includes(b.commitId) || b.pushOrder.olderThan.includes(a.commitId)) return 1;
  const byTime = Date.parse(a.pushOrder.pushedAt) - Date.parse(b.pushOrder.pushedAt);
  if (byTime !== 0) return byTime;
  if (b.pushOrder.previousCommitId === a.commitId) return -1;
  if (a.pushOrder.previousCommitId === b.commitId) return 1;
  return byStart(a, b);
}

/** True when both are pushes and `a`'s commit was pushed before `b`'s (so `a` must not deploy after `b`). */
export function isOlderPush(a: Ordered, b: Ordered): boolean {
  return isPush(a) && isPush(b) && comparePushes(a, b) < 0;
}

/**
 * Whose turn comes first in the queue: negative when `a` goes before `b`. Two pushes go in push order; when
 * either is exempt, by when each entered the pipeline (the push's time, a manual deployment's start).
 */
export function compareTurns(a: Ordered, b: Ordered): number {
  if (isPush(a) && isPush(b)) return comparePushes(a, b);
  const byTime = entered(a) - entered(b);
  return byTime !== 0 ? byTime : byStart(a, b);
}

/**
 * The pushes with what their `oldCommitId` links say once read together: a push that moved the branch from X,
 * which had been pushed from Y, is newer than both, even when its Prepare ran before theirs and saw neither.
 */
export function withPushChains<T extends Ordered>(items: T[]): T[] {
  const byCommit = new Map(items.filter(isPush).map((item) => [item.commitId, item]));
  return items.map((item) => {
    if (!isPush(item)) return item;
    const chain = new Set(item.pushOrder.newerThan);
    let previous = item.pushOrder.previousCommitId;
    while (previous && !chain.has(previous) && previous !== item.commitId) {
      chain.add(previous);
      previous = byCommit.get(previous)?.pushOrder?.previousCommitId;
    }
    return { ...item, pushOrder: { ...item.pushOrder, newerThan: [...chain] } };
  });
}

/** Whether an item carries a push order (a push deployment prepared by this version). */
export function isPush(item: Ordered): item is Ordered & { pushOrder: PushOrder } {
  return item.pushOrder !== undefined && item.pushOrder !== null;
}

function entered(item: Ordered): number {
  return Date.parse(item.pushOrder?.pushedAt ?? item.startedAt);
}

function byStart(a: Ordered, b: Ordered): number {
  const byTime = Date.parse(a.startedAt) - Date.parse(b.startedAt);
  if (byTime !== 0) return byTime;
  return a.deploymentId < b.deploymentId ? -1 : a.deploymentId > b.deploymentId ? 1 : 0;
}
