import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateServiceCommand,
  CreateTaskSetCommand,
  DescribeTaskSetsCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  type DescribeListenersCommandInput,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { type BlueGreenFixture, createBlueGreenFixture } from '../../../cli/emulator/fixture';
import { alarmsInAlarm } from '../../../functions/lib/deploy/alarms';
import { checkGreen } from '../../../functions/lib/deploy/green-health';
import { createGreenTaskSet, type GreenTaskSetInput } from '../../../functions/lib/deploy/green-task-set';
import { liveTargetGroup, setWeights } from '../../../functions/lib/deploy/listener';
import {
  deleteTaskSet,
  describeService,
  findTaskSets,
  makePrimary,
} from '../../../functions/lib/deploy/task-sets';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import {
  ConfigurationError,
  ServiceNotReadyError,
  WeightsMismatchError,
} from '../../../functions/lib/shared/errors';
import { greenTaskSetInput, listenerWeights, putTestAlarm } from '../../support/deploy-fixture';
import { useMoto } from '../../support/moto';

// The deploy stage's ECS client (signed JSON requests); the SDK's sets up and reads back what ECS holds.
const ecs = jsonClient(ECS);
const ecsSdk = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

describe('deploy adapters against moto', () => {
  const moto = useMoto();
  let fx: BlueGreenFixture;

  beforeEach(async () => {
    fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
  });

  const greenInput = (overrides: Partial<GreenTaskSetInput> = {}) =>
    greenTaskSetInput(fx, 'dep-0001', overrides);
  const ref = (taskSetArn: string) => ({ cluster: fx.clusterName, service: fx.serviceName, taskSetArn });

  describe('the fixture', () => {
    it('is an EXTERNAL service with a primary task set on the live target group, which has healthy targets', async () => {
      expect(await describeService(ecs, fx.clusterName, fx.serviceName)).toMatchObject({
        arn: fx.serviceArn,
        status: 'ACTIVE',
        desiredCount: 2,
      });
      const { primary, active } = await findTaskSets(ecs, fx.clusterName, fx.serviceName);
      expect(primary).toMatchObject({ arn: fx.blueTaskSetArn, targetGroupArn: fx.targetGroups.blue });
      expect(active).toEqual([]);
      expect(
        await liveTargetGroup(elbv2, fx.listenerArn, [fx.targetGroups.blue, fx.targetGroups.green]),
      ).toMatchObject({
        kind: 'single',
        live: fx.targetGroups.blue,
        green: fx.targetGroups.green,
      });
      expect(
        await liveTargetGroup(elbv2, fx.testListenerArn, [fx.targetGroups.green, fx.targetGroups.blue]),
      ).toMatchObject({
        live: fx.targetGroups.blue,
      });
      const { TargetHealthDescriptions = [] } = await elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: fx.targetGroups.blue }),
      );
      expect(TargetHealthDescriptions.map((d) => d.TargetHealth?.State)).toEqual(['healthy', 'healthy']);
    });
  });

  describe('listener weights', () => {
    it('shifts 90/10, reads it back, and returns to 100/0', async () => {
      const { blue, green } = fx.targetGroups;

      const observed = await setWeights(elbv2, fx.listenerArn, { [blue]: 90, [green]: 10 });

      expect(observed.targetGroups).toEqual([
        { arn: blue, weight: 90, percent: 90 },
        { arn: green, weight: 10, percent: 10 },
      ]);
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [blue]: 90, [green]: 10 });
      expect(await liveTargetGroup(elbv2, fx.listenerArn, [blue, green])).toMatchObject({ kind: 'split' });
      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [blue]: 1 });

      await setWeights(elbv2, fx.listenerArn, { [blue]: 100, [green]: 0 });
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [blue]: 100, [green]: 0 });
    });

    it('keeps the stickiness of the forward action', async () => {
      const { blue, green } = fx.targetGroups;
      await elbv2.send(
        new ModifyListenerCommand({
          ListenerArn: fx.listenerArn,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [{ TargetGroupArn: blue, Weight: 100 }],
                TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 },
              },
            },
          ],
        }),
      );

      await setWeights(elbv2, fx.listenerArn, { [blue]: 0, [green]: 100 });

      const { Listeners } = await elbv2.send(
        new DescribeListenersCommand({ ListenerArns: [fx.listenerArn] }),
      );
      expect(Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroupStickinessConfig).toEqual({
        Enabled: true,
        DurationSeconds: 600,
      });
    });

    describe('with a listener that does not keep what is written (a fault moto cannot produce)', () => {
      // A client whose ModifyListener is intercepted; its reads go to moto through a real client.
      const faulty = new ElasticLoadBalancingV2Client({});
      const faultyMock = mockClient(faulty);

      beforeEach(() => {
        faultyMock.reset();
        faultyMock
          .on(DescribeListenersCommand)
          .callsFake((input: DescribeListenersCommandInput) =>
            elbv2.send(new DescribeListenersCommand(input)),
          );
      });
      afterAll(() => faultyMock.restore());

      it('throws WeightsMismatchError when the write is lost', async () => {
        const { blue, green } = fx.targetGroups;
        faultyMock.on(ModifyListenerCommand).resolves({});

        const attempt = setWeights(faulty, fx.listenerArn, { [blue]: 90, [green]: 10 });

        await expect(attempt).rejects.toThrow(WeightsMismatchError);
        await expect(attempt).rejects.toThrow(`expected ${blue}=90, ${green}=10, observed ${blue}=1`);
      });

      it('throws WeightsMismatchError when someone else writes between the write and the read-back', async () => {
        const { blue, green } = fx.targetGroups;
        faultyMock.on(ModifyListenerCommand).callsFake(async (input: ModifyListenerCommandInput) => {
          await elbv2.send(new ModifyListenerCommand(input));
          return elbv2.send(
            new ModifyListenerCommand({
              ListenerArn: input.ListenerArn,
              DefaultActions: [{ Type: 'forward', TargetGroupArn: blue }],
            }),
          );
        });

        await expect(setWeights(faulty, fx.listenerArn, { [blue]: 50, [green]: 50 })).rejects.toThrow(
          /does not carry the weights just written: expected .*=50, .*=50, observed .*=1/,
        );
      });
    });
  });

  describe('task sets', () => {
    // As CreateGreen does: ECS refuses a target group that no listener uses.
    beforeEach(() =>
      setWeights(elbv2, fx.listenerArn, { [fx.targetGroups.blue]: 100, [fx.targetGroups.green]: 0 }),
    );

    it('creates green once for one deployment, however often it is asked', async () => {
      const first = await createGreenTaskSet(ecs, greenInput());
      const again = await createGreenTaskSet(ecs, greenInput());

      expect(first).toMatchObject({
        created: true,
        taskSet: { externalId: 'dep-0001', targetGroupArn: fx.targetGroups.green },
      });
      expect(again).toEqual({ ...first, created: false });
      const { taskSets = [] } = await ecsSdk.send(
        new DescribeTaskSetsCommand({ cluster: fx.clusterName, service: fx.serviceName }),
      );
      expect(taskSets.map((set) => set.externalId).sort()).toEqual(['dep-0001', 'fixture-initial']);
      // Copied from the primary task set: the fixture's awsvpc network and FARGATE.
      expect(first.taskSet).toMatchObject({
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: { subnets: fx.networkConfiguration.awsvpcConfiguration?.subnets },
        },
      });
    });

    it('refuses the live target group as green', async () => {
      await expect(
        createGreenTaskSet(ecs, greenInput({ targetGroupArn: fx.targetGroups.blue })),
      ).rejects.toThrow(ServiceNotReadyError);
    });

    it('is ready only once stable with every target healthy, and lists an unhealthy one with its reason', async () => {
      await moto.setTaskSetStability({ serviceArn: fx.serviceArn, stabilizingPolls: 1 });
      const { taskSet } = await createGreenTaskSet(ecs, greenInput());
      const check = () =>
        checkGreen(ecs, elbv2, { ...ref(taskSet.arn), targetGroupArn: fx.targetGroups.green });

      const settling = await check();
      expect(settling).toMatchObject({ ready: false, stability: 'STABILIZING', desired: 2 });
      expect(settling.summary).toMatch(/STABILIZING/);

      // The emulator registers the task set's tasks in the green target group, as ECS does.
      const ready = await check();
      expect(ready).toMatchObject({ ready: true, desired: 2, unhealthy: [] });
      const [first, second] = ready.healthy.map((target) => target.id);

      await moto.setTargetHealth({
        targetGroupArn: fx.targetGroups.green,
        targetId: second,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [503]',
      });
      const sick = await check();
      expect(sick).toMatchObject({
        ready: false,
        healthy: [{ id: first, port: 80 }],
        unhealthy: [
          {
            id: second,
            port: 80,
            state: 'unhealthy',
            reason: 'Target.ResponseCodeMismatch',
            description: 'Health checks failed with these codes: [503]',
          },
        ],
      });
      expect(sick.summary).toContain(`${second}:80 unhealthy (Target.ResponseCodeMismatch:`);
    });

    it('makes green primary, then deletes blue, twice without harm', async () => {
      const { taskSet } = await createGreenTaskSet(ecs, greenInput());

      await expect(deleteTaskSet(ecs, ref(String(fx.blueTaskSetArn)))).rejects.toThrow(/is the PRIMARY/);
      expect(await makePrimary(ecs, ref(taskSet.arn))).toMatchObject({ arn: taskSet.arn, status: 'PRIMARY' });
      expect(await makePrimary(ecs, ref(taskSet.arn))).toMatchObject({ status: 'PRIMARY' });

      expect(await deleteTaskSet(ecs, ref(String(fx.blueTaskSetArn)))).toEqual({ deleted: true });
      expect(await deleteTaskSet(ecs, ref(String(fx.blueTaskSetArn)))).toEqual({ deleted: false });
      const { primary, active } = await findTaskSets(ecs, fx.clusterName, fx.serviceName);
      expect(primary?.arn).toBe(taskSet.arn);
      expect(active).toEqual([]);
    });

    it('refuses a service that is not EXTERNAL', async () => {
      await ecsSdk.send(
        new RegisterTaskDefinitionCommand({
          family: 'rolling',
          containerDefinitions: [{ name: 'web', image: 'nginx', memory: 128 }],
        }),
      );
      await ecsSdk.send(
        new CreateServiceCommand({
          cluster: fx.clusterName,
          serviceName: 'rolling',
          taskDefinition: 'rolling',
          desiredCount: 0,
        }),
      );

      await expect(describeService(ecs, fx.clusterName, 'rolling')).rejects.toThrow(
        /uses the ECS deployment controller/,
      );
      await expect(describeService(ecs, fx.clusterName, 'absent')).rejects.toThrow(
        /was not found \(MISSING\)/,
      );
    });

    it('gets the same task set back for a repeated client token, as ECS does', async () => {
      const create = () =>
        ecsSdk.send(
          new CreateTaskSetCommand({
            cluster: fx.clusterName,
            service: fx.serviceName,
            taskDefinition: fx.taskDefinitionArn,
            clientToken: 'same-token',
            launchType: 'FARGATE',
            networkConfiguration: fx.networkConfiguration,
            loadBalancers: [
              { targetGroupArn: fx.targetGroups.green, containerName: 'web', containerPort: 80 },
            ],
            scale: { unit: 'PERCENT', value: 100 },
          }),
        );
      const one = await create();
      const two = await create();

      expect(two.taskSet?.taskSetArn).toBe(one.taskSet?.taskSetArn);
      expect(one.taskSet?.computedDesiredCount).toBe(2);
      const { active } = await findTaskSets(ecs, fx.clusterName, fx.serviceName);
      expect(active).toHaveLength(1);
    });
  });

  describe('alarms', () => {
    const cloudwatch = new CloudWatchClient({});

    it('reports the alarms in ALARM and names a configured alarm that does not exist', async () => {
      await putTestAlarm('web-5xx');
      await putTestAlarm('web-latency');
      await cloudwatch.send(
        new SetAlarmStateCommand({
          AlarmName: 'web-5xx',
          StateValue: 'ALARM',
          StateReason: 'Threshold Crossed: 12 > 5',
        }),
      );

      const firing = await alarmsInAlarm(cloudwatch, ['web-5xx', 'web-latency']);

      expect(firing).toEqual([
        { name: 'web-5xx', reason: 'Threshold Crossed: 12 > 5', updatedAt: expect.any(String) },
      ]);
      expect(Number.isNaN(Date.parse(firing[0]?.updatedAt ?? ''))).toBe(false);
      await expect(alarmsInAlarm(cloudwatch, ['web-5xx', 'web-errors'])).rejects.toThrow(ConfigurationError);
      await expect(alarmsInAlarm(cloudwatch, ['web-5xx', 'web-errors'])).rejects.toThrow(
        /"web-errors" do not exist/,
      );
    });
  });
});
