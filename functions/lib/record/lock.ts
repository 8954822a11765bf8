/**
 * The service lock and the queue of deployments waiting for it: executions never overlap on one service. One
 * deployment holds the lock; each waiting one has a queue item (the items and their reads and writes:
 * lock-table.ts). Turns follow the order in which the commits were pushed (commit-order.ts, decided in
 * lock-turn.ts): a push older than the live push or the holder ends as superseded, in both modes. SUPERSEDED
 * mode: the newest waiting deployment goes next and older waiting ones end as superseded. QUEUED mode: waiting
 * deployments go one by one in push order, and a push also waits for older pushes still building.
 *
 * A dead holder: the lock has no lease and never expires on its own, because a deployment may legitimately hold
 * it for hours (a manual pause) and nothing heartbeats while it does; breaking a live holder's lock would let two
 * executions change one service at once. It is released by RecordResult at every end the machine reaches and by
 * CleanUp when the execution is aborted or times out. Should both miss (CleanUp failing for longer than
 * EventBridge retries), waiters keep reporting the holder with its execution id; an operator who has checked that
 * execution deletes the item `{pk: "LOCK#<cluster>/<service>", sk: "LOCK"}` by hand.
 * Waiting costs O(1) history events (lock-wait.ts): a waiting deployment is a callback wait (WaitForLock) whose
 * token is on its queue item and record (lock-wait-arm.ts), woken at once by whatever may change its turn: a
 * release of the lock or of a queue place (releaseLock), a newer push that supersedes it (SUPERSEDED mode, here),
 * `switchyard abort`. It also asks again by itself, at a safety check that grows with the time waited (a minute
 * at first, a quarter of the time waited, at most a day), so a lost wake is only a delay.
 * A dead waiter: every AcquireLock and every arming moves its queue item's `expiresAt` past the next safety check;
 * an item not refreshed STALE_WAITER_SECONDS after that belongs to an execution that died without CleanUp, and
 * is ignored (then deleted by the table's TTL), so that it never blocks a QUEUED service for good.
 */
import { ConfigurationError, InvalidInputError } from '../shared/errors';
import { checkPushOrder, EXEMPT_NOTE, type Ordered, type OrderedDeployment } from './commit-order';
import type { Deployment } from './deployments';
import { rollbackFailedHolder } from './lock-rollback-failed';
import {
  deleteLock,
  deleteQueueItem,
  enqueue,
  getLock,
  isWaiting,
  type LockItem,
  type LockTable,
  putLock,
  type QueueItem,
  queueKey,
  readQueue,
  type ServiceRef,
} from './lock-table';
import { decideTurn, type ExecutionMode, type Turn } from './lock-turn';
import { LOCK_POLL_SECONDS, lockPollSeconds, waitedSince, wakeLockWaiters } from './lock-wait';
import { noteSuperseded, readPushHistory } from './push-history';

/** `$.lock`: AcquireLock's answer. WAITING loops through WaitForLock; SUPERSEDED ends the execution. */
export interface LockState {
  status: 'ACQUIRED' | 'WAITING' | 'SUPERSEDED';
  /**
   * Who holds the lock while this one waits, or which newer commit superseded it. `status` ROLLBACK_FAILED: the
   * holder's rollback failed and it keeps the lock until resumed; `fix` says how (rollback-failure.ts).
   */
  holder?: {
    deploymentId: string;
    commitId: string;
    since: string;
    status?: 'ROLLBACK_FAILED';
    fix?: string;
  };
  supersededBy?: { deploymentId: string; commitId: string };
  /** Why it was superseded or waits behind another waiting deployment; why it is exempt from the push order. */
  reason?: string;
  /** WaitForLock's safety check: the most seconds it waits for a wake before asking again (lock-wait.ts). */
  pollSeconds: number;
  waitingSince: string;
}

export type { ExecutionMode } from './lock-turn';
export { LOCK_POLL_SECONDS } from './lock-wait';

