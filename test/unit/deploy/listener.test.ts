import {
  type Action,
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { liveTargetGroup, readForward, setWeights } from '../../../functions/lib/deploy/listener';
import {
  InvalidInputError,
  ServiceNotReadyError,
  TransientAwsError,
  WeightsMismatchError,
} from '../../../functions/lib/shared/errors';

const LISTENER =
  'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/6d0ecf831eec9f09';
const B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/9683b2d02a6cabee';
const C = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/other/0123456789abcdef';
const PAIR = [A, B] as const;

const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const elbv2 = new ElasticLoadBalancingV2Client({});

const weighted = (weights: Record<string, number>, extra: Partial<Action> = {}): Action => ({
  Type: 'forward',
  ForwardConfig: {
    TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
    TargetGroupStickinessConfig: { Enabled: false },
  },
  ...extra,
});
const listenerWith = (...actions: Action[]) => ({
  Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }],
});
const modifyInput = (call = 0) =>
  elbv2Mock.commandCalls(ModifyListenerCommand)[call]?.args[0].input as ModifyListenerCommandInput;
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} });

beforeEach(() => elbv2Mock.reset());

describe('readForward', () => {
  it('reads a plain forward to one target group as that group at 100 %', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith({ Type: 'forward', TargetGroupArn: A }));

    expect(await readForward(elbv2, LISTENER)).toEqual({
      targetGroups: [{ arn: A, weight: 1, percent: 100 }],
    });
    expect(elbv2Mock.commandCalls(DescribeListenersCommand)[0]?.args[0].input).toEqual({
      ListenerArns: [LISTENER],
    });
  });

  it('reads a weighted forward, after an authenticate action, with each share in percent', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(
      listenerWith(
        {
          Type: 'authenticate-cognito',
          Order: 1,
          AuthenticateCognitoConfig: { UserPoolArn: 'p', UserPoolClientId: 'c', UserPoolDomain: 'd' },
        },
        weighted({ [A]: 2, [B]: 1 }, { Order: 2 }),
      ),
    );

    expect(await readForward(elbv2, LISTENER)).toEqual({
      targetGroups: [
        { arn: A, weight: 2, percent: 66.7 },
        { arn: B, weight: 1, percent: 33.3 },
      ],
    });
  });

  it('says what to fix when the listener does not exist or does not forward', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .rejectsOnce(
        new ListenerNotFoundException({ message: 'One or more listeners not found', $metadata: {} }),
      )
      .resolves(
        listenerWith({ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301', Protocol: 'HTTPS' } }),
      );

    const missing = readForward(elbv2, LISTENER);
    await expect(missing).rejects.toThrow(ServiceNotReadyError);
    await expect(missing).rejects.toThrow(
      `listener ${LISTENER} does not exist; check the stack's listener parameter (region and account too)`,
    );
    await expect(readForward(elbv2, LISTENER)).rejects.toThrow(
      /has no forward default action \(actions: redirect\); .*make its default action forward to the live one/,
    );
  });

  it('turns a throttled read into a TransientAwsError', async () => {
    elbv2Mock.on(DescribeListenersCommand).rejects(throttled());

    await expect(readForward(elbv2, LISTENER)).rejects.toThrow(TransientAwsError);
  });
});

describe('liveTargetGroup', () => {
  it.each<[string, Action, { live: string; green: string }]>([
    ['a plain forward to A', { Type: 'forward', TargetGroupArn: A }, { live: A, green: B }],
    ['100/0 weights', weighted({ [A]: 100, [B]: 0 }), { live: A, green: B }],
    ['0/100 weights', weighted({ [A]: 0, [B]: 100 }), { live: B, green: A }],
    ['B alone at weight 1', weighted({ [B]: 1 }), { live: B, green: A }],
    ['B with a third group at 0', weighted({ [B]: 100, [C]: 0 }), { live: B, green: A }],
  ])('finds the live group in %s and calls the other one green', async (_case, action, expected) => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith(action));

    expect(await liveTargetGroup(elbv2, LISTENER, PAIR)).toMatchObject({ kind: 'single', ...expected });
  });

  it('returns both groups with their weights when an interrupted run left traffic split', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith(weighted({ [A]: 90, [B]: 10 })));

    expect(await liveTargetGroup(elbv2, LISTENER, PAIR)).toEqual({
      kind: 'split',
      targetGroups: [
        { arn: A, weight: 90, percent: 90 },
        { arn: B, weight: 10, percent: 10 },
      ],
    });
  });

  it.each<[string, Action, RegExp]>([
    ['every weight is 0', weighted({ [A]: 0, [B]: 0 }), /forwards no traffic \(every weight is 0\)/],
    [
      'a third group takes traffic',
      weighted({ [A]: 50, [C]: 50 }),
      /forwards 50 % to .*other.*which is not one of the configured target groups/,
    ],
  ])('refuses a listener where %s', async (_case, action, message) => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith(action));

    await expect(liveTargetGroup(elbv2, LISTENER, PAIR)).rejects.toThrow(ServiceNotReadyError);
    await expect(liveTargetGroup(elbv2, LISTENER, PAIR)).rejects.toThrow(message);
  });
});

