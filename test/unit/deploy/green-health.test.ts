import {
  DescribeTargetHealthCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { checkGreen } from '../../../functions/lib/deploy/green-health';
import type { EcsTaskSet } from '../../../functions/lib/deploy/task-set-info';
import { GreenUnhealthyError } from '../../../functions/lib/shared/errors';
import {
  arnOf,
  BLUE,
  CLUSTER,
  SERVICE,
  service,
  TD_2,
  TG_B,
  taskSet,
  useFakeEcs,
} from '../../support/fake-ecs';

const fake = useFakeEcs();

const target = (id: string, State: string, extra: Record<string, string> = {}): TargetHealthDescription => ({
  Target: { Id: id, Port: 80 },
  TargetHealth: { State: State as never, ...extra },
});

describe('checkGreen', () => {
  const GREEN = taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }], taskDefinition: TD_2 });
  const check = () =>
    checkGreen(fake.ecs, fake.elbv2, {
      cluster: CLUSTER,
      service: SERVICE,
      taskSetArn: arnOf('green'),
      targetGroupArn: TG_B,
    });
  const health = (...targets: TargetHealthDescription[]) =>
    fake.elbv2Mock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: targets });

  beforeEach(() => {
    fake.taskSets = [BLUE, GREEN];
  });

  it('is ready when the task set is steady and as many targets as it wants are healthy', async () => {
    health(target('10.0.1.10', 'healthy'), target('10.0.1.11', 'healthy'));

    expect(await check()).toEqual({
      ready: true,
      stability: 'STEADY_STATE',
      desired: 2,
      healthy: [
        { id: '10.0.1.10', port: 80 },
        { id: '10.0.1.11', port: 80 },
      ],
      unhealthy: [],
      initial: [],
      unused: [],
      summary: 'green ready: 2 healthy target(s), 2 wanted, task set STEADY_STATE',
    });
    expect(fake.elbv2Mock.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({
      TargetGroupArn: TG_B,
    });
  });

  it('is not ready while a target is unhealthy, and lists it with the reason', async () => {
    health(
      target('10.0.1.10', 'healthy'),
      target('10.0.1.11', 'unhealthy', {
        Reason: 'Target.ResponseCodeMismatch',
        Description: 'Health checks failed with these codes: [502]',
      }),
    );

    const result = await check();

    expect(result.ready).toBe(false);
    expect(result.unhealthy).toEqual([
      {
        id: '10.0.1.11',
        port: 80,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [502]',
      },
    ]);
    expect(result.summary).toBe(
      'green not ready: 1 target(s) not healthy: 10.0.1.11:80 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [502]); 1 of 2 wanted targets healthy',
    );
  });

  it('is never ready with no target registered while the task set wants tasks', async () => {
    health();

    const result = await check();

    expect(result).toMatchObject({ ready: false, desired: 2, healthy: [], unhealthy: [] });
    expect(result.summary).toMatch(/no target registered in .*web-b\/\w+ yet, 2 wanted/);
  });

  it.each<[string, Partial<EcsTaskSet>, RegExp]>([
    ['stabilizing', { stabilityStatus: 'STABILIZING' }, /task set is STABILIZING/],
    ['short of running tasks', { runningCount: 1 }, /1 of 2 tasks running/],
  ])(
    'is not ready while the task set is %s, even with healthy targets',
    async (_case, overrides, message) => {
      fake.taskSets = [BLUE, { ...GREEN, ...overrides }];
      health(target('10.0.1.10', 'healthy'), target('10.0.1.11', 'healthy'));

      const result = await check();

      expect(result.ready).toBe(false);
      expect(result.summary).toMatch(message);
    },
  );

  it('waits for initial targets (registering, first health checks) without calling them unhealthy; ignores draining ones', async () => {
    health(
      target('10.0.1.10', 'healthy'),
      target('10.0.1.11', 'initial', {
        Reason: 'Elb.InitialHealthChecking',
        Description: 'Initial health checks in progress',
      }),
      target('10.0.9.9', 'draining', { Reason: 'Target.DeregistrationInProgress' }),
    );

    const result = await check();

    expect(result).toMatchObject({ ready: false, unhealthy: [], unused: [] });
    expect(result.initial.map((t) => [t.id, t.state, t.reason])).toEqual([
      ['10.0.1.11', 'initial', 'Elb.InitialHealthChecking'],
    ]);
    expect(result.summary).toBe(
      'green not ready: 1 target(s) still in their initial health checks: 10.0.1.11:80 initial ' +
        '(Elb.InitialHealthChecking: Initial health checks in progress); 1 of 2 wanted targets healthy',
    );
  });

  it('is not ready while every target is still registering, and says they are registered', async () => {
    health(
      target('10.0.1.10', 'initial', { Reason: 'Elb.RegistrationInProgress' }),
      target('10.0.1.11', 'initial', { Reason: 'Elb.RegistrationInProgress' }),
    );

    const result = await check();

    expect(result.ready).toBe(false);
    expect(result.summary).toMatch(
      /2 target\(s\) still in their initial health checks: .*; 0 of 2 wanted targets healthy$/,
    );
    expect(result.summary).not.toMatch(/no target registered/);
  });

  it('is not ready with unused targets, which the load balancer does not check, and says where to look', async () => {
    health(
      target('10.0.1.10', 'unused', {
        Reason: 'Target.NotInUse',
        Description: 'Target group is not configured to receive traffic from the load balancer',
      }),
      target('10.0.1.11', 'unused', { Reason: 'Target.NotInUse' }),
    );

    const result = await check();

    expect(result).toMatchObject({ ready: false, healthy: [], unhealthy: [], initial: [] });
    expect(result.unused.map((t) => t.id)).toEqual(['10.0.1.10', '10.0.1.11']);
    expect(result.summary).toContain(
      `2 target(s) unused, so the load balancer does not health-check them (is ${TG_B} still in the production ` +
        "listener's forward action, and is every target's Availability Zone enabled for the load balancer?): " +
        '10.0.1.10:80 unused (Target.NotInUse: Target group is not configured to receive traffic from the load ' +
        'balancer); 10.0.1.11:80 unused (Target.NotInUse)',
    );
  });

  it('lists a target in a state that leads nowhere (unavailable) as not healthy', async () => {
    health(
      target('10.0.1.10', 'healthy'),
      target('10.0.1.11', 'unavailable', { Reason: 'Target.HealthCheckDisabled' }),
    );

    const result = await check();

    expect(result.ready).toBe(false);
    expect(result.unhealthy.map((t) => [t.id, t.state])).toEqual([['10.0.1.11', 'unavailable']]);
  });

  it('computes the desired count as ECS does (service desiredCount × scale, rounded up) when it is missing', async () => {
    fake.taskSets = [
      BLUE,
      {
        ...GREEN,
        computedDesiredCount: undefined,
        runningCount: undefined,
        scale: { unit: 'PERCENT', value: 50 },
      },
    ];
    fake.ecsFake.handlers.DescribeServices = () => ({ services: [service({ desiredCount: 3 })] });
    health(target('10.0.1.10', 'healthy'));

    const result = await check();

    expect(result).toMatchObject({ ready: false, desired: 2 });
    expect(result.summary).toMatch(/1 of 2 wanted targets healthy/);
  });

  it('is ready with no target when the service wants no task', async () => {
    fake.taskSets = [BLUE, { ...GREEN, computedDesiredCount: 0, runningCount: 0 }];
    health();

    expect(await check()).toMatchObject({ ready: true, desired: 0 });
  });

  it('throws GreenUnhealthyError when the green task set is gone', async () => {
    fake.taskSets = [BLUE];

    await expect(check()).rejects.toThrow(GreenUnhealthyError);
    await expect(check()).rejects.toThrow(/green task set .*green of service "web" is gone/);
  });
});
