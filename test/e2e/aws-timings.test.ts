/**
 * The pipeline against an emulator that takes time as AWS does (issue 11): tasks that start over a while, targets
 * `initial` before `healthy`, `unused` in a group no listener forwards to, `draining` after their task set is
 * deleted. CheckGreen must wait through the first and refuse to call the second ready.
 */
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalHandler, type LocalStack, runPipeline } from '../../cli/local/state-machine';
import { handler as checkGreen } from '../../functions/check-green/handler';
import { setWeights } from '../../functions/lib/deploy/listener';
import { sampleRepository } from '../support/fake-codecommit';
import { logMessages } from '../support/function-logs';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

const elbv2 = new ElasticLoadBalancingV2Client({});

describe('the pipeline on an emulator as slow as AWS', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWith(parameters: Record<string, string> = {}) {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080 },
    });
    return stack as LocalStack & { target: BlueGreenFixture };
  }

  const run = (
    stack: LocalStack,
    executionName: string,
    commitId: string,
    handlers?: Record<string, LocalHandler>,
  ) => runPipeline({ input: pushOf(commitId), stack, executionName, waitMs: () => 20, handlers });

  const greenSummaries = (logs: string[]) =>
    logMessages(logs, 'CheckGreenFunction').filter((message) => message.startsWith('green '));

  it('waits while green starts and passes its first health checks, then deploys; blue drains', async () => {
    // 0.6 s of start, 0.6 s of first check (30 s x 0.02), blue draining 300 s x 0.02 = 6 s after Finalize.
    const stack = await stackWith();
    await moto.setTimings({ taskStartSeconds: 0.6, healthCheckScale: 0.02, deregistrationScale: 0.02 });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, 'slow-green', repo.commitId);

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    const summaries = greenSummaries(result.logs);
    expect(summaries.at(-1)).toMatch(/^green ready: 2 healthy target\(s\), 2 wanted, task set STEADY_STATE$/);
    const waits = summaries.slice(0, -1);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((summary) => summary.startsWith('green not ready: '))).toBe(true);
    expect(waits.join('\n')).toMatch(
      /still in their initial health checks: .* initial \(Elb\.(RegistrationInProgress|InitialHealthChecking)/,
    );

    const [record] = await deploymentRecords(stack);
    const { blue, green } = stack.target.targetGroups;
    expect(await production(stack.target)).toEqual({
      weights: { [green]: 100, [blue]: 0 },
      primary: record?.taskDefinitionArn,
      taskSets: 1,
    });
    // The old task set's targets leave blue as AWS lets them: draining first, not gone at once.
    const { TargetHealthDescriptions = [] } = await elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: blue }),
    );
    expect(TargetHealthDescriptions.map((d) => d.TargetHealth?.Reason)).toEqual([
      'Target.DeregistrationInProgress',
      'Target.DeregistrationInProgress',
    ]);
  });

  it('never calls targets the load balancer does not check ready: green taken out of the listener rolls back', async () => {
    const stack = await stackWith({ GreenHealthTimeoutMinutes: '0.02' });
    await moto.setTimings({ healthCheckScale: 0.01 });
    const [repo] = await serve(sampleRepository());
    // Someone puts production back on blue alone between CreateGreen and the first check.
    let removed = false;
    const removeGreenFirst: LocalHandler = async (event, context) => {
      if (!removed) {
        removed = true;
        await setWeights(elbv2, stack.target.listenerArn, { [stack.target.targetGroups.blue]: 100 });
      }
      return checkGreen(event as never, context as never);
    };

    const result = await run(stack, 'unused-green', repo.commitId, { CheckGreenFunction: removeGreenFirst });

    expect(result).toMatchObject({ status: 'FAILED', error: { name: 'GreenUnhealthyError' } });
    expect(result.error?.cause).toMatch(
      /2 target\(s\) unused, so the load balancer does not health-check them .*Target\.NotInUse/,
    );
    expect(greenSummaries(result.logs).every((summary) => summary.startsWith('green not ready: '))).toBe(
      true,
    );
    expect(result.statesVisited).toContain('Rollback');
  });
});
