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
 * A dead waiter: a waiting deployment polls every few seconds, and every poll refreshes its queue item's
 * `expiresAt`; an item not refreshed for STALE_WAITER_SECONDS belongs to an execution that died without CleanUp,
 * and is ignored (then deleted by the table's TTL), so that it never blocks a QUEUED service for good.
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
  queueKey,
  readQueue,
  type ServiceRef,
} from './lock-table';
import { decideTurn, type ExecutionMode } from './lock-turn';
import { noteSuperseded, readPushHistory } from './push-history';

/** `$.lock`: AcquireLock's answer. WAITING loops through a Wait; SUPERSEDED ends the execution. */
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
  /** Seconds the machine waits before asking again. */
  pollSeconds: number;
  waitingSince: string;
}

/** Seconds the machine waits (WaitForLock) before asking for the lock again. */
export const LOCK_POLL_SECONDS = 10;

export type { ExecutionMode } from './lock-turn';

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
  const base = { pollSeconds: LOCK_POLL_SECONDS };

  const held = await getLock(table, ref);
  if (held?.deploymentId === deployment.id) {
    // A retry after the lock was taken but before the queue item went: remove it, or it would hold others back.
    await deleteQueueItem(table, mine);
    return { status: 'ACQUIRED', ...base, waitingSince: held.waitingSince ?? held.since };
  }

  const queue = await readQueue(table, mine.pk);
  const waitingSince = queue.find((item) => item.sk === mine.sk)?.enqueuedAt ?? now.toISOString();
  await enqueue(table, mine, deployment, waitingSince, now);
  const others = queue.filter((item) => item.sk !== mine.sk && isWaiting(item, now));
  const holder = held && holderOf(held);

  // Turns follow the push order (commit-order.ts), not the start order of the queue's keys. A push whose queue
  // item went stale died waiting: it is not on its way to the lock either.
  const pushes = await readPushHistory(table, deployment, now);
  const dead = new Set(queue.filter((item) => !isWaiting(item, now)).map((item) => item.deploymentId));
  const history = { ...pushes, inFlight: pushes.inFlight.filter((push) => !dead.has(push.deploymentId)) };
  const turn = decideTurn({
    mine: orderedOf(deployment),
    mode,
    ...(held ? { holder: held } : {}),
    waiters: others.map((item) => ({ ...item, startedAt: item.startedAt ?? item.sk.split('#')[0] ?? '' })),
    history,
  });
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
 * Releases the service's lock if this deployment holds it (conditional delete) and removes its queue item if
 * any. Idempotent; a deployment that does not hold the lock changes nothing but its own queue item.
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
