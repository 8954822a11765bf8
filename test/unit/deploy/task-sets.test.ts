import {
  ClusterNotFoundException,
  CreateTaskSetCommand,
  type CreateTaskSetCommandInput,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  type DescribeTaskSetsCommandInput,
  ECSClient,
  InvalidParameterException,
  type Service,
  type TaskSet,
  TaskSetNotFoundException,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkGreen,
  createGreenTaskSet,
  deleteTaskSet,
  describeService,
  findTaskSets,
  type GreenTaskSetInput,
  makePrimary,
} from '../../../functions/lib/deploy/task-sets';
import {
  GreenUnhealthyError,
  InvalidInputError,
  ServiceNotReadyError,
  TransientAwsError,
} from '../../../functions/lib/shared/errors';

const CLUSTER = 'apps';
const SERVICE = 'web';
const PREFIX = 'arn:aws:ecs:us-east-1:123456789012';
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/6d0ecf831eec9f09';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/9683b2d02a6cabee';
const TD_1 = `${PREFIX}:task-definition/web:1`;
const TD_2 = `${PREFIX}:task-definition/web:2`;
const arnOf = (id: string) => `${PREFIX}:task-set/${CLUSTER}/${SERVICE}/ecs-svc/${id}`;
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-1', 'subnet-2'],
    securityGroups: ['sg-1'],
    assignPublicIp: 'DISABLED' as const,
  },
};

const ecsMock = mockClient(ECSClient);
const elbv2Mock = mockClient(ElasticLoadBalancingV2Client);
const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

/** The service's task sets as the fake ECS holds them; DescribeTaskSets filters them like ECS. */
let taskSets: TaskSet[] = [];

const taskSet = (id: string, overrides: Partial<TaskSet> = {}): TaskSet => ({
  id: `ecs-svc/${id}`,
  taskSetArn: arnOf(id),
  status: 'ACTIVE',
  taskDefinition: TD_1,
  loadBalancers: [{ targetGroupArn: TG_A, containerName: 'web', containerPort: 80 }],
  stabilityStatus: 'STEADY_STATE',
  computedDesiredCount: 2,
  runningCount: 2,
  scale: { unit: 'PERCENT', value: 100 },
  launchType: 'FARGATE',
  platformVersion: '1.4.0',
  networkConfiguration: NETWORK,
  ...overrides,
});
const BLUE = taskSet('blue', { status: 'PRIMARY', externalId: 'deploy-0' });

const service = (overrides: Partial<Service> = {}): Service => ({
  serviceArn: `${PREFIX}:service/${CLUSTER}/${SERVICE}`,
  serviceName: SERVICE,
  clusterArn: `${PREFIX}:cluster/${CLUSTER}`,
  status: 'ACTIVE',
  desiredCount: 2,
  deploymentController: { type: 'EXTERNAL' },
  ...overrides,
});

const green = (overrides: Partial<GreenTaskSetInput> = {}): GreenTaskSetInput => ({
  cluster: CLUSTER,
  service: SERVICE,
  taskDefinition: TD_2,
  targetGroupArn: TG_B,
  containerName: 'web',
  containerPort: 80,
  clientToken: 'deploy-1',
  ...overrides,
});

const target = (id: string, State: string, extra: Record<string, string> = {}): TargetHealthDescription => ({
  Target: { Id: id, Port: 80 },
  TargetHealth: { State: State as never, ...extra },
});

const createInput = () =>
  ecsMock.commandCalls(CreateTaskSetCommand)[0]?.args[0].input as CreateTaskSetCommandInput;
const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

beforeEach(() => {
  ecsMock.reset();
  elbv2Mock.reset();
  taskSets = [BLUE];
  ecsMock.on(DescribeServicesCommand).resolves({ services: [service()], failures: [] });
  ecsMock.on(DescribeTaskSetsCommand).callsFake((input: DescribeTaskSetsCommandInput) => ({
    taskSets: input.taskSets
      ? taskSets.filter((set) => input.taskSets?.includes(set.taskSetArn ?? ''))
      : taskSets,
  }));
  ecsMock.on(CreateTaskSetCommand).callsFake((input: CreateTaskSetCommandInput) => {
    const created = taskSet('green', {
      externalId: input.externalId,
      taskDefinition: input.taskDefinition,
      loadBalancers: input.loadBalancers,
      stabilityStatus: 'STABILIZING',
    });
    taskSets = [...taskSets, created];
    return { taskSet: created };
  });
});