describe('setWeights', () => {
  it('rewrites only the forward action, keeping its stickiness and the other actions, and returns the read-back', async () => {
    const authenticate: Action = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp',
        AuthorizationEndpoint: 'https://idp/auth',
        TokenEndpoint: 'https://idp/token',
        UserInfoEndpoint: 'https://idp/user',
        ClientId: 'switchyard',
      },
    };
    const before: Action = {
      Type: 'forward',
      Order: 2,
      TargetGroupArn: A,
      ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: A, Weight: 1 }],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      },
    };
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce(listenerWith(authenticate, before))
      .resolves(listenerWith(authenticate, { ...weighted({ [A]: 90, [B]: 10 }), Order: 2 }));

    const observed = await setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 });

    expect(modifyInput()).toEqual({
      ListenerArn: LISTENER,
      DefaultActions: [
        // DescribeListeners never returns the client secret: the write asks AWS to keep the one it has.
        {
          ...authenticate,
          AuthenticateOidcConfig: { ...authenticate.AuthenticateOidcConfig, UseExistingClientSecret: true },
        },
        {
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: A, Weight: 90 },
              { TargetGroupArn: B, Weight: 10 },
            ],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
          },
        },
      ],
    });
    expect(observed.targetGroups).toEqual([
      { arn: A, weight: 90, percent: 90 },
      { arn: B, weight: 10, percent: 10 },
    ]);
    expect(elbv2Mock.commandCalls(DescribeListenersCommand)).toHaveLength(2);
  });

  it('writes nothing when the listener already carries the weights (a retried step)', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith(weighted({ [A]: 0, [B]: 100 })));

    const observed = await setWeights(elbv2, LISTENER, { [A]: 0, [B]: 100 });

    expect(elbv2Mock.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(observed.targetGroups.map((group) => group.weight)).toEqual([0, 100]);
  });

  it('names exactly the given target groups, dropping one the new weights leave out', async () => {
    elbv2Mock
      .on(DescribeListenersCommand)
      .resolvesOnce(listenerWith(weighted({ [A]: 100, [C]: 0 })))
      .resolves(listenerWith(weighted({ [A]: 100, [B]: 0 })));

    await setWeights(elbv2, LISTENER, { [A]: 100, [B]: 0 });

    expect(modifyInput().DefaultActions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: A, Weight: 100 },
      { TargetGroupArn: B, Weight: 0 },
    ]);
  });

  it('throws WeightsMismatchError with expected and observed when the read-back differs', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith(weighted({ [A]: 100, [B]: 0 })));
    elbv2Mock.on(ModifyListenerCommand).resolves({});

    const attempt = setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 });

    await expect(attempt).rejects.toThrow(WeightsMismatchError);
    await expect(attempt).rejects.toThrow(
      `listener ${LISTENER} does not carry the weights just written: expected ${A}=90, ${B}=10, observed ${A}=100, ${B}=0`,
    );
  });

  it.each<[string, Record<string, number>, RegExp]>([
    [
      'a weight over 999',
      { [A]: 1000, [B]: 0 },
      /weight 1000 for target group .* is not a whole number from 0 to 999/,
    ],
    ['a negative weight', { [A]: -1, [B]: 100 }, /weight -1 /],
    ['a fractional weight', { [A]: 50.5, [B]: 49.5 }, /weight 50.5 /],
    ['no traffic anywhere', { [A]: 0, [B]: 0 }, /send no traffic anywhere/],
  ])('refuses %s before calling AWS', async (_case, weights, message) => {
    await expect(setWeights(elbv2, LISTENER, weights)).rejects.toThrow(InvalidInputError);
    await expect(setWeights(elbv2, LISTENER, weights)).rejects.toThrow(message);
    expect(elbv2Mock.calls()).toHaveLength(0);
  });

  it('turns a throttled ModifyListener into a TransientAwsError', async () => {
    elbv2Mock.on(DescribeListenersCommand).resolves(listenerWith({ Type: 'forward', TargetGroupArn: A }));
    elbv2Mock.on(ModifyListenerCommand).rejects(throttled());

    await expect(setWeights(elbv2, LISTENER, { [A]: 90, [B]: 10 })).rejects.toThrow(TransientAwsError);
  });
});
