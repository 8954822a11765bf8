/**
 * The waits of statemachine/pipeline.asl.json (issue 13): each callback wait hands its function the token and the
 * same seconds its HeartbeatSecondsPath waits (the local runner reads them from the payload), ends on
 * States.HeartbeatTimeout into its own check rather than a retry, and never lets anything else slip past Rollback;
 * WaitForBuild repeats StartBuild's request field by field and leaves every outcome to CheckBuild.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitedSeconds } from '../../functions/lib/deploy/pause-wait';

interface State {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  HeartbeatSecondsPath?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Next?: string;
}

const states = (
  JSON.parse(readFileSync(join(__dirname, '../../statemachine/pipeline.asl.json'), 'utf8')) as {
    States: Record<string, State>;
  }
).States;
const callbackWaits = Object.entries(states).filter(([, s]) => s.Resource?.endsWith('.waitForTaskToken'));
// The lock's wait ends into AcquireLock, before anything to roll back: test/unit/record/lock-wait.test.ts.
const pauseWaits = callbackWaits.filter(([name]) => name !== 'WaitForLock');

describe('the callback waits of the machine', () => {
  it('are the pause, the bake and the wait for the lock', () => {
    expect(callbackWaits.map(([name]) => name).sort()).toEqual(['WaitForLock', 'WaitInBake', 'WaitInPause']);
  });

  it.each(callbackWaits)(
    '%s hands its function the token and the seconds of its heartbeat',
    (_name, state) => {
      const payload = state.Parameters?.Payload as Record<string, string>;
      expect(payload['taskToken.$']).toBe('$$.Task.Token');
      expect(state.HeartbeatSecondsPath).toBeDefined();
      expect(payload['waitSeconds.$']).toBe(state.HeartbeatSecondsPath);
    },
  );

  it.each(pauseWaits)(
    '%s ends its wait into a check, rolls back on anything else, and never retries a heartbeat timeout',
    (_name, state) => {
      const [heartbeat, rest] = state.Catch ?? [];
      expect(heartbeat).toMatchObject({
        ErrorEquals: ['States.HeartbeatTimeout'],
        Next: state.Next,
        ResultPath: '$.pauseWake',
      });
      expect(rest).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'Rollback' });
      expect((state.Retry ?? []).flatMap((r) => r.ErrorEquals)).not.toContain('States.HeartbeatTimeout');
      expect(states[state.Next ?? '']?.Type).toBe('Choice');
    },
  );
});

describe('WaitForBuild', () => {
  const wait = states.WaitForBuild as State;

  it('lets Step Functions wait for the build StartBuild started: its own request again, field by field', () => {
    expect(wait.Resource).toBe('arn:aws:states:::codebuild:startBuild.sync');
    for (const [key, path] of Object.entries(wait.Parameters ?? {})) {
      expect(path).toBe(`$.build.request.${key.replace(/\.\$$/, '')}`);
    }
    expect(Object.keys(wait.Parameters ?? {})).toEqual(
      expect.arrayContaining([
        'ProjectName.$',
        'SourceVersion.$',
        'IdempotencyToken.$',
        'BuildspecOverride.$',
      ]),
    );
  });

  it('leaves every end of the wait to CheckBuild, which polls on only if the build still runs', () => {
    expect(wait.Next).toBe('CheckBuild');
    expect(wait.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.buildWait', Next: 'CheckBuild' },
    ]);
    expect(states.PollBuild).toMatchObject({ Type: 'Wait', Next: 'CheckBuild' });
  });
});

describe('waitedSeconds', () => {
  it('counts a whole wait after its heartbeat ran out, as the machine waited it', () => {
    expect(waitedSeconds(300, { Error: 'States.HeartbeatTimeout' })).toBe(300);
  });

  it('counts the time from arming to the wake after a wake, never more than the wait', () => {
    const armedAt = '2026-11-26T12:00:00.000Z';
    expect(waitedSeconds(300, { status: 'WOKEN', armedAt, at: '2026-11-26T12:01:10.500Z' })).toBe(70);
    expect(waitedSeconds(300, { status: 'WOKEN', armedAt, at: '2026-11-26T13:00:00.000Z' })).toBe(300);
    expect(waitedSeconds(300, { status: 'WOKEN' })).toBe(0);
  });
});
