/**
 * When CleanUp may undo what a stopped execution did. StopExecution "does not stop running Lambda invocations"
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html): a task of the stopped
 * execution may still write (ModifyListener, CreateTaskSet, StartBuild) until its function's timeout. The fence
 * (record/fence.ts) refuses writes that check it after CleanUp's mark, but a write already past its check still
 * lands; so CleanUp rolls back only once the stop time plus the longest timeout of the machine's task functions
 * (MAX_TASK_SECONDS, template.yaml) is over. It waits inside when that fits in its own remaining time, else it
 * fails at once with CleanUpTooEarlyError: Lambda retries an asynchronous invocation one and then two minutes
 * later (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html), and after those the
 * event goes to the on-failure queue, from which the reconciler or `switchyard cleanup --resume` re-drives it.
 */
import { ConfigurationError, SwitchyardError } from '../shared/errors';

/** CleanUp ran before every task of the stopped execution is sure to have ended; a later attempt finishes it. */
export class CleanUpTooEarlyError extends SwitchyardError {
  override name = 'CleanUpTooEarlyError' as const;
}

/** Time CleanUp keeps for itself after the wait: the rollback, the record and the lock. */
export const CLEAN_UP_RESERVE_MS = 120_000;

/** How CleanUp tells time and waits (injected, so tests neither sleep nor race). */
export interface StopClock {
  /** MAX_TASK_SECONDS: no task of the machine runs longer than this after the stop. */
  maxTaskSeconds: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Milliseconds left before this invocation's timeout (the Lambda context's getRemainingTimeInMillis). */
  remainingMs?: () => number;
}

/** MAX_TASK_SECONDS read from the environment: a whole number of seconds ≥ 0. */
export function parseMaxTaskSeconds(value: string | undefined): number {
  const seconds = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isInteger(seconds) || seconds < 0) {
    throw new ConfigurationError(
      `MAX_TASK_SECONDS is ${JSON.stringify(value)}: expected a whole number of seconds ≥ 0, the longest Timeout of ` +
        "the state machine's task functions plus a margin (template.yaml, Globals.Function.Environment)",
    );
  }
  return seconds;
}

/**
 * Waits until no task of an execution stopped at `stopMs` can still run; returns the milliseconds waited.
 * Throws CleanUpTooEarlyError, naming the time, when the wait does not fit in this invocation.
 */
export async function waitForStoppedTasks(stopMs: number, clock: StopClock): Promise<number> {
  const now = clock.now ?? Date.now;
  const safeAt = stopMs + clock.maxTaskSeconds * 1000;
  const waitMs = safeAt - now();
  if (waitMs <= 0) return 0;
  const remaining = clock.remainingMs?.() ?? Number.POSITIVE_INFINITY;
  if (waitMs > remaining - CLEAN_UP_RESERVE_MS) {
    throw new CleanUpTooEarlyError(
      `a task of the stopped execution may still be running until ${new Date(safeAt).toISOString()} (stop ` +
        `${new Date(stopMs).toISOString()} + MAX_TASK_SECONDS ${clock.maxTaskSeconds}); this invocation has ` +
        `${Math.floor(remaining / 1000)} s left, so a retry rolls back once that time is over`,
    );
  }
  await (clock.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(waitMs);
  return waitMs;
}
