/**
 * The Retry of every Task state of statemachine/pipeline.asl.json: each retries every transient failure of a Lambda
 * invocation (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html) and our own
 * TransientAwsError, and a Lambda timeout a bounded number of times (once for the hook states, whose hooks run
 * again); Rollback's catch-all retries are bounded in count and in total wait
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}
interface State {
  Type: string;
  Retry?: Retrier[];
  Branches?: { States: Record<string, State> }[];
}

const definition = JSON.parse(
  readFileSync(join(__dirname, '../../statemachine/pipeline.asl.json'), 'utf8'),
) as { States: Record<string, State> };

/** Every Task state, in Parallel branches too. */
function taskStates(states: Record<string, State>): [string, State][] {
  return Object.entries(states).flatMap(([name, state]) => [
    ...(state.Type === 'Task' ? [[name, state] as [string, State]] : []),
    ...(state.Branches ?? []).flatMap((branch) => taskStates(branch.States)),
  ]);
}

const TRANSIENT = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'TransientAwsError',
];
const TIMEOUTS = ['Lambda.Unknown', 'Sandbox.Timedout', 'States.Timeout'];
const HOOK_STATES = [
  'BeforeInstallHooks',
  'AfterInstallHooks',
  'AfterAllowTestTrafficHooks',
  'BeforeAllowTrafficHooks',
  'AfterAllowTrafficHooks',
];

/** The retrier that handles `error` (the first whose ErrorEquals names it, or States.ALL), as Step Functions picks it. */
function retrierFor(state: State, error: string): Retrier | undefined {
  return (state.Retry ?? []).find(
    (retrier) => retrier.ErrorEquals.includes(error) || retrier.ErrorEquals.includes('States.ALL'),
  );
}

/** The longest a retrier can wait in all, before jitter: Σ min(interval × rate^n, max delay). */
function worstWaitSeconds(retrier: Retrier): number {
  const { IntervalSeconds = 1, MaxAttempts = 3, BackoffRate = 2, MaxDelaySeconds = Infinity } = retrier;
  let total = 0;
  for (let n = 0; n < MaxAttempts; n += 1)
    total += Math.min(IntervalSeconds * BackoffRate ** n, MaxDelaySeconds);
  return total;
}

const tasks = taskStates(definition.States);

/** A Task state by name; a renamed state fails here, naming it. */
function task(name: string): State {
  const found = tasks.find(([n]) => n === name)?.[1];
  if (!found) throw new Error(`statemachine/pipeline.asl.json has no Task state ${name}`);
  return found;
}

describe('the Retry of the state machine', () => {
  it('has the task states it is about', () => {
    expect(tasks.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'Prepare',
        'CreateGreen',
        'ShiftTraffic',
        'Finalize',
        'Rollback',
        ...HOOK_STATES,
      ]),
    );
  });

  it.each(tasks)('retries every transient error in %s, with backoff and a bounded count', (_name, state) => {
    for (const error of [...TRANSIENT, ...TIMEOUTS]) {
      const retrier = retrierFor(state, error);
      expect({ error, retrier: retrier !== undefined }).toEqual({ error, retrier: true });
      expect(retrier?.MaxAttempts).toBeGreaterThanOrEqual(1);
      expect(retrier?.MaxAttempts).toBeLessThanOrEqual(8);
      expect(retrier?.BackoffRate ?? 2).toBeGreaterThanOrEqual(1.5);
    }
  });

  it('repeats a hook state at most once after a Lambda timeout, as a hook runs again', () => {
    for (const name of HOOK_STATES) {
      for (const error of TIMEOUTS)
        expect([name, retrierFor(task(name), error)?.MaxAttempts]).toEqual([name, 1]);
    }
  });

  it('bounds the Rollback retries: at most 8, each wait capped, under five minutes in all', () => {
    const rollback = task('Rollback');
    for (const retrier of rollback.Retry ?? []) {
      expect(retrier.MaxAttempts).toBeLessThanOrEqual(8);
      expect(retrier.MaxDelaySeconds).toBeLessThanOrEqual(60);
      expect(worstWaitSeconds(retrier)).toBeLessThan(300);
    }
    for (const error of [...TRANSIENT, ...TIMEOUTS, 'WeightsMismatchError'])
      expect(retrierFor(rollback, error)).toBeDefined();
  });

  it('never retries an error of the input or the configuration outside Rollback, which fails the same way again', () => {
    for (const [name, state] of tasks.filter(([n]) => n !== 'Rollback')) {
      for (const error of ['InvalidInputError', 'ConfigurationError', 'States.ALL']) {
        expect([name, error, retrierFor(state, error)]).toEqual([name, error, undefined]);
      }
    }
  });
});
