/**
 * The rules of a listener as the traffic shift sees them: which rules move with the default action, which are
 * refused, how an authenticated rule is written back, and how the read-back names a rule that did not take the
 * weights. The emulator round trip is in test/integration/deploy/listener-rules.test.ts.
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type ModifyRuleCommandInput,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { setWeights } from '../../../functions/lib/deploy/listener';
import { resendable } from '../../../functions/lib/deploy/listener-actions';
import {
  type ListenerRule,
  readRules,
  refuseWhileServed,
  rulesToShift,
} from '../../../functions/lib/deploy/listener-rules';
import { ServiceNotReadyError, WeightsMismatchError } from '../../../functions/lib/shared/errors';

const LISTENER =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const RULE = (id: string) => `${LISTENER.replace(':listener/', ':listener-rule/')}/${id}`;
const A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/6d0ecf831eec9f09';
const B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/9683b2d02a6cabee';
const C = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef';
const PAIR = [A, B];

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const elbv2 = new ElasticLoadBalancingV2Client({});

const forward = (weights: Record<string, number>, order?: number): Action => ({
  Type: 'forward',
  ...(order ? { Order: order } : {}),
  ForwardConfig: {
    TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
  },
});
const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    AuthorizationEndpoint: 'https://idp/auth',
    TokenEndpoint: 'https://idp/token',
    UserInfoEndpoint: 'https://idp/user',
    ClientId: 'switchyard',
    OnUnauthenticatedRequest: 'authenticate',
  },
};
const rule = (id: string, priority: string, ...actions: Action[]): ListenerRule => ({
  arn: RULE(id),
  priority,
  actions,
});
const described = (rules: ListenerRule[], defaultActions: Action[]): Rule[] => [
  ...rules.map((r) => ({ RuleArn: r.arn, Priority: r.priority, Actions: r.actions, IsDefault: false })),
  { RuleArn: RULE('default'), Priority: 'default', Actions: defaultActions, IsDefault: true },
];

beforeEach(() => elbv2Mock.reset());

describe('rulesToShift', () => {
  it('moves a rule forwarding to one of the pair or to both, and leaves the rest alone', () => {
    const rules = [
      rule('api', '10', { Type: 'forward', TargetGroupArn: A }),
      rule('both', '20', forward({ [A]: 90, [B]: 10 })),
      rule('other', '30', forward({ [C]: 1 })),
      rule('redirect', '40', { Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Path: '/new' } }),
      rule('idle', '50', forward({ [A]: 0, [C]: 1 })),
    ];

    const shifted = rulesToShift(LISTENER, rules, PAIR, 'refuse');

    expect(shifted.map((r) => [r.arn, r.forwardIndex, r.forward.targetGroups.map((g) => g.weight)])).toEqual([
      [RULE('api'), 0, [1]],
      [RULE('both'), 0, [90, 10]],
    ]);
  });

  it('refuses a rule that sends traffic to the pair and to another group, naming the rule, listener and fix', () => {
    const rules = [rule('mixed', '7', forward({ [A]: 80, [C]: 20 }))];

    const attempt = () => rulesToShift(LISTENER, rules, PAIR, 'refuse');

    expect(attempt).toThrow(ServiceNotReadyError);
    expect(attempt).toThrow(
      `rule ${RULE('mixed')} (priority 7) of listener ${LISTENER} forwards both to the service's target group ` +
        `${A} (80 %) and to ${C} (20 %)`,
    );
    expect(attempt).toThrow(/make the rule forward only to the service's target group/);
    // Rollback leaves such a rule as it is: the shift never wrote it.
    expect(rulesToShift(LISTENER, rules, PAIR, 'leave')).toEqual([]);
  });
});

describe('resendable', () => {
  it('asks to keep the OIDC client secret, drops a described one, and keeps every other action and Order', () => {
    const withSecret: Action = {
      ...oidc,
      AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, ClientSecret: 'leaked' } as never,
    };
    const cognito: Action = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: { UserPoolArn: 'arn:pool', UserPoolClientId: 'c', UserPoolDomain: 'd' },
    };

    expect(resendable([withSecret, forward({ [A]: 1 }, 2)])).toEqual([
      { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true } },
      forward({ [A]: 1 }, 2),
    ]);
    expect(resendable([cognito, forward({ [A]: 1 }, 2)])).toEqual([cognito, forward({ [A]: 1 }, 2)]);
  });
});

describe('setWeights with rules', () => {
  it('writes each rule on the pair with the same weights, keeping its authenticate action, and verifies it', async () => {
    const api = rule('api', '10', { Type: 'forward', TargetGroupArn: A });
    const admin = rule('admin', '20', oidc, forward({ [A]: 1 }, 2));
    const other = rule('other', '30', forward({ [C]: 1 }));
    const after = [
      rule('api', '10', forward({ [A]: 90, [B]: 10 })),
      rule('admin', '20', oidc, forward({ [A]: 90, [B]: 10 }, 2)),
      other,
    ];
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward({ [A]: 1 })] }] })
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward({ [A]: 90, [B]: 10 })] }] });
    elbv2Mock
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: described([api, admin, other], [forward({ [A]: 1 })]) })
      .resolves({ Rules: described(after, [forward({ [A]: 90, [B]: 10 })]) });

    await setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 });

    const writes = elbv2Mock
      .commandCalls(ModifyRuleCommand)
      .map((c) => c.args[0].input as ModifyRuleCommandInput);
    expect(writes).toEqual([
      { RuleArn: RULE('api'), Actions: [forward({ [A]: 90, [B]: 10 })] },
      {
        RuleArn: RULE('admin'),
        Actions: [
          {
            ...oidc,
            AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true },
          },
          forward({ [A]: 90, [B]: 10 }, 2),
        ],
      },
    ]);
    expect(elbv2Mock.commandCalls(ModifyListenerCommand)).toHaveLength(1);
  });

  it('refuses a mixed rule before writing anything', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward({ [A]: 1 })] }] });
    elbv2Mock
      .on(DescribeRulesCommand)
      .resolves({ Rules: described([rule('mixed', '5', forward({ [A]: 1, [C]: 1 }))], []) });

    await expect(setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 })).rejects.toThrow(ServiceNotReadyError);
    expect(elbv2Mock.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(elbv2Mock.commandCalls(ModifyRuleCommand)).toHaveLength(0);
  });

  it('throws WeightsMismatchError naming the rule whose read-back differs', async () => {
    const api = rule('api', '10', forward({ [A]: 1 }));
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward({ [A]: 90, [B]: 10 })] }] });
    // The write is lost: every read shows the rule as it was.
    elbv2Mock.on(DescribeRulesCommand).resolves({ Rules: described([api], []) });

    const attempt = setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 });

    await expect(attempt).rejects.toThrow(WeightsMismatchError);
    await expect(attempt).rejects.toThrow(
      `rule ${RULE('api')} of listener ${LISTENER} does not carry the weights just written: expected ` +
        `${A}=90, ${B}=10, observed ${A}=1`,
    );
  });
});

describe('readRules', () => {
  it('follows NextMarker and leaves out the default rule', async () => {
    elbv2Mock
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: described([rule('one', '20', forward({ [A]: 1 }))], []), NextMarker: 'm1' })
      .resolves({ Rules: [{ RuleArn: RULE('two'), Priority: '3', Actions: [forward({ [B]: 1 })] }] });

    expect((await readRules(elbv2, LISTENER)).map((r) => r.arn)).toEqual([RULE('two'), RULE('one')]);
    expect(elbv2Mock.commandCalls(DescribeRulesCommand)[1]?.args[0].input).toMatchObject({ Marker: 'm1' });
  });
});

describe('refuseWhileServed', () => {
  it('names every default action and rule still sending traffic to the group', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward({ [A]: 0, [B]: 100 })] }] });
    elbv2Mock.on(DescribeRulesCommand).resolves({
      Rules: described(
        [rule('api', '10', { Type: 'forward', TargetGroupArn: A }), rule('b', '11', forward({ [B]: 1 }))],
        [],
      ),
    });

    const attempt = refuseWhileServed(elbv2, [LISTENER], A, 'arn:blue-task-set');

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      `task set arn:blue-task-set is not deleted: rule ${RULE('api')} (priority 10) of listener ${LISTENER} ` +
        `(100 %) still sends traffic to its target group ${A}`,
    );
    await expect(refuseWhileServed(elbv2, [LISTENER], C, 'arn:other')).resolves.toBeUndefined();
  });
});