/** Reads the stack's EXECUTION_MODE; anything else is a configuration error. */
export function parseExecutionMode(value: string): ExecutionMode {
  if (value === 'SUPERSEDED' || value === 'QUEUED') return value;
  throw new ConfigurationError(
    `environment variable EXECUTION_MODE is "${value}"; expected SUPERSEDED or QUEUED (template.yaml parameter ExecutionMode)`,
  );
}

/**
 * Takes the service's lock for a deployment, or queues it. Idempotent: the holder asking again gets ACQUIRED,
 * a waiter asking again keeps its place and its `waitingSince`. The running holder is never interrupted.
 */
export async function acquireLock(
  table: LockTable,
  request: ServiceRef & { deployment: OrderedDeployment; mode: ExecutionMode; now?: Date },
): Promise<LockState> {
  const { deployment, mode } = request;
  checkRequest(deployment, request);
  checkPushOrder(deployment.pushOrder);
  const now = request.now ?? new Date();
  const ref = { cluster: request.cluster, service: request.service };
  const mine = queueKey(ref, deployment);

  const held = await getLock(table, ref);
  if (held?.deploymentId === deployment.id) {
    // A retry after the lock was taken but before the queue item went: remove it, or it would hold others back.
    await deleteQueueItem(table, mine);
    const since = held.waitingSince ?? held.since;
    return { status: 'ACQUIRED', pollSeconds: LOCK_POLL_SECONDS, waitingSince: since };
  }

  const queue = await readQueue(table, mine.pk);
  const queued = queue.find((item) => item.sk === mine.sk);
  const waitingSince = queued?.enqueuedAt ?? now.toISOString();
  const base = { pollSeconds: lockPollSeconds(waitedSince(waitingSince, now)) };
  await enqueue(table, mine, deployment, waitingSince, now, base.pollSeconds);
  const holder = held && holderOf(held);
  const turn = await turnOf(table, { deployment, mode, held, queue, now });
  if (mode === 'SUPERSEDED' && turn.kind !== 'superseded' && !queued) {
    // Every other waiter comes before this push in turn, so it ends superseded: it learns so now, not at its
    // safety check. The queue is read again after this push's item went in: a waiter that arms its wait after
    // that read finds the item itself when it checks (lock-wait-arm.ts), so no wake falls between the two. Only
    // on arrival: each deployment wakes the others once, so two waiters tied in turn never wake each other on.
    await wakeLockWaiters(table, ref, `deployment ${deployment.id} came after it`, {
      exceptId: deployment.id,
    });
  }
  if (turn.kind === 'superseded') {
    const supersededBy = { deploymentId: turn.by.deploymentId, commitId: turn.by.commitId };
    await noteSuperseded(table, deployment, supersededBy, turn.reason);
    await deleteQueueItem(table, mine);
    return {
      status: 'SUPERSEDED',
      ...(holder ? { holder } : {}),
      supersededBy,
      reason: turn.reason,
      ...base,
      waitingSince,
    };
  }
  // A manual deployment says in its log that the push order does not apply to it.
  const note = turn.kind === 'wait' ? turn.reason : deployment.trigger === 'push' ? undefined : EXEMPT_NOTE;
  if (turn.kind === 'wait') {
    return {
      status: 'WAITING',
      ...(holder ? { holder } : {}),
      ...(note ? { reason: note } : {}),
      ...base,
      waitingSince,
    };
  }

  if (!(await putLock(table, ref, deployment, now, waitingSince))) {
    // Another deployment took the free lock between the read and the write.
    const winner = await getLock(table, ref);
    return { status: 'WAITING', ...(winner ? { holder: holderOf(winner) } : {}), ...base, waitingSince };
  }
  await deleteQueueItem(table, mine);
  return { status: 'ACQUIRED', ...(note ? { reason: note } : {}), ...base, waitingSince };
}

/**
 * Whose turn it is now for a deployment waiting in the queue (reads only): what AcquireLock would decide, for a
 * wait being armed (lock-wait-arm.ts). `go` for the holder itself.
 */
