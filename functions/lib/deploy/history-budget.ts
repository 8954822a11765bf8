/**
 * The execution history a deployment's plan needs, checked by Prepare before any side effect: a Standard
 * execution fails once its history reaches 25,000 events
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Each pause and the bake are callback
 * waits of at most MAX_CHECK_INTERVAL_SECONDS each (pause-wait.ts), so a timed wait costs events in proportion to
 * its length; a plan whose timed waits alone would leave too little of the quota for the rest is refused, naming
 * the parameters to change.
 */
import { InvalidInputError } from '../shared/errors';
import { planTraffic, type TrafficStep } from './plan';
import { MAX_CHECK_INTERVAL_SECONDS } from './state';

/** Step Functions' history quota of one execution. */
export const HISTORY_EVENT_QUOTA = 25_000;

/**
 * Kept for everything the plan does not fix: the states outside the waits (about 130 events), green's polls, the
 * lock queue, retries, and manual pauses (15 events per 300 s: the reserve covers about 3.5 days of them).
 */
export const HISTORY_RESERVE = 15_000;

/** Events of one wait segment: WaitInPause (6: entered, scheduled, started, submitted, ended, exited), PauseWaited (2), CheckPause (5), IsPauseOver (2). */
const EVENTS_PER_SEGMENT = 15;
/** Events of one step: ShiftTraffic (5), IsShiftDone (2). */
const EVENTS_PER_STEP = 7;

/** History events the plan's steps and timed waits need at most. */
export function planHistoryEvents(steps: readonly TrafficStep[], bakeSeconds: number): number {
  const segments = (seconds: number) => Math.max(1, Math.ceil(seconds / MAX_CHECK_INTERVAL_SECONDS));
  const pauses = steps.map((step) => ('pauseSeconds' in step ? segments(step.pauseSeconds) : 1));
  return (
    steps.length * EVENTS_PER_STEP +
    (pauses.reduce((sum, count) => sum + count, 0) + segments(bakeSeconds)) * EVENTS_PER_SEGMENT
  );
}

/** Throws InvalidInputError when TRAFFIC_STRATEGY and the bake leave less than HISTORY_RESERVE of the quota. */
export function checkHistoryBudget(trafficStrategy: string, terminationWaitMinutes: number): void {
  const steps = planTraffic(trafficStrategy);
  const needed = planHistoryEvents(steps, terminationWaitMinutes * 60);
  const allowed = HISTORY_EVENT_QUOTA - HISTORY_RESERVE;
  if (needed <= allowed) return;
  const waited = steps.reduce((sum, step) => sum + ('pauseSeconds' in step ? step.pauseSeconds : 0), 0);
  throw new InvalidInputError(
    `TrafficStrategy and TerminationWaitMinutes (${terminationWaitMinutes}) wait ${Math.round((waited + terminationWaitMinutes * 60) / 3600)} h ` +
      `in all, which needs about ${needed} execution history events (one wait of at most ${MAX_CHECK_INTERVAL_SECONDS} s costs ${EVENTS_PER_SEGMENT}); ` +
      `a deployment may use ${allowed} of Step Functions' ${HISTORY_EVENT_QUOTA}: shorten the pauses or the bake, or use "pause": "manual" steps and switchyard promote`,
  );
}
