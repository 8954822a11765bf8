import { type LocalStack, type RunEvent, type RunResult, startPipeline } from '../../cli/local/state-machine';
import { handler as checkBuild } from '../../functions/check-build/handler';
import { handler as createGreen } from '../../functions/create-green/handler';
import { type FakeRepository, sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf, servingStack } from '../support/pipeline';

type Record = { [field: string]: unknown };

describe('newest commit wins, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWith(mode: 'SUPERSEDED' | 'QUEUED') {
    await moto.setBuildExecutor();
    return servingStack({ ExecutionMode: mode });
  }

  /** Five commits on the sample repository's branch, each a minute after the last, each serving another version. */
  function serveFive() {
    const version = (n: number): FakeRepository => {
      const repo = sampleRepository();
      repo.message = `Serve v${n}`;
      repo.author = { ...repo.author, date: `2026-11-20T10:0${n}:00Z` };
      repo.files['src/server.js'] = { content: `console.log("v${n}");\n` };
      return repo;
    };
    return serve(version(1), version(2), version(3), version(4), version(5));
  }

  /** The push event of `commit`, which moved the branch from `previous`, at `time`. */
  const push = (commit: string, previous: string | undefined, time: string) => {
    const event = pushOf(commit);
    return { ...event, time, detail: { ...event.detail, oldCommitId: previous } };
  };

  /** CheckBuild held until the test lets the build of a commit end: the order in which builds finish. */
  function buildGates() {
    const opened = new Map<string, () => void>();
    const gates = new Map<string, Promise<void>>();
    const gate = (commit: string) => {
      if (!gates.has(commit)) gates.set(commit, new Promise<void>((open) => opened.set(commit, open)));
      return gates.get(commit) as Promise<void>;
    };
    return {
      handlers: {
        CheckBuildFunction: async (event: unknown, context: unknown) => {
          await gate((event as { deployment: { commitId: string } }).deployment.commitId);
          return (checkBuild as (e: unknown, c: unknown) => Promise<unknown>)(event, context);
        },
      },
      open: (commit: string) => {
        gate(commit);
        opened.get(commit)?.();
      },
    };
  }

  /** Starts a run; `reached(state, predicate)` resolves when the run leaves that state with a matching output. */
  function start(
    stack: LocalStack,
    input: unknown,
    name: string,
    handlers?: ReturnType<typeof buildGates>['handlers'],
  ) {
    const waiters: { state: string; test: (output: Record) => boolean; done: () => void }[] = [];
    const run = startPipeline({
      input,
      stack,
      executionName: name,
      waitMs: () => 10,
      handlers,
      onEvent: (event: RunEvent) => {
        if (event.type !== 'state-exited') return;
        for (const waiter of waiters.filter(
          (w) => w.state === event.state && w.test(event.output as Record),
        )) {
          waiter.done();
        }
      },
    });
    const reached = (state: string, test: (output: Record) => boolean = () => true) =>
      new Promise<void>((done) => waiters.push({ state, test, done }));
    return { result: run.result, reached };
  }

  const lockStatus = (status: string) => (output: Record) =>
    (output.lock as Record | undefined)?.status === status;
  const byCommit = async (stack: LocalStack) =>
    new Map((await deploymentRecords(stack)).map((record) => [String(record.commitId), record as Record]));

  it('SUPERSEDED: the last pushed commit ends live although its build ended first; an older one pushed again ends superseded', async () => {
    const stack = await stackWith('SUPERSEDED');
    const commits = (await serveFive()).map((c) => c.commitId);
    const gates = buildGates();
    // The newest deployment creates green only once the fourth has reached the lock, so that it finds it deploying.
    let fourthEnded: () => void = () => undefined;
    const fourthDone = new Promise<void>((done) => {
      fourthEnded = done;
    });
    const handlers = {
      ...gates.handlers,
      CreateGreenFunction: async (event: unknown, context: unknown) => {
        if ((event as { deployment: { commitId: string } }).deployment.commitId === commits[4])
          await fourthDone;
        return (createGreen as (e: unknown, c: unknown) => Promise<unknown>)(event, context);
      },
    };
    const runs = commits.map((commit, i) =>
      start(stack, push(commit, commits[i - 1], `2026-11-26T12:00:0${i}Z`), `push-${i + 1}`, handlers),
    );

    // The newest build ends first and takes the lock; the fourth ends while it deploys; the rest after it is live.
    gates.open(commits[4] as string);
    await runs[4]?.reached('AcquireLock', lockStatus('ACQUIRED'));
    gates.open(commits[3] as string);
    await runs[3]?.result;
    fourthEnded();
    await runs[4]?.result;
    for (const commit of commits.slice(0, 3).reverse()) gates.open(commit);
    const results: RunResult[] = await Promise.all(runs.map((run) => run.result));

    expect(results.map((r) => r.status)).toEqual(Array(5).fill('SUCCEEDED'));
    const records = await byCommit(stack);
    const newest = records.get(commits[4] as string);
    expect(newest).toMatchObject({ status: 'SUCCEEDED', trigger: 'push' });
    expect(records.get(commits[3] as string)).toMatchObject({
      status: 'SUPERSEDED',
      supersededBy: { commitId: commits[4] },
      supersededReason: expect.stringContaining('which is deploying'),
    });
    for (const commit of commits.slice(0, 3)) {
      expect(records.get(commit)).toMatchObject({
        status: 'SUPERSEDED',
        supersededBy: { commitId: commits[4] },
        supersededReason: expect.stringContaining('older than the live'),
      });
    }
    expect((await production(stack.target)).primary).toBe(newest?.taskDefinitionArn);

    // The second commit pushed again (the branch moved back to it): older than the live commit by git ancestry,
    // though pushed later.
    const again = await start(
      stack,
      push(commits[1] as string, commits[4], '2026-11-26T12:05:00Z'),
      'push-2-again',
    ).result;
    expect(again.statesVisited).toContain('RecordSuperseded');
    const repushed = (await deploymentRecords(stack)).find((r) => r.deploymentId === 'push-2-again');
    expect(repushed).toMatchObject({
      status: 'SUPERSEDED',
      pushOrder: { olderThan: expect.arrayContaining([commits[4]]) },
      supersededReason: expect.stringContaining('older than the live'),
    });
    expect((await production(stack.target)).primary).toBe(newest?.taskDefinitionArn);

    // An operator may still deploy that commit by hand; its record says it is exempt from the push order.
    const manual = await start(stack, { commitId: commits[1] }, 'manual-2').result;
    expect(manual.status).toBe('SUCCEEDED');
    const record = (await deploymentRecords(stack)).find((r) => r.deploymentId === 'manual-2');
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      trigger: 'manual',
      ordering: expect.stringContaining('exempt'),
    });
    expect((await production(stack.target)).primary).toBe(record?.taskDefinitionArn);
  });

  it('QUEUED: all five deploy in push order although their builds end newest first and they share one second', async () => {
    const stack = await stackWith('QUEUED');
    const commits = (await serveFive()).map((c) => c.commitId);
    const gates = buildGates();
    const runs = commits.map((commit, i) =>
      start(stack, push(commit, commits[i - 1], '2026-11-26T12:00:00Z'), `push-${i + 1}`, gates.handlers),
    );

    // The newest build ends first and waits at the lock for the older pushes still building.
    gates.open(commits[4] as string);
    await runs[4]?.reached('AcquireLock', lockStatus('WAITING'));
    for (const commit of commits.slice(0, 4).reverse()) gates.open(commit);
    const results = await Promise.all(runs.map((run) => run.result));

    expect(results.map((r) => r.status)).toEqual(Array(5).fill('SUCCEEDED'));
    const records = await byCommit(stack);
    const finished = commits.map((commit) => records.get(commit));
    expect(finished.map((r) => r?.status)).toEqual(Array(5).fill('SUCCEEDED'));
    const finishedAt = finished.map((r) => String(r?.finishedAt));
    expect([...finishedAt].sort()).toEqual(finishedAt);
    expect((await production(stack.target)).primary).toBe(finished[4]?.taskDefinitionArn);
  });
});
