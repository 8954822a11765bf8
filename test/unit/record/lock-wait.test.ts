/**
 * The wait for the service's lock (issue 13): its safety check grows with the time waited, so that a wait as long
 * as an execution may last costs a bounded number of history events; the cycle those events are counted from is
 * the machine's own (AcquireLock → IsLockAcquired → WaitForLock → AcquireLock), and WaitForLock is a callback wait
 * that ends into AcquireLock.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LOCK_POLL_MAX_SECONDS,
  LOCK_POLL_SECONDS,
  LOCK_WAIT_CYCLE_EVENTS,
  LOCK_WAIT_END_EVENTS,
  LONGEST_EXECUTION_SECONDS,
  lockPollSeconds,
  lockWaitHistoryEvents,
  waitedSince,
} from '../../../functions/lib/record/lock-wait';

interface State {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName?: string; Payload?: Record<string, string> };
  HeartbeatSecondsPath?: string;
  Retry?: { ErrorEquals: string[] }[];
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Choices?: { Next: string }[];
  Default?: string;
  Next?: string;
}

const states = (
  JSON.parse(readFileSync(join(__dirname, '../../../statemachine/pipeline.asl.json'), 'utf8')) as {
    States: Record<string, State>;
  }
).States;

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * History events of one visit of a state, by kind (HistoryEvent types of the Step Functions API reference): a
 * Lambda Task entered, LambdaFunctionScheduled, Started, Succeeded, exited; a Choice entered and exited; a callback
 * Task entered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded or TaskTimedOut, exited.
 */
function eventsOf(state: State): number {
  if (state.Type === 'Choice') return 2;
  if (state.Type === 'Task' && state.Resource?.endsWith('.waitForTaskToken')) return 6;
  if (state.Type === 'Task' && /^\$\{\w+FunctionArn\}$/.test(state.Resource ?? '')) return 5;
  throw new Error(`no event count for a ${state.Type} state`);
}

describe('the safety check of a lock wait', () => {
  it('starts at a minute, lasts a quarter of the time waited, and never more than a day', () => {
    expect(lockPollSeconds(0)).toBe(LOCK_POLL_SECONDS);
    expect(LOCK_POLL_SECONDS).toBe(60);
    expect(lockPollSeconds(4 * 60)).toBe(60);
    expect(lockPollSeconds(HOUR)).toBe(900);
    expect(lockPollSeconds(2 * DAY)).toBe(DAY / 2);
    expect(lockPollSeconds(30 * DAY)).toBe(LOCK_POLL_MAX_SECONDS);
    expect(LOCK_POLL_MAX_SECONDS).toBe(DAY);
    expect(lockPollSeconds(-5)).toBe(60);
  });

  it('never shrinks as the wait goes on', () => {
    let last = 0;
    for (let waited = 0; waited < 40 * DAY; waited += 997) {
      expect(lockPollSeconds(waited)).toBeGreaterThanOrEqual(last);
      last = lockPollSeconds(waited);
    }
  });

  it('counts the time waited from waitingSince, 0 when it cannot be read', () => {
    const now = new Date('2026-11-26T13:00:00.000Z');
    expect(waitedSince('2026-11-26T12:00:00.000Z', now)).toBe(HOUR);
    expect(waitedSince('not a date', now)).toBe(0);
    expect(waitedSince('2026-11-26T14:00:00.000Z', now)).toBe(0);
  });
});

describe('the history events of a lock wait', () => {
  it('counts the cycle the machine runs: AcquireLock, IsLockAcquired, WaitForLock, back to AcquireLock', () => {
    const acquire = states.AcquireLock as State;
    const choice = states[acquire.Next ?? ''] as State;
    const wait = states[choice.Default ?? ''] as State;
    expect([acquire.Next, choice.Default, wait.Next]).toEqual([
      'IsLockAcquired',
      'WaitForLock',
      'AcquireLock',
    ]);
    expect(eventsOf(acquire) + eventsOf(choice) + eventsOf(wait)).toBe(LOCK_WAIT_CYCLE_EVENTS);
    expect(LOCK_WAIT_CYCLE_EVENTS).toBe(13);
    expect(eventsOf(acquire) + eventsOf(choice)).toBe(LOCK_WAIT_END_EVENTS);
  });

  it('costs at most 6,000 events for a wait as long as a Standard execution may last (a year)', () => {
    expect(LONGEST_EXECUTION_SECONDS).toBe(365 * DAY);
    const year = lockWaitHistoryEvents(LONGEST_EXECUTION_SECONDS);
    expect(year).toBeLessThanOrEqual(6000);
    // Pinned: a change of the backoff shows here (398 cycles of 13 events, and the AcquireLock that ends it).
    expect(year).toBe(398 * 13 + 7);
  });

  it('costs a few dozen cycles where the old 10 s poll died of the quota (7.7 h), and nothing for no wait', () => {
    expect(lockWaitHistoryEvents(0)).toBe(LOCK_WAIT_END_EVENTS);
    expect(lockWaitHistoryEvents(60)).toBe(LOCK_WAIT_CYCLE_EVENTS + LOCK_WAIT_END_EVENTS);
    expect(lockWaitHistoryEvents(61)).toBe(2 * LOCK_WAIT_CYCLE_EVENTS + LOCK_WAIT_END_EVENTS);
    expect(lockWaitHistoryEvents(7.7 * HOUR)).toBeLessThan(400);
    expect(lockWaitHistoryEvents(DAY)).toBeLessThan(500);
  });

  it('adds one cycle per wake, whatever the length of the wait', () => {
    expect(lockWaitHistoryEvents(DAY, 3) - lockWaitHistoryEvents(DAY)).toBe(3 * LOCK_WAIT_CYCLE_EVENTS);
  });
});

describe('WaitForLock', () => {
  const wait = states.WaitForLock as State;

  it('is a callback wait of AcquireLockFunction, handed the token and the seconds of its heartbeat', () => {
    expect(wait.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(wait.Parameters?.FunctionName).toMatch(/^\$\{AcquireLockFunctionArn\}$/);
    expect(wait.Parameters?.Payload).toEqual({
      'deployment.$': '$.deployment',
      'waitSeconds.$': '$.lock.pollSeconds',
      'taskToken.$': '$$.Task.Token',
    });
    expect(wait.HeartbeatSecondsPath).toBe('$.lock.pollSeconds');
  });

  it('asks for the lock again after a wake or its safety check, and records any other failure', () => {
    expect(wait.Next).toBe('AcquireLock');
    expect(wait.Catch).toEqual([
      { ErrorEquals: ['States.HeartbeatTimeout'], ResultPath: '$.lockWake', Next: 'AcquireLock' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
    ]);
    expect((wait.Retry ?? []).flatMap((r) => r.ErrorEquals)).not.toContain('States.HeartbeatTimeout');
  });
});