describe('describeService', () => {
  it('returns the service of an EXTERNAL controller', async () => {
    expect(await describeService(ecs, CLUSTER, SERVICE)).toEqual({
      arn: `${PREFIX}:service/${CLUSTER}/${SERVICE}`,
      name: SERVICE,
      clusterArn: `${PREFIX}:cluster/${CLUSTER}`,
      status: 'ACTIVE',
      desiredCount: 2,
    });
    expect(ecsMock.commandCalls(DescribeServicesCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      services: [SERVICE],
    });
  });

  it.each<[string, () => void, RegExp]>([
    [
      'is missing',
      () => ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] }),
      /service "web" in cluster "apps" was not found \(MISSING\); check the stack's cluster and service parameters/,
    ],
    [
      'is draining',
      () => ecsMock.on(DescribeServicesCommand).resolves({ services: [service({ status: 'DRAINING' })] }),
      /is DRAINING, not ACTIVE/,
    ],
    [
      'uses the ECS controller',
      () =>
        ecsMock
          .on(DescribeServicesCommand)
          .resolves({ services: [service({ deploymentController: { type: 'ECS' } })] }),
      /uses the ECS deployment controller; .*needs deploymentController type EXTERNAL: create the service with DeploymentController: \{Type: EXTERNAL\}/,
    ],
    [
      'uses CodeDeploy',
      () =>
        ecsMock
          .on(DescribeServicesCommand)
          .resolves({ services: [service({ deploymentController: { type: 'CODE_DEPLOY' } })] }),
      /uses the CODE_DEPLOY deployment controller/,
    ],
    [
      'has no cluster',
      () =>
        ecsMock
          .on(DescribeServicesCommand)
          .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} })),
      /ClusterNotFoundException: Cluster not found\.; check the stack's cluster and service parameters/,
    ],
  ])('throws ServiceNotReadyError when the service %s', async (_case, arrange, message) => {
    arrange();
    const attempt = describeService(ecs, CLUSTER, SERVICE);
    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('findTaskSets', () => {
  it('returns the primary and the active task sets with their target group, leaving draining ones out', async () => {
    taskSets = [
      BLUE,
      taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }], taskDefinition: TD_2 }),
      taskSet('old', { status: 'DRAINING' }),
    ];

    const { primary, active } = await findTaskSets(ecs, CLUSTER, SERVICE);

    expect(primary).toMatchObject({
      arn: arnOf('blue'),
      status: 'PRIMARY',
      targetGroupArn: TG_A,
      taskDefinition: TD_1,
    });
    expect(active).toEqual([
      expect.objectContaining({ arn: arnOf('green'), targetGroupArn: TG_B, taskDefinition: TD_2 }),
    ]);
  });
});

