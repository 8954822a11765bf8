/**
 * Listener rules against the emulator: the OIDC client secret kept as AWS keeps it (cli/emulator/elbv2_rules.py),
 * ModifyRule/DescribeRules weights, the rules that move with the default action and those that do not, and
 * Finalize and Rollback with rules.
 */

import {
  type Action,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { createListenerRules } from '../../../cli/emulator/fixture';
import { finalize, type RollbackInput, rollback } from '../../../functions/lib/deploy/finalize-rollback';
import { allowTestTraffic, createGreen } from '../../../functions/lib/deploy/green';
import { setWeights } from '../../../functions/lib/deploy/listener';
import { findTaskSets } from '../../../functions/lib/deploy/task-sets';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { ServiceNotReadyError } from '../../../functions/lib/shared/errors';
import { createDeployFixture, type DeployFixture, listenerWeights } from '../../support/deploy-fixture';
import { ecsAround } from '../../support/ecs-json-around';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const elbv2 = new ElasticLoadBalancingV2Client({});
const ecs = jsonClient(ECS);
const sample = loadEvent<RollbackInput>('rollback');
const deployment: Deployment = { ...sample.deployment, id: 'dep-rules' };

const OIDC_CONFIG = {
  Issuer: 'https://idp.example.com',
  AuthorizationEndpoint: 'https://idp.example.com/authorize',
  TokenEndpoint: 'https://idp.example.com/token',
  UserInfoEndpoint: 'https://idp.example.com/userinfo',
  ClientId: 'switchyard-fixture',
};

/** Each rule of the listener but the default one, as [path, forward weights, action types in Order]. */
async function rulesOf(listenerArn: string) {
  const { Rules = [] } = await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }));
  return Rules.filter((rule) => !rule.IsDefault).map((rule) => {
    const forward = rule.Actions?.find((a) => a.Type === 'forward');
    const tuples = forward?.ForwardConfig?.TargetGroups ?? [
      { TargetGroupArn: forward?.TargetGroupArn, Weight: 1 },
    ];
    return [
      rule.Conditions?.[0]?.PathPatternConfig?.Values?.[0],
      Object.fromEntries(tuples.map((t) => [t.TargetGroupArn, t.Weight])),
      [...(rule.Actions ?? [])].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).map((a) => a.Type),
    ];
  });
}

