/**
 * The pipeline under AWS faults, through the real state machine: about a fifth of the calls to DynamoDB, CodeBuild,
 * ECS and ELBv2 throttled or failing with a 500, before the call is applied or after (the answer lost), injected by
 * the emulator (cli/emulator/emulator_faults.py) with a seed per run. Every run must end with a record that says
 * what production does: SUCCEEDED with green serving 100 %, or ROLLED_BACK with blue serving 100 %, one PRIMARY
 * task set and no other. Then the write order: a crash between Finalize's deletion of blue and the record (in
 * Finalize, or in RecordSuccess) must not leave ROLLED_BACK or FAILED while the new revision serves everything.
 */
// First: the SDK's standard retry on, as in Lambda. A fault the SDK retries tests the call's idempotency; one it
// gives up on reaches the machine's Retry.
import '../support/sdk-retries-on';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { type FaultRule, faultCounts, setFaults } from '../../cli/emulator/moto-faults';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  runPipeline,
} from '../../cli/local/state-machine';
import { handler as finalize } from '../../functions/finalize/handler';
import { handler as recordResult } from '../../functions/record-result/handler';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf, servingStack } from '../support/pipeline';

/**
 * About a fifth of each service's calls fail: ~7 % throttled and ~6 % failing with a 500 before the call, ~7 % failing
 * with a 500 after moto applied it (a throttled call is never applied). Throttling is the smaller share only because
 * the SDK backs off from it for longer (a 500 ms base), which would make the test slow.
 */
function faultsOnEveryService(): FaultRule[] {
  return (['dynamodb', 'codebuild', 'ecs', 'elasticloadbalancing'] as const).flatMap(
    (service): FaultRule[] => [
      { service, rate: 0.07, when: 'before', error: 'throttle' },
      { service, rate: 0.06, when: 'before', error: '500' },
      { service, rate: 0.07, when: 'after', error: '500' },
    ],
  );
}

/** A crash of the process between two writes, as a non-transient error no Retry matches. */
class Crash extends Error {
  override name = 'SimulatedCrash';
}

describe('the pipeline under injected AWS faults', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stack() {
    await moto.setBuildExecutor();
    return servingStack();
  }

  const run = (
    s: LocalStack,
    commitId: string,
    handlers?: Record<string, LocalHandler>,
  ): Promise<RunResult> =>
    runPipeline({
      input: pushOf(commitId),
      stack: s,
      executionName: 'faults',
      waitMs: () => 10,
      handlers,
      onEvent: (e) => {
        if (process.env.DEBUG_RUN && (e.type === 'state-failed' || e.type === 'listener-failed'))
          process.stderr.write(`${JSON.stringify(e)}\n`);
      },
      onLog: (line) => {
        if (process.env.DEBUG_RUN && /CleanUp|ERROR|rolled back/.test(line))
          process.stderr.write(`${line}\n`);
      },
    });

  /** The record's status and what production does, read once the faults are off. */
  async function outcome(s: LocalStack & { target: BlueGreenFixture }) {
    const [record, ...others] = await deploymentRecords(s);
    const { green, blue } = s.target.targetGroups;
    const now = await production(s.target);
    const expected =
      record?.status === 'SUCCEEDED'
        ? { weights: { [green]: 100, [blue]: 0 }, primary: record.taskDefinitionArn, taskSets: 1 }
        : { weights: { [blue]: 100, [green]: 0 }, primary: s.target.taskDefinitionArn, taskSets: 1 };
    return { record, others: others.length, now, expected };
  }

  it.each([1, 2, 3])(
    'deploys through the faults with seed %i, ending with a record that matches production',
    async (seed) => {
      const s = await stack();
      const [repo] = await serve(sampleRepository());
      await setFaults(moto.endpoint, faultsOnEveryService(), seed);

      const result = await run(s, repo.commitId);

      const counts = await faultCounts(moto.endpoint);
      await setFaults(moto.endpoint, []);
      const { record, others, now, expected } = await outcome(s);
      // Never a false failure: every fault is retried (by the SDK, then by the machine) until the run deploys.
      expect({ run: result.status, record: record?.status }).toEqual({
        run: 'SUCCEEDED',
        record: 'SUCCEEDED',
      });
      expect(others).toBe(0);
      // Green serves 100 %, is the one PRIMARY task set, and no other task set is left (taskSets: 1).
      expect(now).toEqual(expected);
      // The faults were there to be survived: many, before and after the call, in most of the services.
      expect(counts.total).toBeGreaterThanOrEqual(10);
      expect(new Set(counts.faults.map((fault) => fault.when))).toEqual(new Set(['before', 'after']));
      expect(new Set(counts.faults.map((fault) => fault.service)).size).toBeGreaterThanOrEqual(3);
      if (process.env.DEBUG_RUN) process.stderr.write(`seed ${seed}: ${JSON.stringify(counts.faults)}\n`);
    },
    60_000,
  );

  it('records SUCCEEDED, not ROLLED_BACK, when Finalize fails after deleting blue', async () => {
    const s = await stack();
    const [repo] = await serve(sampleRepository());
    const crashAfterFinalize: LocalHandler = async (event, context) => {
      await finalize(event as never, context);
      throw new Crash('the process died after Finalize deleted blue, before it answered');
    };

    const result = await run(s, repo.commitId, { FinalizeFunction: crashAfterFinalize });

    expect(result.statesVisited).toEqual(expect.arrayContaining(['Finalize', 'Rollback', 'RecordRollback']));
    const { record, now, expected } = await outcome(s);
    expect(record).toMatchObject({ status: 'SUCCEEDED', error: { name: 'SimulatedCrash' } });
    expect(now).toEqual(expected);
    expect(now.weights[s.target.targetGroups.green]).toBe(100);
  }, 60_000);

  it('records SUCCEEDED, not FAILED, when RecordSuccess fails after Finalize (CleanUp closes the record)', async () => {
    const s = await stack();
    const [repo] = await serve(sampleRepository());
    const successLost: LocalHandler = async (event, context) => {
      if ((event as { status?: string }).status === 'SUCCEEDED') throw new Crash('RecordSuccess never wrote');
      return recordResult(event as never, context);
    };

    const result = await run(s, repo.commitId, { RecordResultFunction: successLost });

    expect(result.status).toBe('FAILED');
    const { record, now, expected } = await outcome(s);
    expect(record).toMatchObject({ status: 'SUCCEEDED', error: { name: 'ExecutionFailed' } });
    expect(now).toEqual(expected);
    expect(now.weights[s.target.targetGroups.green]).toBe(100);
  }, 60_000);
});