export async function lockTurnNow(
  table: LockTable,
  request: ServiceRef & { deployment: OrderedDeployment; mode: ExecutionMode; now?: Date },
): Promise<Turn> {
  const now = request.now ?? new Date();
  const ref = { cluster: request.cluster, service: request.service };
  const held = await getLock(table, ref);
  if (held?.deploymentId === request.deployment.id) return { kind: 'go' };
  const queue = await readQueue(table, queueKey(ref, request.deployment).pk);
  return turnOf(table, { deployment: request.deployment, mode: request.mode, held, queue, now });
}

/** Turns follow the push order (commit-order.ts), not the start order of the queue's keys. */
async function turnOf(
  table: LockTable,
  read: {
    deployment: OrderedDeployment;
    mode: ExecutionMode;
    held: LockItem | undefined;
    queue: QueueItem[];
    now: Date;
  },
): Promise<Turn> {
  const { deployment, held, queue, now } = read;
  const others = queue.filter((item) => item.deploymentId !== deployment.id && isWaiting(item, now));
  // A push whose queue item went stale died waiting: it is not on its way to the lock either.
  const pushes = await readPushHistory(table, deployment, now);
  const dead = new Set(queue.filter((item) => !isWaiting(item, now)).map((item) => item.deploymentId));
  const history = { ...pushes, inFlight: pushes.inFlight.filter((push) => !dead.has(push.deploymentId)) };
  return decideTurn({
    mine: orderedOf(deployment),
    mode: read.mode,
    ...(held ? { holder: held } : {}),
    waiters: others.map((item) => ({ ...item, startedAt: item.startedAt ?? item.sk.split('#')[0] ?? '' })),
    history,
  });
}

/**
 * Releases the service's lock if this deployment holds it (conditional delete) and removes its queue item if
 * any, then wakes the waiting deployments (lock-wait.ts): one of them may go, or move up. Always, even when this
 * call released nothing: a first attempt may have released and failed before its wakes. Idempotent; a deployment
 * that does not hold the lock changes nothing but its own queue item.
 */
export async function releaseLock(
  table: LockTable,
  request: ServiceRef & { deployment: Deployment; rollbackDone?: boolean },
): Promise<{ released: boolean; dequeued: boolean }> {
  const { deployment } = request;
  checkRequest(deployment, request, ['id', 'startedAt']);
  const ref = { cluster: request.cluster, service: request.service };
  // A lock marked ROLLBACK_FAILED outlives its execution (CleanUp too): only a rollback that succeeded frees it.
  const held = request.rollbackDone ? undefined : await getLock(table, ref);
  if (held?.deploymentId === deployment.id && rollbackFailedHolder(held)) {
    return { released: false, dequeued: await deleteQueueItem(table, queueKey(ref, deployment)) };
  }
  const released = await deleteLock(table, ref, deployment.id);
  const dequeued = await deleteQueueItem(table, queueKey(ref, deployment));
  await wakeLockWaiters(table, ref, `deployment ${deployment.id} ended`, { exceptId: deployment.id });
  return { released, dequeued };
}

function checkRequest(
  deployment: Deployment | undefined,
  ref: ServiceRef,
  fields: readonly (keyof Deployment)[] = ['id', 'commitId', 'executionId', 'startedAt'],
): void {
  const missing = deployment ? fields.filter((field) => typeof deployment[field] !== 'string') : fields;
  if (missing.length > 0) {
    throw new InvalidInputError(
      `the service lock needs {"deployment": {"id", "commitId", "executionId", "startedAt", ...}} as Prepare returns it; missing or not a string: ${missing.join(', ')} (see events/acquire-lock.json)`,
    );
  }
  if (!ref.cluster || !ref.service) {
    throw new InvalidInputError(
      `the service lock needs a cluster and a service, got "${ref.cluster}" and "${ref.service}" (CLUSTER_NAME, SERVICE_NAME)`,
    );
  }
}

function holderOf(item: LockItem): NonNullable<LockState['holder']> {
  const holder = { deploymentId: item.deploymentId, commitId: item.commitId, since: item.since };
  return rollbackFailedHolder(item) ?? holder;
}

function orderedOf(deployment: OrderedDeployment): Ordered {
  const { id, commitId, startedAt, pushOrder } = deployment;
  return { deploymentId: id, commitId, startedAt, ...(pushOrder ? { pushOrder } : {}) };
}