describe('listener rules against the emulator', () => {
  const moto = useMoto();
  let { fx, config, table, render, A, B } = {} as DeployFixture;
  let C = '';

  beforeEach(async () => {
    ({ fx, config, table, render, A, B } = await createDeployFixture(moto));
    await table.createRecord(deployment, {});
    const network = await moto.describeDefaultNetwork();
    const { TargetGroups } = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: 'unrelated',
        Protocol: 'HTTP',
        Port: 80,
        VpcId: network.vpcId,
        TargetType: 'ip',
      }),
    );
    C = TargetGroups?.[0]?.TargetGroupArn ?? '';
  });

  const deps = () => ({ ecs, elbv2, table });

  describe('the emulator', () => {
    it('keeps an OIDC client secret as AWS does: never described, required unless UseExistingClientSecret', async () => {
      const [admin = ''] = await createListenerRules(elbv2, fx, [
        { priority: 20, paths: ['/admin/*'], oidc: true },
      ]);
      const { Rules = [] } = await elbv2.send(new DescribeRulesCommand({ RuleArns: [admin] }));
      const described = Rules[0]?.Actions?.find((a) => a.Type === 'authenticate-oidc');
      expect(described?.AuthenticateOidcConfig).toEqual(OIDC_CONFIG);

      const weighted: Action = {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: A, Weight: 70 },
            { TargetGroupArn: B, Weight: 30 },
          ],
        },
      };
      const resend = (config: Record<string, unknown>): Action[] => [
        { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ...OIDC_CONFIG, ...config } },
        weighted,
      ];
      await expect(
        elbv2.send(new ModifyRuleCommand({ RuleArn: admin, Actions: resend({}) })),
      ).rejects.toThrow(/give the ClientSecret, or set UseExistingClientSecret to true/);
      await expect(
        elbv2.send(new ModifyListenerCommand({ ListenerArn: fx.listenerArn, DefaultActions: resend({}) })),
      ).rejects.toMatchObject({ name: 'ValidationError' });
      await expect(
        elbv2.send(
          new CreateRuleCommand({
            ListenerArn: fx.listenerArn,
            Priority: 21,
            Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/x'] } }],
            Actions: resend({}),
          }),
        ),
      ).rejects.toThrow(/a ClientSecret is required when creating/);

      await elbv2.send(
        new ModifyRuleCommand({ RuleArn: admin, Actions: resend({ UseExistingClientSecret: true }) }),
      );

      expect(await rulesOf(fx.listenerArn)).toEqual([
        ['/admin/*', { [A]: 70, [B]: 30 }, ['authenticate-oidc', 'forward']],
      ]);
      // The secret is still there: a further modify may keep it again.
      await elbv2.send(
        new ModifyRuleCommand({ RuleArn: admin, Actions: resend({ UseExistingClientSecret: true }) }),
      );
    });
  });

  describe('setWeights', () => {
    it('moves every rule on the pair with the default action and leaves the others as they were', async () => {
      await createListenerRules(elbv2, fx, [
        { priority: 10, paths: ['/api/*'] },
        { priority: 20, paths: ['/admin/*'], oidc: true },
        { priority: 30, paths: ['/other/*'], forward: { [C]: 1 } },
        { priority: 40, paths: ['/parked/*'], forward: { blue: 0, [C]: 5 } },
      ]);

      await setWeights(elbv2, fx.listenerArn, { [A]: 90, [B]: 10 });
      await setWeights(elbv2, fx.listenerArn, { [A]: 90, [B]: 10 });

      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 90, [B]: 10 });
      expect(await rulesOf(fx.listenerArn)).toEqual([
        ['/api/*', { [A]: 90, [B]: 10 }, ['forward']],
        ['/admin/*', { [A]: 90, [B]: 10 }, ['authenticate-oidc', 'forward']],
        ['/other/*', { [C]: 1 }, ['forward']],
        ['/parked/*', { [A]: 0, [C]: 5 }, ['forward']],
      ]);
    });

    it('refuses a rule that sends to blue and an unrelated group, before changing anything', async () => {
      await createListenerRules(elbv2, fx, [
        { priority: 10, paths: ['/api/*'] },
        { priority: 20, paths: ['/mixed/*'], forward: { blue: 3, [C]: 1 } },
      ]);

      const attempt = setWeights(elbv2, fx.listenerArn, { [A]: 90, [B]: 10 });

      await expect(attempt).rejects.toThrow(ServiceNotReadyError);
      await expect(attempt).rejects.toThrow(new RegExp(`of listener ${fx.listenerArn} forwards both to`));
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 1 });
      expect((await rulesOf(fx.listenerArn)).map(([, weights]) => weights)).toEqual([
        { [A]: 1 },
        { [A]: 3, [C]: 1 },
      ]);
    });
  });

  describe('Finalize', () => {
    it('moves the test listener rules to green and deletes blue once no rule sends it traffic', async () => {
      await createListenerRules(elbv2, fx, [
        { priority: 10, paths: ['/api/*'] },
        { listener: 'test', priority: 10, paths: ['/api/*'], oidc: true },
      ]);
      const green = await createGreen({ deployment, render }, config, deps());
      await setWeights(elbv2, fx.listenerArn, { [A]: 0, [B]: 100 });

      await finalize({ deployment, render, green }, deps());

      expect((await rulesOf(fx.listenerArn))[0]?.[1]).toEqual({ [A]: 0, [B]: 100 });
      expect((await rulesOf(fx.testListenerArn))[0]?.[1]).toEqual({ [B]: 100, [A]: 0 });
      expect((await findTaskSets(ecs, fx.clusterName, fx.serviceName)).active).toEqual([]);
    });

    it('refuses to delete blue while a production rule still sends it traffic', async () => {
      const [api = ''] = await createListenerRules(elbv2, fx, [{ priority: 10, paths: ['/api/*'] }]);
      const green = await createGreen({ deployment, render }, config, deps());
      await setWeights(elbv2, fx.listenerArn, { [A]: 0, [B]: 100 });
      // Someone points the rule back at blue after the shift.
      await elbv2.send(
        new ModifyRuleCommand({ RuleArn: api, Actions: [{ Type: 'forward', TargetGroupArn: A }] }),
      );

      const attempt = finalize({ deployment, render, green }, deps());

      await expect(attempt).rejects.toThrow(ServiceNotReadyError);
      await expect(attempt).rejects.toThrow(
        `task set ${fx.blueTaskSetArn} is not deleted: rule ${api} (priority 10) of listener ${fx.listenerArn} (100 %)`,
      );
      const sets = await findTaskSets(ecs, fx.clusterName, fx.serviceName);
      expect(sets.primary?.arn).toBe(fx.blueTaskSetArn);
    });

    it('reads the rules again just before deleting blue and refuses when one went back to blue meanwhile', async () => {
      const [api = ''] = await createListenerRules(elbv2, fx, [{ priority: 10, paths: ['/api/*'] }]);
      const green = await createGreen({ deployment, render }, config, deps());
      await setWeights(elbv2, fx.listenerArn, { [A]: 0, [B]: 100 });
      // An ECS client whose UpdateServicePrimaryTaskSet is followed by someone moving the rule back (a race).
      const raced = ecsAround(ecs, async (operation, send) => {
        const out = await send();
        if (operation === 'UpdateServicePrimaryTaskSet') {
          await elbv2.send(
            new ModifyRuleCommand({ RuleArn: api, Actions: [{ Type: 'forward', TargetGroupArn: A }] }),
          );
        }
        return out;
      });

      await expect(finalize({ deployment, render, green }, { ...deps(), ecs: raced })).rejects.toThrow(
        `task set ${fx.blueTaskSetArn} is not deleted`,
      );
      const sets = await findTaskSets(ecs, fx.clusterName, fx.serviceName);
      expect([sets.primary?.arn, sets.active.map((s) => s.arn)]).toEqual([
        green.greenTaskSetArn,
        [fx.blueTaskSetArn],
      ]);
    });
  });

  describe('Rollback', () => {
    it('puts every moved rule back on blue and leaves a rule it never moved as it is', async () => {
      await createListenerRules(elbv2, fx, [
        { priority: 10, paths: ['/api/*'] },
        { priority: 20, paths: ['/admin/*'], oidc: true },
        { listener: 'test', priority: 10, paths: ['/api/*'] },
      ]);
      const green = await createGreen({ deployment, render }, config, deps());
      await allowTestTraffic({ deployment, green }, deps());
      await setWeights(elbv2, fx.listenerArn, { [A]: 90, [B]: 10 });
      // A rule added during the deployment that the shift would have refused: not Switchyard's to restore.
      await createListenerRules(elbv2, fx, [
        { priority: 30, paths: ['/mixed/*'], forward: { green: 1, [C]: 1 } },
      ]);

      const result = await rollback({ deployment, render, green, error: sample.error }, config, deps());

      expect(result.productionWeights).toEqual({ [A]: 100, [B]: 0 });
      expect(await rulesOf(fx.listenerArn)).toEqual([
        ['/api/*', { [A]: 100, [B]: 0 }, ['forward']],
        ['/admin/*', { [A]: 100, [B]: 0 }, ['authenticate-oidc', 'forward']],
        ['/mixed/*', { [B]: 1, [C]: 1 }, ['forward']],
      ]);
      expect((await rulesOf(fx.testListenerArn))[0]?.[1]).toEqual({ [A]: 100, [B]: 0 });
    });
  });
});