describe('createGreenTaskSet', () => {
  it('creates the green task set at 100 % behind the green group, copying network and platform from the primary', async () => {
    const result = await createGreenTaskSet(ecs, green());

    expect(result).toMatchObject({ created: true, taskSet: { arn: arnOf('green'), externalId: 'deploy-1' } });
    expect(createInput()).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      taskDefinition: TD_2,
      externalId: 'deploy-1',
      clientToken: 'deploy-1',
      loadBalancers: [{ targetGroupArn: TG_B, containerName: 'web', containerPort: 80 }],
      scale: { unit: 'PERCENT', value: 100 },
      networkConfiguration: NETWORK,
      launchType: 'FARGATE',
      platformVersion: '1.4.0',
    });
  });

  it("takes the AppSpec's network, platform version and capacity providers over the primary's", async () => {
    const network = { awsvpcConfiguration: { subnets: ['subnet-9'], securityGroups: ['sg-9'] } };
    const capacity = [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }];

    await createGreenTaskSet(
      ecs,
      green({ networkConfiguration: network, platformVersion: 'LATEST', capacityProviderStrategy: capacity }),
    );

    expect(createInput()).toMatchObject({
      networkConfiguration: network,
      platformVersion: 'LATEST',
      capacityProviderStrategy: capacity,
    });
    expect(createInput().launchType).toBeUndefined();
  });

  it("copies the primary's capacity provider strategy, and no platform version onto EC2", async () => {
    const capacity = [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }];
    taskSets = [{ ...BLUE, launchType: undefined, capacityProviderStrategy: capacity }];
    await createGreenTaskSet(ecs, green());
    expect(createInput()).toMatchObject({ capacityProviderStrategy: capacity, platformVersion: '1.4.0' });

    ecsMock.resetHistory();
    taskSets = [{ ...BLUE, launchType: 'EC2' }];
    await createGreenTaskSet(ecs, green());
    expect(createInput()).toMatchObject({ launchType: 'EC2' });
    expect(createInput().platformVersion).toBeUndefined();
  });

  it('returns the task set an earlier attempt of the same deployment made, without creating another', async () => {
    const earlier = taskSet('green', {
      externalId: 'deploy-1',
      taskDefinition: TD_2,
      loadBalancers: [{ targetGroupArn: TG_B }],
    });
    taskSets = [BLUE, earlier];

    const result = await createGreenTaskSet(ecs, green({ taskDefinition: 'web:2' }));

    expect(result).toMatchObject({ created: false, taskSet: { arn: arnOf('green') } });
    expect(ecsMock.commandCalls(CreateTaskSetCommand)).toHaveLength(0);
  });

  it('refuses a deployment id already used for another task definition', async () => {
    taskSets = [
      BLUE,
      taskSet('green', {
        externalId: 'deploy-1',
        taskDefinition: TD_1,
        loadBalancers: [{ targetGroupArn: TG_B }],
      }),
    ];

    const attempt = createGreenTaskSet(ecs, green());

    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      /of deployment "deploy-1" runs .*web:1 behind .*web-b.*one deployment id names one green task set/,
    );
  });

  it('refuses a green target group that another task set still uses', async () => {
    taskSets = [
      BLUE,
      taskSet('left', { externalId: 'deploy-0b', loadBalancers: [{ targetGroupArn: TG_B }] }),
    ];

    const attempt = createGreenTaskSet(ecs, green());

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /task set .*left \(ACTIVE, .*\) already uses target group .*web-b.*wait for it to be deleted, or delete it/,
    );
    expect(ecsMock.commandCalls(CreateTaskSetCommand)).toHaveLength(0);
  });

  describe('on the first deployment (no task set yet)', () => {
    beforeEach(() => {
      taskSets = [];
    });

    it('needs the AppSpec network configuration for an awsvpc task definition, and says where to put it', async () => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { networkMode: 'awsvpc' } });

      const attempt = createGreenTaskSet(ecs, green());

      await expect(attempt).rejects.toThrow(InvalidInputError);
      await expect(attempt).rejects.toThrow(
        /uses awsvpc networking, and service "web" this is its first deployment \(no primary task set to copy the network configuration from\); add Resources\[0\]\.TargetService\.Properties\.NetworkConfiguration\.AwsvpcConfiguration/,
      );
      expect(ecsMock.commandCalls(CreateTaskSetCommand)).toHaveLength(0);
    });

    it('creates with the AppSpec network configuration and no launch type of its own', async () => {
      await createGreenTaskSet(ecs, green({ networkConfiguration: NETWORK }));

      expect(createInput()).toMatchObject({ networkConfiguration: NETWORK });
      expect(createInput()).not.toHaveProperty('launchType');
      expect(createInput()).not.toHaveProperty('platformVersion');
      expect(ecsMock.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(0);
    });

    it('creates without a network configuration for a bridge-mode task definition', async () => {
      ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { networkMode: 'bridge' } });

      await createGreenTaskSet(ecs, green({ launchType: 'EC2' }));

      expect(createInput()).not.toHaveProperty('networkConfiguration');
      expect(createInput().launchType).toBe('EC2');
    });
  });

  it.each([
    ['too long', 'd'.repeat(37)],
    ['empty', ''],
    ['with a space', 'deploy 1'],
  ])('refuses a client token that is %s before calling ECS', async (_case, clientToken) => {
    await expect(createGreenTaskSet(ecs, green({ clientToken }))).rejects.toThrow(
      /must be 1 to 36 printable ASCII characters \(ECS CreateTaskSet\)/,
    );
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('accepts a client token of exactly 36 characters', async () => {
    await createGreenTaskSet(ecs, green({ clientToken: 'd'.repeat(36) }));
    expect(createInput().clientToken).toHaveLength(36);
  });

  it('explains an ECS refusal with the AppSpec fields involved, and lets a throttled call be retried', async () => {
    ecsMock
      .on(CreateTaskSetCommand)
      .rejectsOnce(
        new InvalidParameterException({
          message: 'The container web2 does not exist in the task definition.',
          $metadata: {},
        }),
      )
      .rejectsOnce(throttled());

    const refused = createGreenTaskSet(ecs, green({ containerName: 'web2' }));
    await expect(refused).rejects.toThrow(InvalidInputError);
    await expect(refused).rejects.toThrow(
      /ECS refused the green task set \(task definition .*web:2, container "web2" port 80, target group .*web-b\/\w+\): InvalidParameterException: The container web2 does not exist in the task definition\.; check appspec\.yaml's LoadBalancerInfo/,
    );
    await expect(createGreenTaskSet(ecs, green())).rejects.toThrow(TransientAwsError);
  });
});

