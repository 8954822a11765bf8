import {
  ConflictException,
  CreateTaskSetCommand,
  type CreateTaskSetCommandInput,
  DeleteTaskSetCommand,
  DescribeTaskSetsCommand,
  DescribeTasksCommand,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type TaskSet,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { type BlueGreenFixture, createBlueGreenFixture } from '../../../../cli/emulator/fixture';
import { useMoto } from '../../../support/moto';
import { phases, readUntil } from '../../../support/read-until';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

describe('the emulator: ECS task sets behind a load balancer', () => {
  const moto = useMoto();
  let fx: BlueGreenFixture;

  /** Production forwards to blue only, or to blue and (at weight 0, as CreateGreen does) green. */
  const forwardTo = async (withGreen: boolean) => {
    const groups = [{ TargetGroupArn: fx.targetGroups.blue, Weight: 100 }];
    if (withGreen) groups.push({ TargetGroupArn: fx.targetGroups.green, Weight: 0 });
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: fx.listenerArn,
        DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }],
      }),
    );
  };

  beforeEach(async () => {
    fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
    // ECS takes only a target group that a load balancer uses.
    await forwardTo(true);
  });

  const greenInput = (overrides: Partial<CreateTaskSetCommandInput> = {}): CreateTaskSetCommandInput => ({
    cluster: fx.clusterName,
    service: fx.serviceName,
    taskDefinition: fx.taskDefinitionArn,
    externalId: 'dep-1',
    clientToken: 'dep-1',
    launchType: 'FARGATE',
    networkConfiguration: fx.networkConfiguration,
    loadBalancers: [
      {
        targetGroupArn: fx.targetGroups.green,
        containerName: fx.containerName,
        containerPort: fx.containerPort,
      },
    ],
    scale: { unit: 'PERCENT', value: 100 },
    ...overrides,
  });
  const createGreen = async (overrides: Partial<CreateTaskSetCommandInput> = {}): Promise<TaskSet> => {
    const { taskSet } = await ecs.send(new CreateTaskSetCommand(greenInput(overrides)));
    if (!taskSet?.taskSetArn) throw new Error('CreateTaskSet returned no task set');
    return taskSet;
  };
  const describe1 = async (taskSetArn: string): Promise<TaskSet | undefined> => {
    const { taskSets = [] } = await ecs.send(
      new DescribeTaskSetsCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        taskSets: [taskSetArn],
      }),
    );
    return taskSets[0];
  };
  const targetsOf = async (targetGroupArn: string): Promise<TargetHealthDescription[]> => {
    const { TargetHealthDescriptions = [] } = await elbv2.send(
      new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
    );
    return TargetHealthDescriptions;
  };
  const states = async (targetGroupArn: string) =>
    (await targetsOf(targetGroupArn)).map((d) => d.TargetHealth?.State);
  const tasksOf = async (taskSet: TaskSet) => {
    const { taskArns = [] } = await ecs.send(new ListTasksCommand({ cluster: fx.clusterName }));
    const { tasks = [] } = await ecs.send(
      new DescribeTasksCommand({ cluster: fx.clusterName, tasks: taskArns }),
    );
    return tasks.filter((task) => task.startedBy === taskSet.id);
  };

  it('runs computedDesiredCount tasks for a green task set and registers them, healthy, in its target group', async () => {
    const green = await createGreen();

    expect(green).toMatchObject({
      computedDesiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      stabilityStatus: 'STEADY_STATE',
      scale: { unit: 'PERCENT', value: 100 },
    });
    const targets = await targetsOf(fx.targetGroups.green);
    expect(targets).toHaveLength(2);
    expect(targets.map((d) => d.TargetHealth?.State)).toEqual(['healthy', 'healthy']);
    expect(targets.map((d) => d.Target?.Port)).toEqual([80, 80]);

    // The targets are the tasks: started by the task set, one per subnet, on addresses of the default VPC.
    const tasks = await tasksOf(green);
    expect(tasks.map((task) => task.lastStatus)).toEqual(['RUNNING', 'RUNNING']);
    expect(tasks.every((task) => task.group === `service:${fx.serviceName}`)).toBe(true);
    const detail = (task: (typeof tasks)[number], name: string) =>
      task.attachments?.[0]?.details?.find((d) => d.name === name)?.value;
    const addresses = tasks.map((task) => detail(task, 'privateIPv4Address'));
    expect(targets.map((d) => d.Target?.Id).sort()).toEqual([...addresses].sort());
    expect(addresses.every((ip) => /^172\.31\.\d+\.\d+$/.test(ip ?? ''))).toBe(true);
    expect(new Set(tasks.map((task) => detail(task, 'subnetId'))).size).toBe(2);
    expect(await describe1(green.taskSetArn ?? '')).toMatchObject({
      runningCount: 2,
      stabilityStatus: 'STEADY_STATE',
    });
  });

  it('runs a Fargate task definition whose containers have no memory of their own, as ECS does', async () => {
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'task-level-memory',
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '1024',
        containerDefinitions: [
          { name: 'web', image: 'nginx', essential: true, portMappings: [{ containerPort: 80 }] },
          { name: 'sidecar', image: 'busybox', essential: false, memoryReservation: 64 },
        ],
      }),
    );
    const green = await createGreen({ taskDefinition: taskDefinition?.taskDefinitionArn ?? '' });
    expect(green).toMatchObject({
      computedDesiredCount: 2,
      runningCount: 2,
      stabilityStatus: 'STEADY_STATE',
    });
    const tasks = await tasksOf(green);
    expect(tasks.map((task) => [task.lastStatus, task.taskDefinitionArn])).toEqual([
      ['RUNNING', taskDefinition?.taskDefinitionArn],
      ['RUNNING', taskDefinition?.taskDefinitionArn],
    ]);
  });

  it('still refuses, as ECS does, a container without memory in a task without memory', async () => {
    await expect(
      ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'no-memory-at-all',
          requiresCompatibilities: ['EC2'],
          containerDefinitions: [{ name: 'web', image: 'nginx' }],
        }),
      ),
    ).rejects.toThrow(/memory/i);
  });

  it('reports targets marked unhealthy by the control, one or the whole group including later targets, and stabilizes only when healthy', async () => {
    const green = await createGreen();
    const [first] = await targetsOf(fx.targetGroups.green);
    const firstId = first?.Target?.Id ?? '';

    await moto.setTargetHealth({
      targetGroupArn: fx.targetGroups.green,
      targetId: firstId,
      state: 'unhealthy',
    });
    const byId = Object.fromEntries(
      (await targetsOf(fx.targetGroups.green)).map((d) => [d.Target?.Id, d.TargetHealth?.State]),
    );
    expect(byId[firstId]).toBe('unhealthy');
    expect(Object.values(byId).sort()).toEqual(['healthy', 'unhealthy']);
    expect((await describe1(green.taskSetArn ?? ''))?.stabilityStatus).toBe('STABILIZING');

    await moto.setTargetHealth({ targetGroupArn: fx.targetGroups.green, state: 'unhealthy' });
    await ecs.send(
      new UpdateServiceCommand({ cluster: fx.clusterName, service: fx.serviceName, desiredCount: 3 }),
    );
    expect(await states(fx.targetGroups.green)).toEqual(['unhealthy', 'unhealthy', 'unhealthy']);

    await moto.setTargetHealth({ targetGroupArn: fx.targetGroups.green, state: 'healthy' });
    expect(await describe1(green.taskSetArn ?? '')).toMatchObject({
      computedDesiredCount: 3,
      runningCount: 3,
      stabilityStatus: 'STEADY_STATE',
    });
  });

  it('creates one task set per clientToken and refuses the token with other parameters', async () => {
    const first = await createGreen();
    const again = await createGreen();

    expect(again.taskSetArn).toBe(first.taskSetArn);
    const { taskSets = [] } = await ecs.send(
      new DescribeTaskSetsCommand({ cluster: fx.clusterName, service: fx.serviceName }),
    );
    expect(taskSets.map((set) => set.externalId).sort()).toEqual(['dep-1', 'fixture-initial']);
    expect(await targetsOf(fx.targetGroups.green)).toHaveLength(2);

    const conflicting = createGreen({ scale: { unit: 'PERCENT', value: 50 } });
    await expect(conflicting).rejects.toThrow(ConflictException);
    await expect(conflicting).rejects.toThrow(/clientToken 'dep-1' was already used .* different parameters/);
  });

  it('re-scales on UpdateTaskSet and on the service desiredCount, rounding up', async () => {
    const green = await createGreen({ scale: { unit: 'PERCENT', value: 50 } });
    expect(green.computedDesiredCount).toBe(1);
    expect(await targetsOf(fx.targetGroups.green)).toHaveLength(1);

    const { taskSet: full } = await ecs.send(
      new UpdateTaskSetCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        taskSet: green.taskSetArn,
        scale: { unit: 'PERCENT', value: 100 },
      }),
    );
    expect(full).toMatchObject({ computedDesiredCount: 2, runningCount: 2, stabilityStatus: 'STEADY_STATE' });
    expect(await states(fx.targetGroups.green)).toEqual(['healthy', 'healthy']);

    await ecs.send(
      new UpdateServiceCommand({ cluster: fx.clusterName, service: fx.serviceName, desiredCount: 3 }),
    );
    await ecs.send(
      new UpdateTaskSetCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        taskSet: green.taskSetArn,
        scale: { unit: 'PERCENT', value: 50 },
      }),
    );
    // ceil(3 x 50%) = 2: one of the three tasks stops and leaves the target group.
    expect(await describe1(green.taskSetArn ?? '')).toMatchObject({
      computedDesiredCount: 2,
      runningCount: 2,
    });
    expect(await targetsOf(fx.targetGroups.green)).toHaveLength(2);
    const tasks = await tasksOf(green);
    expect(tasks.map((task) => task.lastStatus).sort()).toEqual(['RUNNING', 'RUNNING', 'STOPPED']);
  });

  it('deregisters the targets and stops the tasks of a deleted task set; the primary swap still works', async () => {
    const green = await createGreen();
    await ecs.send(
      new UpdateServicePrimaryTaskSetCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        primaryTaskSet: green.taskSetArn,
      }),
    );
    expect((await describe1(green.taskSetArn ?? ''))?.status).toBe('PRIMARY');

    const blueTargets = (await targetsOf(fx.targetGroups.blue)).length;
    await ecs.send(
      new DeleteTaskSetCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        taskSet: String(fx.blueTaskSetArn),
      }),
    );

    // The fixture registers two targets of its own in blue besides the task set's two; only those two remain.
    expect(await targetsOf(fx.targetGroups.blue)).toHaveLength(blueTargets - 2);
    expect(await states(fx.targetGroups.green)).toEqual(['healthy', 'healthy']);
    const { tasks = [] } = await ecs.send(
      new DescribeTasksCommand({
        cluster: fx.clusterName,
        tasks: (await ecs.send(new ListTasksCommand({ cluster: fx.clusterName }))).taskArns,
      }),
    );
    const blueTasks = tasks.filter((task) => task.startedBy !== green.id);
    expect(blueTasks.map((task) => [task.lastStatus, task.stoppedReason])).toEqual([
      ['STOPPED', expect.stringContaining('deleted')],
      ['STOPPED', expect.stringContaining('deleted')],
    ]);
  });

  it('reports STABILIZING for the polls the control asks for, on a task set or on the next ones of a service', async () => {
    await moto.setTaskSetStability({ serviceArn: fx.serviceArn, stabilizingPolls: 1 });
    const green = await createGreen();
    expect(green.stabilityStatus).toBe('STABILIZING');
    expect((await describe1(green.taskSetArn ?? ''))?.stabilityStatus).toBe('STABILIZING');
    expect((await describe1(green.taskSetArn ?? ''))?.stabilityStatus).toBe('STEADY_STATE');

    await moto.setTaskSetStability({ taskSetArn: green.taskSetArn ?? '', stabilizingPolls: 2 });
    const polls = [];
    for (let i = 0; i < 3; i += 1) polls.push((await describe1(green.taskSetArn ?? ''))?.stabilityStatus);
    expect(polls).toEqual(['STABILIZING', 'STABILIZING', 'STEADY_STATE']);

    await expect(moto.setTaskSetStability({ taskSetArn: 'nope', stabilizingPolls: 1 })).rejects.toThrow(
      /is not an ECS task-set ARN/,
    );
  });

  it('refuses a load balancer the task definition or the target group cannot serve', async () => {
    await expect(
      createGreen({
        clientToken: 'bad-port',
        loadBalancers: [{ targetGroupArn: fx.targetGroups.green, containerName: 'web', containerPort: 8080 }],
      }),
    ).rejects.toThrow(InvalidParameterException);
    await expect(
      createGreen({
        clientToken: 'bad-group',
        loadBalancers: [
          {
            targetGroupArn: `${fx.targetGroups.green.slice(0, -4)}0000`,
            containerName: 'web',
            containerPort: 80,
          },
        ],
      }),
    ).rejects.toThrow(/does not exist/);
  });

  it('still runs task sets without a load balancer, with their counts', async () => {
    const plain = await createGreen({
      clientToken: 'plain',
      loadBalancers: [],
      scale: { unit: 'PERCENT', value: 50 },
    });

    expect(plain).toMatchObject({
      computedDesiredCount: 1,
      runningCount: 1,
      stabilityStatus: 'STEADY_STATE',
    });
    expect(await tasksOf(plain)).toHaveLength(1);
    expect(await targetsOf(fx.targetGroups.green)).toEqual([]);
  });

  it('refuses, as ECS does, a target group that no listener uses, before starting anything', async () => {
    await forwardTo(false);
    const refused = createGreen();
    await expect(refused).rejects.toThrow(InvalidParameterException);
    await expect(refused).rejects.toThrow(
      `The target group with targetGroupArn ${fx.targetGroups.green} does not have an associated load balancer.`,
    );
    const { taskSets = [] } = await ecs.send(
      new DescribeTaskSetsCommand({ cluster: fx.clusterName, service: fx.serviceName }),
    );
    expect(taskSets.map((set) => set.externalId)).toEqual(['fixture-initial']);
    expect(await targetsOf(fx.targetGroups.green)).toEqual([]);

    // A listener rule associates the group as a default action does.
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: fx.testListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: fx.targetGroups.green }],
      }),
    );
    expect((await createGreen()).computedDesiredCount).toBe(2);
  });

  it('starts tasks over taskStartSeconds (PROVISIONING, PENDING, ACTIVATING, RUNNING); the counts and stability follow', async () => {
    await moto.setTimings({ taskStartSeconds: 0.6, healthCheckScale: 0.01 });
    const green = await createGreen();
    expect(green).toMatchObject({
      computedDesiredCount: 2,
      runningCount: 0,
      pendingCount: 2,
      stabilityStatus: 'STABILIZING',
    });
    // ECS registers a task's target while the task starts; the load balancer checks it once the task runs.
    expect((await targetsOf(fx.targetGroups.green)).map((d) => d.TargetHealth?.Reason)).toEqual([
      'Elb.RegistrationInProgress',
      'Elb.RegistrationInProgress',
    ]);

    const taskStates = await readUntil(
      async () => (await tasksOf(green)).map((task) => task.lastStatus).join(' '),
      (states) => states === 'RUNNING RUNNING',
    );
    const order = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING'];
    const firstTask = phases(taskStates.map((states) => states.split(' ')[0] ?? ''));
    expect(firstTask.at(-1)).toBe('RUNNING');
    expect(firstTask.length).toBeGreaterThan(1);
    expect(firstTask.map((state) => order.indexOf(state))).toEqual(
      [...firstTask.map((state) => order.indexOf(state))].sort((a, b) => a - b),
    );

    const stability = await readUntil(
      async () => {
        const set = await describe1(green.taskSetArn ?? '');
        return `${set?.runningCount}/${set?.pendingCount} ${set?.stabilityStatus}`;
      },
      (line) => line.endsWith('STEADY_STATE'),
    );
    expect(stability.at(-1)).toBe('2/0 STEADY_STATE');
    expect(await states(fx.targetGroups.green)).toEqual(['healthy', 'healthy']);
  });

  it('drains the targets of a deleted task set for the deregistration delay (scaled)', async () => {
    await moto.setTimings({ deregistrationScale: 0.002 });
    const before = (await targetsOf(fx.targetGroups.blue)).length;
    await ecs.send(
      new DeleteTaskSetCommand({
        cluster: fx.clusterName,
        service: fx.serviceName,
        taskSet: String(fx.blueTaskSetArn),
      }),
    );
    const draining = await targetsOf(fx.targetGroups.blue);
    expect(draining).toHaveLength(before);
    expect(
      draining.filter((d) => d.TargetHealth?.State === 'draining').map((d) => d.TargetHealth?.Reason),
    ).toEqual(['Target.DeregistrationInProgress', 'Target.DeregistrationInProgress']);
    const counts = await readUntil(
      async () => (await targetsOf(fx.targetGroups.blue)).length,
      (count) => count === before - 2,
    );
    expect(phases(counts)).toEqual([before, before - 2]);
  });
});
