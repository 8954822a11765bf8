/**
 * Listener rules through the real state machine, from a push: a production listener with a path rule forwarding
 * to blue and a rule that authenticates with OpenID Connect before forwarding to blue. A canary deployment moves
 * both rules with the default action at each step and ends with every rule on green; a rollback puts every rule
 * back on blue.
 */
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type BlueGreenFixture, createListenerRules } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalHandler, type LocalStack, runPipeline } from '../../cli/local/state-machine';
import { handler as shiftTraffic } from '../../functions/shift-traffic/handler';
import { putTestAlarm } from '../support/deploy-fixture';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

const elbv2 = new ElasticLoadBalancingV2Client({});

/** Each rule of the production listener but the default one: its path, forward weights and action types. */
async function rules(target: BlueGreenFixture) {
  const { Rules = [] } = await elbv2.send(new DescribeRulesCommand({ ListenerArn: target.listenerArn }));
  return Rules.filter((rule) => !rule.IsDefault).map((rule) => {
    const forward = rule.Actions?.find((action) => action.Type === 'forward');
    return {
      path: rule.Conditions?.[0]?.PathPatternConfig?.Values?.[0],
      weights: Object.fromEntries(
        (forward?.ForwardConfig?.TargetGroups ?? []).map((group) => [group.TargetGroupArn, group.Weight]),
      ),
      actions: (rule.Actions ?? []).map((action) => `${action.Order}:${action.Type}`),
    };
  });
}

describe('listener rules, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWithRules(parameters: Record<string, string>) {
    await moto.setBuildExecutor();
    const stack = (await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080 },
    })) as LocalStack & { target: BlueGreenFixture };
    await createListenerRules(elbv2, stack.target, [
      { priority: 10, paths: ['/api/*'] },
      { priority: 20, paths: ['/admin/*'], oidc: true },
    ]);
    return stack;
  }

  /** ShiftTraffic, then the production rules as that step left them, in `seen`. */
  const shiftAndWatch =
    (target: BlueGreenFixture, seen: unknown[], after?: (step: number) => Promise<void>): LocalHandler =>
    async (event) => {
      const out = await shiftTraffic(event as never);
      seen.push(await rules(target));
      await after?.((event as { step: number }).step);
      return out;
    };

  it('moves every rule with the default action at each canary step, ending with all of them on green', async () => {
    const stack = await stackWithRules({ TrafficStrategy: 'CodeDeployDefault.ECSCanary10Percent5Minutes' });
    const { blue, green } = stack.target.targetGroups;
    const [repo] = await serve(sampleRepository());
    const seen: unknown[] = [];

    const result = await runPipeline({
      input: pushOf(repo.commitId),
      stack,
      executionName: 'rules-canary',
      waitMs: () => 10,
      handlers: { ShiftTrafficFunction: shiftAndWatch(stack.target, seen) },
    });

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    const atStep = (greenWeight: number) => [
      {
        path: '/api/*',
        weights: { [green]: greenWeight, [blue]: 100 - greenWeight },
        actions: ['1:forward'],
      },
      {
        path: '/admin/*',
        weights: { [green]: greenWeight, [blue]: 100 - greenWeight },
        actions: ['1:authenticate-oidc', '2:forward'],
      },
    ];
    expect(seen).toEqual([atStep(10), atStep(100)]);
    const [record] = await deploymentRecords(stack);
    expect(await production(stack.target)).toEqual({
      weights: { [green]: 100, [blue]: 0 },
      primary: record?.taskDefinitionArn,
      taskSets: 1,
    });
    expect(await rules(stack.target)).toEqual(atStep(100));
  });

  it('puts every rule back on blue when the deployment rolls back during the canary', async () => {
    const cloudwatch = new CloudWatchClient({});
    await putTestAlarm('web-5xx');
    const stack = await stackWithRules({
      TrafficStrategy: 'Canary10Percent5Minutes',
      AlarmNames: 'web-5xx',
    });
    const { blue, green } = stack.target.targetGroups;
    const [repo] = await serve(sampleRepository());
    const seen: unknown[] = [];
    // The alarm fires once the canary takes 10 %: the next check of the pause sees it and the machine rolls back.
    const alarmAfterFirstStep = async (step: number) => {
      if (step !== 0) return;
      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'web-5xx',
          StateValue: 'ALARM',
          StateReason: '12 errors in 1 minute',
        }),
      );
    };

    const result = await runPipeline({
      input: pushOf(repo.commitId),
      stack,
      executionName: 'rules-rollback',
      waitMs: () => 10,
      handlers: { ShiftTrafficFunction: shiftAndWatch(stack.target, seen, alarmAfterFirstStep) },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('AlarmError');
    expect(result.statesVisited).toContain('Rollback');
    expect((seen[0] as { weights: unknown }[]).map((rule) => rule.weights)).toEqual([
      { [green]: 10, [blue]: 90 },
      { [green]: 10, [blue]: 90 },
    ]);
    expect(await production(stack.target)).toEqual({
      weights: { [blue]: 100, [green]: 0 },
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
    expect(await rules(stack.target)).toEqual([
      { path: '/api/*', weights: { [blue]: 100, [green]: 0 }, actions: ['1:forward'] },
      {
        path: '/admin/*',
        weights: { [blue]: 100, [green]: 0 },
        actions: ['1:authenticate-oidc', '2:forward'],
      },
    ]);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ROLLED_BACK', error: { name: 'AlarmError' } });
  });
});