describe('checkGreen', () => {
  const GREEN = taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }], taskDefinition: TD_2 });
  const check = () =>
    checkGreen(ecs, elbv2, {
      cluster: CLUSTER,
      service: SERVICE,
      taskSetArn: arnOf('green'),
      targetGroupArn: TG_B,
    });
  const health = (...targets: TargetHealthDescription[]) =>
    elbv2Mock.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: targets });

  beforeEach(() => {
    taskSets = [BLUE, GREEN];
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
      summary: 'green ready: 2 healthy target(s), 2 wanted, task set STEADY_STATE',
    });
    expect(elbv2Mock.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({
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

  it.each<[string, Partial<TaskSet>, RegExp]>([
    ['stabilizing', { stabilityStatus: 'STABILIZING' }, /task set is STABILIZING/],
    ['short of running tasks', { runningCount: 1 }, /1 of 2 tasks running/],
  ])(
    'is not ready while the task set is %s, even with healthy targets',
    async (_case, overrides, message) => {
      taskSets = [BLUE, { ...GREEN, ...overrides }];
      health(target('10.0.1.10', 'healthy'), target('10.0.1.11', 'healthy'));

      const result = await check();

      expect(result.ready).toBe(false);
      expect(result.summary).toMatch(message);
    },
  );

  it('counts initial and unused targets as not healthy and ignores draining ones', async () => {
    health(
      target('10.0.1.10', 'healthy'),
      target('10.0.1.11', 'initial', { Reason: 'Elb.InitialHealthChecking' }),
      target('10.0.1.12', 'unused', { Reason: 'Target.NotInUse' }),
      target('10.0.9.9', 'draining', { Reason: 'Target.DeregistrationInProgress' }),
    );

    const result = await check();

    expect(result.ready).toBe(false);
    expect(result.unhealthy.map((t) => [t.id, t.state])).toEqual([
      ['10.0.1.11', 'initial'],
      ['10.0.1.12', 'unused'],
    ]);
  });

  it('computes the desired count as ECS does (service desiredCount × scale, rounded up) when it is missing', async () => {
    taskSets = [
      BLUE,
      {
        ...GREEN,
        computedDesiredCount: undefined,
        runningCount: undefined,
        scale: { unit: 'PERCENT', value: 50 },
      },
    ];
    ecsMock.on(DescribeServicesCommand).resolves({ services: [service({ desiredCount: 3 })] });
    health(target('10.0.1.10', 'healthy'));

    const result = await check();

    expect(result).toMatchObject({ ready: false, desired: 2 });
    expect(result.summary).toMatch(/1 of 2 wanted targets healthy/);
  });

  it('is ready with no target when the service wants no task', async () => {
    taskSets = [BLUE, { ...GREEN, computedDesiredCount: 0, runningCount: 0 }];
    health();

    expect(await check()).toMatchObject({ ready: true, desired: 0 });
  });

  it('throws GreenUnhealthyError when the green task set is gone', async () => {
    taskSets = [BLUE];

    await expect(check()).rejects.toThrow(GreenUnhealthyError);
    await expect(check()).rejects.toThrow(/green task set .*green of service "web" is gone/);
  });
});

describe('makePrimary', () => {
  const ref = { cluster: CLUSTER, service: SERVICE, taskSetArn: arnOf('green') };

  beforeEach(() => {
    taskSets = [BLUE, taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }] })];
    ecsMock.on(UpdateServicePrimaryTaskSetCommand).callsFake(({ primaryTaskSet }) => {
      taskSets = taskSets.map((set) => ({
        ...set,
        status: set.taskSetArn === primaryTaskSet ? 'PRIMARY' : 'ACTIVE',
      }));
      return {};
    });
  });

  it('makes the task set primary by its full ARN and verifies it', async () => {
    const primary = await makePrimary(ecs, ref);

    expect(primary).toMatchObject({ arn: arnOf('green'), status: 'PRIMARY' });
    expect(ecsMock.commandCalls(UpdateServicePrimaryTaskSetCommand)[0]?.args[0].input).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      primaryTaskSet: arnOf('green'),
    });
  });

  it('does nothing when the task set is already primary', async () => {
    await makePrimary(ecs, ref);
    await makePrimary(ecs, ref);

    expect(ecsMock.commandCalls(UpdateServicePrimaryTaskSetCommand)).toHaveLength(1);
  });

  it('refuses a short task set id, which ECS may accept without effect', async () => {
    await expect(makePrimary(ecs, { ...ref, taskSetArn: 'ecs-svc/green' })).rejects.toThrow(
      /"ecs-svc\/green" is not a full task set ARN/,
    );
    expect(ecsMock.calls()).toHaveLength(0);
  });

  it('throws ServiceNotReadyError when the service still has another primary afterwards', async () => {
    ecsMock.on(UpdateServicePrimaryTaskSetCommand).resolves({});

    const attempt = makePrimary(ecs, ref);

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /the primary task set of service "web" is .*blue; something else is changing/,
    );
  });
});

