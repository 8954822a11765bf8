import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  type TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type BlueGreenFixture, createBlueGreenFixture } from '../../../../cli/emulator/fixture';
import { getEmulatorTimings, INSTANT_TIMINGS } from '../../../../cli/emulator/moto-controls';
import { useMoto } from '../../../support/moto';
import { phases, readUntil } from '../../../support/read-until';

const elbv2 = new ElasticLoadBalancingV2Client({});

describe('the emulator: target health as AWS reports it over time', () => {
  const moto = useMoto();
  let fx: BlueGreenFixture;

  beforeEach(async () => {
    // No task set: the targets below are registered by hand, so their health is the load balancer's alone.
    fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork(), serving: false });
  });

  const health = async (group: string, id?: string): Promise<Array<TargetHealth & { id?: string }>> => {
    const { TargetHealthDescriptions = [] } = await elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: group, ...(id ? { Targets: [{ Id: id }] } : {}) }),
    );
    return TargetHealthDescriptions.map((d) => ({ id: d.Target?.Id, ...d.TargetHealth }));
  };
  /** State and reason from one read: two reads could straddle a change (initial, then healthy with no reason). */
  const stateOf = async (group: string, id: string): Promise<string> => {
    const [target] = await health(group, id);
    return `${target?.State}/${target?.Reason ?? ''}`;
  };
  const register = (group: string, id: string) =>
    elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: [{ Id: id, Port: 80 }] }));
  const forward = (groups: Record<string, number>) =>
    elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: fx.listenerArn,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: Object.entries(groups).map(([arn, weight]) => ({
                TargetGroupArn: arn,
                Weight: weight,
              })),
            },
          },
        ],
      }),
    );

  it('keeps a new target initial until its first health check, one HealthCheckIntervalSeconds (scaled) later', async () => {
    await moto.setTimings({ healthCheckScale: 0.05 });
    // A second group in the listener with a 300 s interval (15 s scaled): still initial when the 5 s one is healthy.
    await elbv2.send(
      new ModifyTargetGroupCommand({ TargetGroupArn: fx.targetGroups.blue, HealthCheckIntervalSeconds: 5 }),
    );
    await elbv2.send(
      new ModifyTargetGroupCommand({
        TargetGroupArn: fx.targetGroups.green,
        HealthCheckIntervalSeconds: 300,
      }),
    );
    await forward({ [fx.targetGroups.blue]: 100, [fx.targetGroups.green]: 0 });
    await register(fx.targetGroups.blue, '172.31.0.10');
    await register(fx.targetGroups.green, '172.31.0.11');

    expect(await health(fx.targetGroups.blue)).toEqual([
      {
        id: '172.31.0.10',
        State: 'initial',
        Reason: 'Elb.InitialHealthChecking',
        Description: 'Initial health checks in progress',
      },
    ]);
    const seen = await readUntil(
      () => stateOf(fx.targetGroups.blue, '172.31.0.10'),
      (state) => state.startsWith('healthy'),
    );
    expect(phases(seen)).toEqual(['initial/Elb.InitialHealthChecking', 'healthy/']);
    expect(await stateOf(fx.targetGroups.green, '172.31.0.11')).toBe('initial/Elb.InitialHealthChecking');
  });

  it('reports the targets of a group no listener uses unused (Target.NotInUse), and checks them once one does', async () => {
    await moto.setTimings({ healthCheckScale: 0.01 });
    await register(fx.targetGroups.green, '172.31.0.20');
    expect(await health(fx.targetGroups.green)).toEqual([
      {
        id: '172.31.0.20',
        State: 'unused',
        Reason: 'Target.NotInUse',
        Description: 'Target group is not configured to receive traffic from the load balancer',
      },
    ]);

    // A forward at weight 0 is a use: the load balancer health-checks the group from then on.
    await forward({ [fx.targetGroups.blue]: 100, [fx.targetGroups.green]: 0 });
    const seen = await readUntil(
      () => stateOf(fx.targetGroups.green, '172.31.0.20'),
      (state) => state.startsWith('healthy'),
    );
    expect(phases(seen)).toEqual(['initial/Elb.InitialHealthChecking', 'healthy/']);

    // Out of every listener again: unused; a listener rule is a use as much as a default action.
    await forward({ [fx.targetGroups.blue]: 100 });
    expect(await stateOf(fx.targetGroups.green, '172.31.0.20')).toBe('unused/Target.NotInUse');
    const { Rules = [] } = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: fx.testListenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', Values: ['/green/*'] }],
        Actions: [{ Type: 'forward', TargetGroupArn: fx.targetGroups.green }],
      }),
    );
    expect((await stateOf(fx.targetGroups.green, '172.31.0.20')).split('/')[0]).toMatch(
      /^(initial|healthy)$/,
    );
    await elbv2.send(new DeleteRuleCommand({ RuleArn: Rules[0]?.RuleArn }));
    expect(await stateOf(fx.targetGroups.green, '172.31.0.20')).toBe('unused/Target.NotInUse');
  });

  it('lists a deregistered target as draining for the deregistration delay (scaled), then no more', async () => {
    await moto.setTimings({ deregistrationScale: 0.02 });
    await elbv2.send(
      new ModifyTargetGroupAttributesCommand({
        TargetGroupArn: fx.targetGroups.blue,
        Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
      }),
    );
    await register(fx.targetGroups.blue, '172.31.0.30');
    await register(fx.targetGroups.blue, '172.31.0.31');
    await elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: fx.targetGroups.blue,
        Targets: [{ Id: '172.31.0.30' }],
      }),
    );

    expect(await health(fx.targetGroups.blue)).toEqual([
      { id: '172.31.0.31', State: 'healthy' },
      {
        id: '172.31.0.30',
        State: 'draining',
        Reason: 'Target.DeregistrationInProgress',
        Description: 'Target deregistration is in progress',
      },
    ]);
    const seen = await readUntil(
      async () => (await health(fx.targetGroups.blue)).map((t) => `${t.id} ${t.State}`).join(', '),
      (listed) => !listed.includes('172.31.0.30'),
    );
    expect(phases(seen)).toEqual(['172.31.0.31 healthy, 172.31.0.30 draining', '172.31.0.31 healthy']);
    expect(await stateOf(fx.targetGroups.blue, '172.31.0.30')).toBe('unused/Target.NotRegistered');

    // Registering a draining target again ends its draining.
    await elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: fx.targetGroups.blue,
        Targets: [{ Id: '172.31.0.31' }],
      }),
    );
    expect(await stateOf(fx.targetGroups.blue, '172.31.0.31')).toBe(
      'draining/Target.DeregistrationInProgress',
    );
    await register(fx.targetGroups.blue, '172.31.0.31');
    expect(await health(fx.targetGroups.blue)).toEqual([{ id: '172.31.0.31', State: 'healthy' }]);
  });

  it("lets the target-health control's override win over a target's life", async () => {
    await moto.setTimings({ healthCheckScale: 10 });
    await register(fx.targetGroups.blue, '172.31.0.40');
    expect(await stateOf(fx.targetGroups.blue, '172.31.0.40')).toBe('initial/Elb.InitialHealthChecking');
    await moto.setTargetHealth({ targetGroupArn: fx.targetGroups.blue, state: 'healthy' });
    expect(await stateOf(fx.targetGroups.blue, '172.31.0.40')).toBe('healthy/');
  });

  it('sets timings until the next reset, and refuses unknown or out-of-range ones naming the field', async () => {
    const launch = await getEmulatorTimings(moto.endpoint);
    expect(launch).toEqual({ ...INSTANT_TIMINGS, launch: INSTANT_TIMINGS });

    expect(await moto.setTimings({ taskStartSeconds: 2 })).toEqual({
      ...INSTANT_TIMINGS,
      taskStartSeconds: 2,
      launch: INSTANT_TIMINGS,
    });
    await expect(moto.setTimings({ healthCheckSeconds: 1 } as never)).rejects.toThrow(
      /unknown keys \['healthCheckSeconds'\]; allowed: \['deregistrationScale', 'healthCheckScale', 'taskStartSeconds'\]/,
    );
    await expect(moto.setTimings({ deregistrationScale: -1 })).rejects.toThrow(
      /timings: deregistrationScale is -1; expected a number from 0 to 10/,
    );
    await expect(moto.setTimings({ healthCheckScale: '1' as never })).rejects.toThrow(
      /healthCheckScale is '1'; expected a number/,
    );
    // The refused requests changed nothing; a reset restores the launch timings.
    expect((await getEmulatorTimings(moto.endpoint)).taskStartSeconds).toBe(2);
    await moto.reset();
    expect(await getEmulatorTimings(moto.endpoint)).toEqual(launch);
  });
});
