/**
 * The wait for the service's lock through the real state machine (issue 13): a deployment that waits while another
 * holds the lock in a manual pause is one callback wait (WaitForLock), woken when its turn may have come. Every
 * WaitForLock here lasts longer than the test may run, so a waiter that moves on in time was woken: by the
 * holder's end, by `switchyard abort`, or by a newer push that supersedes it. The count of WaitForLock visits is
 * the execution history's cost of the wait (13 events each: functions/lib/record/lock-wait.ts).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  startPipeline,
} from '../../cli/local/state-machine';
import { flagRunningDeployment } from '../../cli/stack/actions';
import { wakeFlagged } from '../../cli/stack/wake';
import { handler as acquireLock } from '../../functions/acquire-lock/handler';
import { handler as checkPause } from '../../functions/check-pause/handler';
import { type FakeRepository, sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf, servingStack } from '../support/pipeline';

/** Longer than the test may run (jest's 60 s): a wait that ends in time was woken. */
const LONG_WAIT_MS = 50_000;
const MANUAL = JSON.stringify([{ greenPercent: 20, pause: 'manual' }, { greenPercent: 100 }]);
const dynamodb = new DynamoDBClient({});
const sfn = new SFNClient({});

type Event = { deployment: { id: string } };

/** A promise and the function that resolves it. */
function signal() {
  let done: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { reached, done };
}

