/**
 * What `switchyard status --follow` adds to following a deployment: the pause read from the record where the
 * history is an emulator's canned one, printed once per pause; each event's hooks, read from the record.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { pauseFromHistory, pauseFromRecord } from '../../../../cli/stack/describe';
import { stageLines } from '../../../../cli/stack/follow';
import { hookLines } from '../../../../cli/stack/follow-hooks';
import type { DeploymentRecord } from '../../../../cli/stack/target';

const T0 = Date.parse('2026-11-26T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const step = (index: number, greenPercent: number, seconds: number) => ({
  step: index,
  greenPercent,
  observedWeights: {},
  at: at(seconds),
});
const record = (fields: Partial<DeploymentRecord>): DeploymentRecord => ({
  deploymentId: 'push-1',
  commitId: '0123456789abcdef0123456789abcdef01234567',
  status: 'RUNNING',
  startedAt: at(0),
  ...fields,
});

describe('pauseFromRecord', () => {
  it.each<[string, Partial<DeploymentRecord>, string | undefined]>([
    [
      'a wait armed after the last step',
      { steps: [step(0, 10, 60)], pauseWait: { armedAt: at(61), waitSeconds: 300 } },
      `paused at step 1 (10 % to green) since ${at(60)}; \`switchyard promote\` ends it now`,
    ],
    [
      'the bake after the last step',
      { steps: [step(0, 10, 60), step(1, 100, 90)], pauseWait: { armedAt: at(91), waitSeconds: 300 } },
      `baking (blue is removed at its end) at step 2 (100 % to green) since ${at(90)}; \`switchyard promote\` ends it now`,
    ],
    [
      'a wait of an earlier step',
      { steps: [step(0, 10, 60), step(1, 50, 90)], pauseWait: { armedAt: at(61) } },
      undefined,
    ],
    ['no step yet', { pauseWait: { armedAt: at(61) } }, undefined],
    [
      'an ended deployment',
      { status: 'SUCCEEDED', steps: [step(0, 10, 60)], pauseWait: { armedAt: at(61) } },
      undefined,
    ],
    [
      'a rollback under way',
      { steps: [step(0, 10, 60)], pauseWait: { armedAt: at(61) }, rollback: {} },
      undefined,
    ],
  ])('describes %s', (_, fields, text) => {
    expect(pauseFromRecord(record(fields))).toBe(text);
  });
});

describe('pauseFromHistory', () => {
  it("gives nothing for a history that names none of the machine's states (moto's canned one)", () => {
    const canned: HistoryEvent[] = [
      {
        id: 2,
        timestamp: new Date(T0),
        type: 'PassStateEntered',
        stateEnteredEventDetails: { name: 'A State' },
      },
    ];
    expect(pauseFromHistory(canned)).toBeUndefined();
  });
});

describe('stageLines', () => {
  it('prints a pause once, however often its wait is armed again, and the next pause again', () => {
    const paused = record({ steps: [step(0, 10, 60)], pauseWait: { armedAt: at(61) } });
    const rearmed = { ...paused, pauseWait: { armedAt: at(62) } };
    const next = record({ steps: [step(0, 10, 60), step(1, 50, 90)], pauseWait: { armedAt: at(91) } });

    expect(stageLines(record({ steps: [step(0, 10, 60)] }), paused)).toEqual([
      `paused at step 1 (10 % to green) since ${at(60)}; \`switchyard promote\` ends it now`,
    ]);
    expect(stageLines(paused, rearmed)).toEqual([]);
    expect(stageLines(rearmed, next)).toEqual([
      'step 2: 50 % to green',
      `paused at step 2 (50 % to green) since ${at(90)}; \`switchyard promote\` ends it now`,
    ]);
  });
});

describe('hookLines', () => {
  const ran = (...names: string[]) => ({
    invoked: names.map((functionName) => ({ functionName, durationMs: 40, status: 'Succeeded' })),
    at: at(30),
  });

  it('says which hooks of each event ran, in lifecycle order, each once, from the record', () => {
    const first = record({ hooks: { BeforeInstall: ran('migrate') } });
    const later = record({
      hooks: {
        AfterAllowTestTraffic: ran('smoke', 'contract'),
        BeforeInstall: ran('migrate'),
        AfterInstall: { invoked: [], at: at(40) },
      },
    });

    expect(hookLines(undefined, first)).toEqual(['hooks BeforeInstall: migrate succeeded (40 ms)']);
    expect(hookLines(first, later)).toEqual([
      'hooks AfterAllowTestTraffic: smoke succeeded (40 ms), contract succeeded (40 ms)',
    ]);
    expect(hookLines(later, later)).toEqual([]);
    // Said with the stage lines, between green and the first step, as `deploy --follow` and `status --follow` print them.
    expect(stageLines(first, later)).toContain(
      'hooks AfterAllowTestTraffic: smoke succeeded (40 ms), contract succeeded (40 ms)',
    );
  });
});
