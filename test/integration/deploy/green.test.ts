import { DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateTargetGroupCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { BlueGreenFixture } from '../../../cli/emulator/fixture';
import { finalize } from '../../../functions/lib/deploy/finalize-rollback';
import { allowTestTraffic, createGreen, pollGreen } from '../../../functions/lib/deploy/green';
import { greenClientToken } from '../../../functions/lib/deploy/green-task-set';
import { setWeights } from '../../../functions/lib/deploy/listener';
import type { GreenState } from '../../../functions/lib/deploy/state';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import {
  GreenUnhealthyError,
  InvalidInputError,
  ServiceNotReadyError,
} from '../../../functions/lib/shared/errors';
import {
  createDeployFixture,
  createService,
  type DeployFixture,
  listenerWeights,
  readRecord,
} from '../../support/deploy-fixture';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

// The deploy stage's ECS client (signed JSON requests); the SDK's reads back what ECS holds.
const ecs = jsonClient(ECS);
const ecsSdk = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

const sample = loadEvent<{ deployment: Deployment }>('create-green').deployment;
const deploymentOf = (id: string): Deployment => ({ ...sample, id });

describe('CreateGreen, CheckGreen and AllowTestTraffic against the blue/green fixture', () => {
  const moto = useMoto();
  // Set before each test (createDeployFixture).
  let { fx, config, table, tableName, render, A, B } = {} as DeployFixture;

  beforeEach(async () => {
    ({ fx, config, table, tableName, render, A, B } = await createDeployFixture(moto));
  });

  const deps = () => ({ ecs, elbv2, table });
  const taskSets = async (service = fx.serviceName) =>
    (await ecsSdk.send(new DescribeTaskSetsCommand({ cluster: fx.clusterName, service }))).taskSets ?? [];
  const record = (deployment: Deployment) => readRecord(tableName, deployment);

  describe('CreateGreen', () => {
    it('creates green behind B, with the production listener weighted 100/0, and records it', async () => {
      const deployment = deploymentOf('dep-0001');
      await table.createRecord(deployment, {});

      const green = await createGreen({ deployment, render }, config, deps());

      expect(green).toEqual({
        cluster: fx.clusterName,
        service: fx.serviceName,
        productionListenerArn: fx.listenerArn,
        testListenerArn: fx.testListenerArn,
        liveTargetGroupArn: A,
        greenTargetGroupArn: B,
        blueTaskSetArn: fx.blueTaskSetArn,
        greenTaskSetArn: expect.stringMatching(/^arn:aws:ecs:.*:task-set\//),
        createdAt: expect.any(String),
        // ECS starting the task (60 s) and one health check of green's group (30 s) before the first look.
        firstCheckSeconds: 90,
        pollSeconds: 10,
        healthyBy: expect.any(String),
      });
      expect(Date.parse(green.healthyBy) - Date.parse(green.createdAt)).toBe(10 * 60_000);
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 100, [B]: 0 });
      const sets = await taskSets();
      expect(sets).toHaveLength(2);
      expect(sets.find((set) => set.taskSetArn === green.greenTaskSetArn)).toMatchObject({
        status: 'ACTIVE',
        externalId: 'dep-0001',
        taskDefinition: render.taskDefinitionArn,
        loadBalancers: [{ targetGroupArn: B, containerName: 'web', containerPort: 80 }],
        scale: { unit: 'PERCENT', value: 100 },
        launchType: 'FARGATE',
      });
      expect(await record(deployment)).toMatchObject({ status: 'RUNNING', green });
    });

    it('returns the same green state when retried, and makes no second task set', async () => {
      const deployment = deploymentOf('dep-0001');
      const first = await createGreen({ deployment, render }, config, deps());

      const again = await createGreen(
        { deployment, render },
        config,
        deps(),
        () => new Date(Date.now() + 90_000),
      );

      expect(again).toEqual(first);
      expect(await taskSets()).toHaveLength(2);
    });

    it('derives a stable client token of at most 36 characters from a long deployment id', () => {
      const long = 'manual-rollback-of-7f3c2a9e5b1d4c8f6a0e2b9d3c7f1a5e8b4d6c02';

      expect(greenClientToken('dep-0001')).toBe('dep-0001');
      expect(greenClientToken(long)).toHaveLength(36);
      expect(greenClientToken(long)).toBe(greenClientToken(long));
      expect(greenClientToken(long)).not.toBe(greenClientToken(`${long}x`));
    });

    it('deploys the first revision of a service that has no task set yet, with the AppSpec network', async () => {
      await createService(fx, 'first');
      const first = { ...config, service: 'first' };
      const withNetwork = {
        ...render,
        appspec: { ...render.appspec, networkConfiguration: fx.networkConfiguration },
      };

      await expect(
        createGreen({ deployment: deploymentOf('dep-first'), render }, first, deps()),
      ).rejects.toThrow(InvalidInputError);
      const green = await createGreen(
        { deployment: deploymentOf('dep-first'), render: withNetwork },
        first,
        deps(),
      );

      expect(green).toMatchObject({ blueTaskSetArn: null, liveTargetGroupArn: A, greenTargetGroupArn: B });
      expect(await taskSets('first')).toMatchObject([
        {
          taskSetArn: green.greenTaskSetArn,
          networkConfiguration: {
            awsvpcConfiguration: { subnets: fx.networkConfiguration.awsvpcConfiguration?.subnets },
          },
          // The task definition's only compatibility: no primary task set to copy the launch type from.
          launchType: 'FARGATE',
        },
      ]);
    });

    it('uses the other group for the deployment after a successful one', async () => {
      const one = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());
      await setWeights(elbv2, fx.listenerArn, { [A]: 0, [B]: 100 });
      await finalize({ deployment: deploymentOf('dep-0001'), render, green: one }, deps());

      const two = await createGreen({ deployment: deploymentOf('dep-0002'), render }, config, deps());

      expect(two).toMatchObject({
        liveTargetGroupArn: B,
        greenTargetGroupArn: A,
        blueTaskSetArn: one.greenTaskSetArn,
      });
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [B]: 100, [A]: 0 });
      const sets = await taskSets();
      expect(
        sets.map((set) => [set.externalId, set.status, set.loadBalancers?.[0]?.targetGroupArn]).sort(),
      ).toEqual([
        ['dep-0001', 'PRIMARY', B],
        ['dep-0002', 'ACTIVE', A],
      ]);
    });

    it('refuses a production listener left split by an interrupted run, saying how to fix it', async () => {
      await setWeights(elbv2, fx.listenerArn, { [A]: 60, [B]: 40 });

      const attempt = createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());

      await expect(attempt).rejects.toThrow(ServiceNotReadyError);
      await expect(attempt).rejects.toThrow(/splits traffic .*60 %.*40 %.*stopped halfway.*100 %/);
      expect(await taskSets()).toHaveLength(1);
    });

    it('takes a listener that is 100/0 in effect (the other group at weight 0)', async () => {
      await setWeights(elbv2, fx.listenerArn, { [B]: 0, [A]: 5 });

      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());

      expect(green).toMatchObject({ liveTargetGroupArn: A, greenTargetGroupArn: B });
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 100, [B]: 0 });
    });

    it('names a target group outside the pair that the listener forwards to', async () => {
      const stranger = await createTargetGroup(fx, 'app-c');
      await setWeights(elbv2, fx.listenerArn, { [stranger]: 1 });

      await expect(
        createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps()),
      ).rejects.toThrow(`forwards 100 % to ${stranger}, which is not one of the configured target groups`);
    });
  });

  describe('CheckGreen', () => {
    it('is not ready while green stabilizes, then ready once every target is healthy', async () => {
      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());
      await moto.setTaskSetStability({ taskSetArn: green.greenTaskSetArn, stabilizingPolls: 1 });
      const input = { deployment: deploymentOf('dep-0001'), green };

      expect(await pollGreen(input, deps())).toEqual({
        ready: false,
        summary: expect.stringContaining('task set is STABILIZING'),
      });
      expect(await pollGreen(input, deps())).toEqual({
        ready: true,
        summary: expect.stringMatching(/^green ready: 2 healthy target\(s\)/),
      });
    });

    it('throws GreenUnhealthyError past the deadline, listing the unhealthy targets and why', async () => {
      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());
      await moto.setTargetHealth({
        targetGroupArn: B,
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [503]',
      });
      const input = { deployment: deploymentOf('dep-0001'), green };

      const before = await pollGreen(input, deps(), () => new Date(Date.parse(green.healthyBy) - 1000));
      expect(before.ready).toBe(false);
      const late = pollGreen(input, deps(), () => new Date(Date.parse(green.healthyBy) + 1000));

      await expect(late).rejects.toThrow(GreenUnhealthyError);
      await expect(late).rejects.toThrow(
        new RegExp(
          `green task set ${escapeRegExp(green.greenTaskSetArn)} .* was not ready by ${escapeRegExp(green.healthyBy)}.*` +
            '2 target\\(s\\) not healthy: [\\d.]+:80 unhealthy \\(Target.ResponseCodeMismatch: Health checks ' +
            'failed with these codes: \\[503\\]\\); [\\d.]+:80 unhealthy',
        ),
      );
    });

    it('says green is still stabilizing when the deadline passes', async () => {
      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());
      await moto.setTaskSetStability({ taskSetArn: green.greenTaskSetArn, stabilizingPolls: 5 });

      await expect(
        pollGreen({ deployment: deploymentOf('dep-0001'), green }, deps(), () => new Date('2099-01-01')),
      ).rejects.toThrow(/was not ready by .*: task set is STABILIZING/);
    });

    it('is ready past the deadline when green is ready (the deadline only ends waiting)', async () => {
      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());

      expect(
        await pollGreen(
          { deployment: deploymentOf('dep-0001'), green },
          deps(),
          () => new Date('2099-01-01'),
        ),
      ).toMatchObject({ ready: true });
    });
  });

  describe('AllowTestTraffic', () => {
    it('sends all test-listener traffic to green, read back, and leaves production alone', async () => {
      const green = await createGreen({ deployment: deploymentOf('dep-0001'), render }, config, deps());

      const result = await allowTestTraffic({ deployment: deploymentOf('dep-0001'), green }, deps());

      expect(result).toEqual({ testListenerArn: fx.testListenerArn, observedWeights: { [B]: 100, [A]: 0 } });
      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [B]: 100, [A]: 0 });
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 100, [B]: 0 });
      expect(await allowTestTraffic({ deployment: deploymentOf('dep-0001'), green }, deps())).toEqual(result);
    });

    it('does nothing without a test listener', async () => {
      const green = await createGreen(
        { deployment: deploymentOf('dep-0001'), render },
        { ...config, testListenerArn: '' },
        deps(),
      );

      expect(await allowTestTraffic({ deployment: deploymentOf('dep-0001'), green }, deps())).toEqual({
        skipped: true,
      });
      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [A]: 1 });
    });

    it('refuses an event without green', async () => {
      await expect(
        allowTestTraffic(
          { deployment: deploymentOf('dep-0001') } as { deployment: Deployment; green: GreenState },
          {
            elbv2,
          },
        ),
      ).rejects.toThrow(/AllowTestTraffic expects "green"/);
    });
  });
});

async function createTargetGroup(fx: BlueGreenFixture, name: string): Promise<string> {
  const { TargetGroups: [like] = [] } = await elbv2.send(
    new DescribeTargetGroupsCommand({ TargetGroupArns: [fx.targetGroups.blue] }),
  );
  const { TargetGroups } = await elbv2.send(
    new CreateTargetGroupCommand({
      Name: name,
      Protocol: 'HTTP',
      Port: 80,
      VpcId: like?.VpcId,
      TargetType: 'ip',
    }),
  );
  return TargetGroups?.[0]?.TargetGroupArn ?? '';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