describe('the wait for the lock, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  /** Sets a flag on one deployment as `switchyard promote` / `abort` do, then wakes it as they do. */
  async function operator(
    stack: LocalStack,
    deploymentId: string,
    flag: 'promoteRequested' | 'abortRequested',
  ) {
    const tableName = stack.resources.DeploymentsTable as string;
    const record = await flagRunningDeployment({
      clients: { dynamodb },
      target: { tableName, repository: 'switchyard-sample-app' },
      flag,
      deploymentId,
      now: new Date(),
      by: 'alice',
    });
    return wakeFlagged({ sfn, dynamodb }, tableName, record, flag, 'alice');
  }

  /**
   * Runs of one stack whose manual pause is promoted at once, except the holder's (`holderId`), which pauses
   * until the test says; `paused` and `armed(id)` say when the holder is in its pause and a waiter in WaitForLock.
   */
  function runs(stack: LocalStack, holderId: string) {
    const paused = signal();
    const armed = new Map<string, ReturnType<typeof signal>>();
    const armedOf = (id: string) => {
      if (!armed.has(id)) armed.set(id, signal());
      return armed.get(id) as ReturnType<typeof signal>;
    };
    const handlers: Record<string, LocalHandler> = {
      CheckPauseFunction: async (event, context) => {
        const out = await checkPause(event as never, context as never);
        const id = (event as Event).deployment.id;
        if ((out as { armed?: boolean }).armed) {
          if (id === holderId) paused.done();
          else await operator(stack, id, 'promoteRequested');
        }
        return out;
      },
      AcquireLockFunction: async (event, context) => {
        const out = await acquireLock(event as never, context as never);
        if ((out as { armed?: boolean }).armed) armedOf((event as Event).deployment.id).done();
        return out;
      },
    };
    const start = (input: unknown, name: string) =>
      startPipeline({
        input,
        stack,
        executionName: name,
        waitMs: (state) => (state === 'WaitForLock' || state === 'WaitInPause' ? LONG_WAIT_MS : 10),
        handlers,
      }).result;
    return { start, paused: paused.reached, armed: (id: string) => armedOf(id).reached };
  }

  /** Three commits that serve v1, v2, v3 in order, each a minute after the last. */
  async function commits(): Promise<string[]> {
    const version = (n: number): FakeRepository => {
      const repo = sampleRepository();
      repo.message = `Serve v${n}`;
      repo.author = { ...repo.author, date: `2026-11-20T10:0${n}:00Z` };
      repo.files['src/server.js'] = { content: `console.log("v${n}");\n` };
      return repo;
    };
    return (await serve(version(1), version(2), version(3))).map((repo) => repo.commitId);
  }

  /** The push event of `commit`, which moved the branch from `previous`, at second `second`. */
  const push = (commit: string, previous: string | undefined, second: number) => {
    const event = pushOf(commit);
    const time = `2026-11-26T12:00:0${second}Z`;
    return { ...event, time, detail: { ...event.detail, oldCommitId: previous } };
  };

  const visits = (result: RunResult, state: string) => result.statesVisited.filter((s) => s === state).length;
  const fromState = (result: RunResult, state: string) =>
    result.statesVisited.slice(result.statesVisited.indexOf(state));
  const recordOf = async (stack: LocalStack, id: string) =>
    (await deploymentRecords(stack)).find((record) => record.deploymentId === id);

  it('a deployment waiting behind a manual pause starts as soon as the holder ends, after one wait', async () => {
    await moto.setBuildExecutor();
    const stack = await servingStack({ TrafficStrategy: MANUAL, ExecutionMode: 'QUEUED' });
    const [v1, v2] = await commits();
    const pipeline = runs(stack, 'first');

    const first = pipeline.start(push(v1 as string, undefined, 1), 'first');
    await pipeline.paused;
    const second = pipeline.start(push(v2 as string, v1, 2), 'second');
    await pipeline.armed('second');
    await operator(stack, 'first', 'promoteRequested');
    const [one, two] = await Promise.all([first, second]);

    expect([one.status, two.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // One wait, ended by the holder's release (RecordSuccess), then the lock at once: no safety check ran out.
    expect(visits(two, 'WaitForLock')).toBe(1);
    expect(fromState(two, 'WaitForLock').slice(0, 4)).toEqual([
      'WaitForLock',
      'AcquireLock',
      'IsLockAcquired',
      'InitializeGreen',
    ]);
    expect((two.output as { lockWake?: unknown }).lockWake).toMatchObject({
      status: 'WOKEN',
      by: 'deployment first ended',
    });
    expect(await recordOf(stack, 'second')).toMatchObject({ status: 'SUCCEEDED' });
    expect((await production(stack.target)).primary).toBe(
      (await recordOf(stack, 'second'))?.taskDefinitionArn,
    );
  });

  it('abort of a deployment waiting for the lock ends it ABORTED at once, the holder untouched', async () => {
    await moto.setBuildExecutor();
    const stack = await servingStack({ TrafficStrategy: MANUAL, ExecutionMode: 'QUEUED' });
    const [v1, v2] = await commits();
    const pipeline = runs(stack, 'first');

    const first = pipeline.start(push(v1 as string, undefined, 1), 'first');
    await pipeline.paused;
    const second = pipeline.start(push(v2 as string, v1, 2), 'second');
    await pipeline.armed('second');
    const woken = await operator(stack, 'second', 'abortRequested');
    const two = await second;

    expect(woken).toMatchObject({ wokenFromPause: false, wokenFromLockWait: true });
    expect(two.error?.name).toBe('DeploymentAbortedError');
    expect(visits(two, 'WaitForLock')).toBe(1);
    expect(fromState(two, 'WaitForLock')).toEqual(['WaitForLock', 'AcquireLock', 'RecordAborted', 'Aborted']);
    expect(await recordOf(stack, 'second')).toMatchObject({ status: 'ABORTED' });
    expect(await recordOf(stack, 'first')).toMatchObject({ status: 'RUNNING' });

    await operator(stack, 'first', 'promoteRequested');
    expect((await first).status).toBe('SUCCEEDED');
  });

  it('SUPERSEDED: a newer push ends an older waiter SUPERSEDED at once, and goes next', async () => {
    await moto.setBuildExecutor();
    const stack = await servingStack({ TrafficStrategy: MANUAL, ExecutionMode: 'SUPERSEDED' });
    const [v1, v2, v3] = await commits();
    const pipeline = runs(stack, 'first');

    const first = pipeline.start(push(v1 as string, undefined, 1), 'first');
    await pipeline.paused;
    const second = pipeline.start(push(v2 as string, v1, 2), 'second');
    await pipeline.armed('second');
    const third = pipeline.start(push(v3 as string, v2, 3), 'third');
    const two = await second;

    expect(two.status).toBe('SUCCEEDED');
    expect(visits(two, 'WaitForLock')).toBe(1);
    expect(fromState(two, 'WaitForLock')).toEqual([
      'WaitForLock',
      'AcquireLock',
      'IsLockAcquired',
      'RecordSuperseded',
      'Superseded',
    ]);
    expect(await recordOf(stack, 'second')).toMatchObject({
      status: 'SUPERSEDED',
      supersededBy: { deploymentId: 'third' },
    });

    await operator(stack, 'first', 'promoteRequested');
    const [one, three] = await Promise.all([first, third]);
    expect([one.status, three.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    // Woken by the superseded waiter's release and by the holder's: never by a safety check.
    expect(visits(three, 'WaitForLock')).toBeLessThanOrEqual(2);
    expect(await recordOf(stack, 'third')).toMatchObject({ status: 'SUCCEEDED' });
  });
});
