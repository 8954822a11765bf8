/**
 * The execution history a deployment can need, checked by Prepare before any side effect: a Standard execution fails
 * once its history reaches 25,000 events (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 * Every wait of a deployment is bounded, so its worst case is known when it starts:
 * - each pause and the bake are callback waits of at most MAX_CHECK_INTERVAL_SECONDS (pause-wait.ts), so a timed
 *   pause costs events in proportion to its length, and a manual pause those of ManualPauseTimeoutMinutes;
 * - green's polls end at GreenHealthTimeoutMinutes; the build's fallback polls (only when the `.sync` wait itself
 *   failed) at BuildTimeoutMinutes, at most MAX_BUILD_FALLBACK_POLLS of them (build/codebuild.ts);
 * - the wait for the service's lock is a callback wait woken when the lock frees, whose safety checks grow further
 *   apart the longer it waits: a year of it fits LOCK_WAIT_EVENTS (record/lock-wait.ts);
 * - the states outside the waits, hooks and retries fit FIXED_EVENTS.
 * A configuration whose worst case passes the quota is refused, naming the parameters to change.
 */
import { LONGEST_EXECUTION_SECONDS, lockWaitHistoryEvents } from '../record/lock-wait';
import { InvalidInputError } from '../shared/errors';
import { planTraffic, type TrafficStep } from './plan';
import { MAX_CHECK_INTERVAL_SECONDS } from './state';

/** Step Functions' history quota of one execution. */
export const HISTORY_EVENT_QUOTA = 25_000;

/** The states outside every loop (about 130 events on the longest path), hooks, and the events of Task retries. */
export const FIXED_EVENTS = 1_000;

/** Wakes a wait for the lock may have in a year (each costs a cycle: the holder's end, a newer push, an abort). */
export const LOCK_WAIT_WAKES = 60;

/** What a year of waiting for the service's lock costs at most, with LOCK_WAIT_WAKES wakes (record/lock-wait.ts). */
export const LOCK_WAIT_EVENTS = lockWaitHistoryEvents(LONGEST_EXECUTION_SECONDS, LOCK_WAIT_WAKES);

/** Events of one pause segment: WaitInPause (6: entered, scheduled, started, submitted, ended, exited), PauseWaited (2), CheckPause (5), IsPauseOver (2). */
const EVENTS_PER_SEGMENT = 15;
/** Events of one step: ShiftTraffic (5), IsShiftDone (2). */
const EVENTS_PER_STEP = 7;
/** Events of one poll loop turn (green's and the build's fallback): Wait (2), Task (5), Choice (2). */
const EVENTS_PER_POLL = 9;

/** What the check needs of the stack's settings (template.yaml parameters of the same names). */
export interface BudgetSettings {
  trafficStrategy: string;
  terminationWaitMinutes: number;
  manualPauseTimeoutMinutes: number;
  greenHealthTimeoutMinutes: number;
  greenPollSeconds: number;
  buildFallbackPolls: number;
}

/** History events the plan's steps, pauses (manual ones at their timeout) and the bake need at most. */
export function planHistoryEvents(
  steps: readonly TrafficStep[],
  bakeSeconds: number,
  manualPauseTimeoutSeconds: number,
): number {
  const segments = (seconds: number) => Math.max(1, Math.ceil(seconds / MAX_CHECK_INTERVAL_SECONDS));
  const pauses = steps.map((step) =>
    'pause' in step ? segments(manualPauseTimeoutSeconds) : segments(step.pauseSeconds),
  );
  return (
    steps.length * EVENTS_PER_STEP +
    (pauses.reduce((sum, count) => sum + count, 0) + segments(bakeSeconds)) * EVENTS_PER_SEGMENT
  );
}

/** The events kept for everything but the plan: fixed states, green's polls, the build's fallback polls, the lock. */
export function reservedEvents(settings: Omit<BudgetSettings, 'trafficStrategy'>): number {
  const greenPolls = Math.ceil((settings.greenHealthTimeoutMinutes * 60) / settings.greenPollSeconds) + 1;
  return FIXED_EVENTS + LOCK_WAIT_EVENTS + (greenPolls + settings.buildFallbackPolls) * EVENTS_PER_POLL;
}

/** Throws InvalidInputError when the plan's worst case does not fit what the quota leaves after the reserve. */
export function checkHistoryBudget(settings: BudgetSettings): void {
  const steps = planTraffic(settings.trafficStrategy);
  const manualSeconds = settings.manualPauseTimeoutMinutes * 60;
  const needed = planHistoryEvents(steps, settings.terminationWaitMinutes * 60, manualSeconds);
  const allowed = HISTORY_EVENT_QUOTA - reservedEvents(settings);
  if (needed <= allowed) return;
  const manual = steps.filter((step) => 'pause' in step).length;
  const waited =
    steps.reduce((sum, step) => sum + ('pauseSeconds' in step ? step.pauseSeconds : 0), 0) +
    manual * manualSeconds +
    settings.terminationWaitMinutes * 60;
  const manualNote =
    manual > 0
      ? `, counting its ${manual} manual pause${manual > 1 ? 's' : ''} at ManualPauseTimeoutMinutes (${settings.manualPauseTimeoutMinutes})`
      : '';
  throw new InvalidInputError(
    `TrafficStrategy and TerminationWaitMinutes (${settings.terminationWaitMinutes}) may wait ` +
      `${Math.round(waited / 3600)} h in all${manualNote}, which needs about ${needed} execution history events ` +
      `(one wait of at most ${MAX_CHECK_INTERVAL_SECONDS} s costs ${EVENTS_PER_SEGMENT}); a deployment's plan may ` +
      `use ${allowed} of Step Functions' ${HISTORY_EVENT_QUOTA}: shorten the pauses or the bake` +
      (manual > 0 ? ', or lower ManualPauseTimeoutMinutes' : ''),
  );
}
