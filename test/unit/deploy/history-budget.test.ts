/** The history budget Prepare checks before any side effect (functions/lib/deploy/history-budget.ts). */
import { buildPollSeconds, MAX_BUILD_FALLBACK_POLLS } from '../../../functions/lib/build/build-polls';
import {
  type BudgetSettings,
  checkHistoryBudget,
  FIXED_EVENTS,
  HISTORY_EVENT_QUOTA,
  LOCK_WAIT_EVENTS,
  planHistoryEvents,
  reservedEvents,
} from '../../../functions/lib/deploy/history-budget';
import { planTraffic } from '../../../functions/lib/deploy/plan';
import { MAX_MANUAL_PAUSE_TIMEOUT_MINUTES } from '../../../functions/lib/deploy/shift-config';
import { GREEN_POLL_SECONDS } from '../../../functions/lib/deploy/state';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

/** The template's defaults. */
const defaults: BudgetSettings = {
  trafficStrategy: 'CodeDeployDefault.ECSAllAtOnce',
  terminationWaitMinutes: 5,
  manualPauseTimeoutMinutes: 1440,
  greenHealthTimeoutMinutes: 10,
  greenPollSeconds: GREEN_POLL_SECONDS,
  buildFallbackPolls: 120,
};
/** The template's largest values of every setting but the plan. */
const largest: BudgetSettings = {
  ...defaults,
  greenHealthTimeoutMinutes: 60,
  buildFallbackPolls: MAX_BUILD_FALLBACK_POLLS,
};

describe('the history budget of a plan', () => {
  it('counts one 15-event wait per 300 s of each pause and of the bake, and 7 events per step', () => {
    expect(planHistoryEvents(planTraffic('AllAtOnce'), 300, 86_400)).toBe(7 + 15 * 2);
    expect(planHistoryEvents(planTraffic('Canary10Percent5Minutes'), 300, 86_400)).toBe(14 + 15 * 3);
    expect(planHistoryEvents(planTraffic('Linear10PercentEvery1Minutes'), 300, 86_400)).toBe(70 + 15 * 11);
  });

  it('counts a manual pause at its timeout', () => {
    const manual = planTraffic('[{"greenPercent": 10, "pause": "manual"}, {"greenPercent": 100}]');
    expect(planHistoryEvents(manual, 0, 3600)).toBe(14 + 15 * (12 + 1 + 1));
    expect(planHistoryEvents(manual, 0, 86_400)).toBe(14 + 15 * (288 + 1 + 1));
  });

  it('keeps for the rest the fixed states, green polls to their deadline, the build fallback polls and a year of lock wait', () => {
    expect(reservedEvents(defaults)).toBe(FIXED_EVENTS + LOCK_WAIT_EVENTS + (61 + 120) * 9);
    expect(reservedEvents(largest)).toBe(FIXED_EVENTS + LOCK_WAIT_EVENTS + (361 + 120) * 9);
    expect(reservedEvents(largest)).toBeLessThan(HISTORY_EVENT_QUOTA / 2);
  });

  it('spreads a long build fallback polls so there are never more than MAX_BUILD_FALLBACK_POLLS', () => {
    expect(buildPollSeconds({ pollSeconds: 15, timeoutMinutes: 30 })).toBe(15);
    expect(buildPollSeconds({ pollSeconds: 5, timeoutMinutes: 480 })).toBe(240);
    const settings: [number, number][] = [
      [5, 5],
      [5, 480],
      [300, 480],
      [7, 61],
    ];
    for (const [pollSeconds, timeoutMinutes] of settings) {
      const every = buildPollSeconds({ pollSeconds, timeoutMinutes });
      expect(every).toBeGreaterThanOrEqual(pollSeconds);
      expect(Math.ceil((timeoutMinutes * 60) / every)).toBeLessThanOrEqual(MAX_BUILD_FALLBACK_POLLS);
    }
  });

  it('lets every preset with the longest bake CodeDeploy allows (2 days) through, with the largest settings', () => {
    for (const trafficStrategy of [
      'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
      'Canary10Percent15Minutes',
      'AllAtOnce',
    ]) {
      expect(() =>
        checkHistoryBudget({ ...largest, trafficStrategy, terminationWaitMinutes: 2880 }),
      ).not.toThrow();
    }
  });

  it('lets a manual pause at the longest timeout through, and two at the default timeout', () => {
    const one = '[{"greenPercent": 10, "pause": "manual"}, {"greenPercent": 100}]';
    const two =
      '[{"greenPercent": 10, "pause": "manual"}, {"greenPercent": 50, "pause": "manual"}, {"greenPercent": 100}]';
    expect(() =>
      checkHistoryBudget({
        ...largest,
        trafficStrategy: one,
        manualPauseTimeoutMinutes: MAX_MANUAL_PAUSE_TIMEOUT_MINUTES,
      }),
    ).not.toThrow();
    expect(() => checkHistoryBudget({ ...largest, trafficStrategy: two })).not.toThrow();
    // With the longest bake as well, two day-long manual pauses no longer fit: refused before any side effect.
    expect(() =>
      checkHistoryBudget({ ...largest, trafficStrategy: two, terminationWaitMinutes: 2880 }),
    ).toThrow(InvalidInputError);
  });

  it('refuses a plan whose timed waits would take the history past what a deployment may use, naming the fix', () => {
    const monthLongPauses = JSON.stringify([
      { greenPercent: 10, pauseSeconds: 30 * 24 * 3600 },
      { greenPercent: 100 },
    ]);
    const settings = { ...defaults, trafficStrategy: monthLongPauses };
    expect(() => checkHistoryBudget(settings)).toThrow(InvalidInputError);
    expect(() => checkHistoryBudget(settings)).toThrow(
      /TrafficStrategy and TerminationWaitMinutes \(5\) may wait 720 h in all, which needs about \d+ .*shorten the pauses or the bake$/,
    );
  });

  it('refuses manual pauses whose timeouts add up past the budget, naming ManualPauseTimeoutMinutes', () => {
    const three = JSON.stringify([
      { greenPercent: 10, pause: 'manual' },
      { greenPercent: 30, pause: 'manual' },
      { greenPercent: 60, pause: 'manual' },
      { greenPercent: 100 },
    ]);
    const settings = { ...defaults, trafficStrategy: three, manualPauseTimeoutMinutes: 2880 };
    expect(() => checkHistoryBudget(settings)).toThrow(
      /counting its 3 manual pauses at ManualPauseTimeoutMinutes \(2880\).*or lower ManualPauseTimeoutMinutes$/,
    );
    expect(() => checkHistoryBudget({ ...settings, manualPauseTimeoutMinutes: 1440 })).not.toThrow();
  });

  it('refuses an unknown strategy here too, before any side effect', () => {
    expect(() => checkHistoryBudget({ ...defaults, trafficStrategy: 'Canary10PercentForever' })).toThrow(
      InvalidInputError,
    );
  });
});
