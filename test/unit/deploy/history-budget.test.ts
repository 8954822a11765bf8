/** The history budget Prepare checks before any side effect (functions/lib/deploy/history-budget.ts). */
import { checkHistoryBudget, planHistoryEvents } from '../../../functions/lib/deploy/history-budget';
import { planTraffic } from '../../../functions/lib/deploy/plan';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

describe('the history budget of a plan', () => {
  it('counts one 15-event wait per 300 s of each pause and of the bake, and 7 events per step', () => {
    expect(planHistoryEvents(planTraffic('AllAtOnce'), 300)).toBe(7 + 15 * 2);
    expect(planHistoryEvents(planTraffic('Canary10Percent5Minutes'), 300)).toBe(14 + 15 * 3);
    expect(planHistoryEvents(planTraffic('Linear10PercentEvery1Minutes'), 300)).toBe(70 + 15 * 11);
  });

  it('lets every preset and the longest bake CodeDeploy allows (2 days) through', () => {
    expect(() => checkHistoryBudget('CodeDeployDefault.ECSLinear10PercentEvery3Minutes', 2880)).not.toThrow();
    expect(() => checkHistoryBudget('Canary10Percent15Minutes', 2880)).not.toThrow();
  });

  it('refuses a plan whose timed waits would take the history past what a deployment may use, naming the fix', () => {
    const monthLongPauses = JSON.stringify([
      { greenPercent: 10, pauseSeconds: 30 * 24 * 3600 },
      { greenPercent: 100 },
    ]);
    expect(() => checkHistoryBudget(monthLongPauses, 5)).toThrow(InvalidInputError);
    expect(() => checkHistoryBudget(monthLongPauses, 5)).toThrow(
      /TrafficStrategy and TerminationWaitMinutes \(5\) wait 720 h in all.*shorten the pauses or the bake/,
    );
  });

  it('refuses an unknown strategy here too, before any side effect', () => {
    expect(() => checkHistoryBudget('Canary10PercentForever', 5)).toThrow(InvalidInputError);
  });
});
