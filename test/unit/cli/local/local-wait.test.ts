/** How long a wait lasts in a local run (cli/local/local-run.ts): compressed, except a manual pause's. */
import { localWait } from '../../../../cli/local/local-run';
import { watchWait } from '../../../../cli/local/watch-executions';

const manual = { traffic: { pause: { manual: true, since: '2026-12-05T12:00:00.000Z', waitedSeconds: 0 } } };
const timed = { traffic: { pause: { remainingSeconds: 300 } } };

describe('waits in a local run', () => {
  it('compresses timed pauses, the bake and polls', () => {
    expect(localWait('WaitInPause', 300, timed)).toBe(5);
    expect(localWait('WaitInBake', 300, { traffic: { pause: null } })).toBe(5);
    expect(localWait('WaitForGreen', 10)).toBe(100);
    expect(watchWait('WaitInPause', 300, timed)).toBe(1000);
  });

  it('waits a manual pause in real time, so a person can promote before ManualPauseTimeoutMinutes', () => {
    expect(localWait('WaitInPause', 300, manual)).toBe(300_000);
    expect(watchWait('WaitInPause', 120, manual)).toBe(120_000);
  });
});