describe('deleteTaskSet', () => {
  const ref = { cluster: CLUSTER, service: SERVICE, taskSetArn: arnOf('green') };

  beforeEach(() => {
    taskSets = [BLUE, taskSet('green')];
    ecsMock.on(DeleteTaskSetCommand).callsFake(({ taskSet: arn }) => {
      taskSets = taskSets.filter((set) => set.taskSetArn !== arn);
      return {};
    });
  });

  it('deletes with force, then succeeds again without a call when it is gone', async () => {
    expect(await deleteTaskSet(ecs, ref)).toEqual({ deleted: true });
    expect(await deleteTaskSet(ecs, ref)).toEqual({ deleted: false });

    expect(ecsMock.commandCalls(DeleteTaskSetCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: CLUSTER, service: SERVICE, taskSet: arnOf('green'), force: true },
    ]);
  });

  it('leaves a draining task set alone', async () => {
    taskSets = [BLUE, taskSet('green', { status: 'DRAINING' })];

    expect(await deleteTaskSet(ecs, ref)).toEqual({ deleted: false });
    expect(ecsMock.commandCalls(DeleteTaskSetCommand)).toHaveLength(0);
  });

  it.each([
    [
      'TaskSetNotFoundException',
      new TaskSetNotFoundException({ message: 'The specified task set wasn\u2019t found.', $metadata: {} }),
    ],
    [
      'moto\u2019s ClientException',
      Object.assign(new Error('The specified task set does not exist.'), { name: 'ClientException' }),
    ],
  ])('treats %s from a concurrent delete as done', async (_case, error) => {
    ecsMock.on(DeleteTaskSetCommand).rejects(error);

    expect(await deleteTaskSet(ecs, ref)).toEqual({ deleted: false });
  });

  it('refuses to delete the primary task set', async () => {
    const attempt = deleteTaskSet(ecs, { ...ref, taskSetArn: arnOf('blue') });

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /is the PRIMARY of service "web"; make another task set primary before deleting it/,
    );
    expect(ecsMock.commandCalls(DeleteTaskSetCommand)).toHaveLength(0);
  });

  it('lets a throttled delete be retried', async () => {
    ecsMock.on(DeleteTaskSetCommand).rejects(throttled());

    await expect(deleteTaskSet(ecs, ref)).rejects.toThrow(TransientAwsError);
  });
});
