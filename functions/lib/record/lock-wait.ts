/**
 * The wait for the service's lock as callback waits (issue 13: a Standard execution fails at 25,000 history
 * events, https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). WaitForLock invokes
 * AcquireLockFunction with its task token (`lambda:invoke.waitForTaskToken`,
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token); the token is
 * left on the waiter's queue item and record (lock-wait-arm.ts), and the state waits with no transition until
 * someone completes it or its HeartbeatSeconds (the safety check below) run out. The wakers: every release of the
 * lock or of a queue place (releaseLock: RecordResult, CleanUp, a resumed rollback), a newer push that supersedes
 * older waiters (SUPERSEDED mode), and `switchyard abort` (cli/stack/wake.ts). A wake that finds the wait already
 * over is no error, and a wake that is lost only delays the waiter until its safety check.
 */
import { awsJson, type JsonClient } from '../shared/aws-json';
import {
  type LockTable,
  type QueueItem,
  readQueue,
  type SendTaskSuccess,
  type ServiceRef,
} from './lock-table';

export type { SendTaskSuccess } from './lock-table';

/**
 * SendTaskSuccess as a signed request (aws-json.ts): the functions that wake waiters carry no Step Functions SDK
 * client for this one call (issue 13: every bundle at most 350 KB).
 */
export function signedTaskSuccess(client: JsonClient): SendTaskSuccess {
  return async (taskToken, output) => {
    await awsJson(client, 'states:SendTaskSuccess', { taskToken, output });
  };
}

/** The first safety check of a lock wait: a waiter asks again after this long even if no one woke it. */
export const LOCK_POLL_SECONDS = 60;

/** The longest safety check: a lost wake never delays a waiter by more than this. */
export const LOCK_POLL_MAX_SECONDS = 86_400;

/** Each safety check lasts this share of the time already waited (between the two bounds above). */
export const LOCK_POLL_SHARE = 0.25;

/**
 * History events of one wait cycle: AcquireLock (5: entered, Lambda scheduled, started, succeeded, exited),
 * IsLockAcquired (2: entered, exited), WaitForLock (6: entered, scheduled, started, submitted, succeeded or timed
 * out, exited). https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
export const LOCK_WAIT_CYCLE_EVENTS = 13;

/** The last AcquireLock (5) and IsLockAcquired (2) of a wait, which take the lock and leave the loop. */
export const LOCK_WAIT_END_EVENTS = 7;

/** Step Functions' longest Standard execution: one year (service-quotas.html). */
export const LONGEST_EXECUTION_SECONDS = 365 * 86_400;

/** The next safety check of a deployment that has waited `waitedSeconds` for the lock. */
export function lockPollSeconds(waitedSeconds: number): number {
  const share = Math.floor(Math.max(0, waitedSeconds) * LOCK_POLL_SHARE);
  return Math.min(LOCK_POLL_MAX_SECONDS, Math.max(LOCK_POLL_SECONDS, share));
}

/** The seconds between `waitingSince` and `now`, 0 when it cannot be read. */
export function waitedSince(waitingSince: string, now: Date): number {
  const since = Date.parse(waitingSince);
  return Number.isFinite(since) ? Math.max(0, Math.floor((now.getTime() - since) / 1000)) : 0;
}

/**
 * The most history events a lock wait of `seconds` costs: one cycle per safety check until the checks cover the
 * wait, one more per wake (each wake is a release or a newer push, so their number does not grow with the time
 * waited), and the AcquireLock that ends it. Retries of failed invocations aside.
 */
export function lockWaitHistoryEvents(seconds: number, wakes = 0): number {
  let waited = 0;
  let cycles = 0;
  while (waited < seconds) {
    waited += lockPollSeconds(waited);
    cycles += 1;
  }
  return (cycles + Math.max(0, wakes)) * LOCK_WAIT_CYCLE_EVENTS + LOCK_WAIT_END_EVENTS;
}

/** What WaitForLock puts at `$.lockWake` when a waker ends it: who, and when. */
export interface LockWake {
  status: 'WOKEN';
  by: string;
  at: string;
}

/**
 * Completes a lock wait's token. False when the wait had already ended (TaskTimedOut, TaskDoesNotExist,
 * InvalidToken: its safety check ran out, another waker was first, or its execution stopped), which is no error.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
export async function completeLockWait(
  sendTaskSuccess: SendTaskSuccess,
  token: string,
  by: string,
  now = new Date(),
): Promise<boolean> {
  const output: LockWake = { status: 'WOKEN', by, at: now.toISOString() };
  try {
    await sendTaskSuccess(token, JSON.stringify(output));
    return true;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(name)) return false;
    throw error;
  }
}

/**
 * Wakes the deployments waiting for the service's lock (those whose queue item carries a token), except
 * `exceptId`; `items`, when given, are the queue as the caller just read it. Returns the ids it woke. Without
 * the table's Step Functions client nothing is woken: the waiters see the change at their next safety check.
 */
export async function wakeLockWaiters(
  table: LockTable,
  ref: ServiceRef,
  by: string,
  options: { exceptId?: string; items?: QueueItem[] } = {},
): Promise<string[]> {
  const { sendTaskSuccess } = table;
  if (!sendTaskSuccess) return [];
  const items = options.items ?? (await readQueue(table, `QUEUE#${ref.cluster}/${ref.service}`));
  const armed = items.filter((item) => item.waitToken && item.deploymentId !== options.exceptId);
  const woken = await Promise.all(
    armed.map(async (item) =>
      (await completeLockWait(sendTaskSuccess, item.waitToken as string, by)) ? item.deploymentId : '',
    ),
  );
  return woken.filter((id) => id !== '');
}
