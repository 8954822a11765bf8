/**
 * The deploy stage's ECS calls as signed JSON 1.1 requests (functions/lib/deploy/task-sets.ts) against moto, checked
 * against what the SDK's ECS client reads of the same service: timestamps (epoch seconds in JSON) and error names.
 */
import { CreateTaskSetCommand, DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type BlueGreenFixture, createBlueGreenFixture } from '../../../cli/emulator/fixture';
import { createGreenTaskSet, type GreenTaskSetInput } from '../../../functions/lib/deploy/green-task-set';
import { setWeights } from '../../../functions/lib/deploy/listener';
import { describeTaskSet, findTaskSets, taskSetCreatedAt } from '../../../functions/lib/deploy/task-sets';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError, ServiceNotReadyError } from '../../../functions/lib/shared/errors';
import { greenTaskSetInput } from '../../support/deploy-fixture';
import { ecsAround } from '../../support/ecs-json-around';
import { useMoto } from '../../support/moto';

const ecs = jsonClient(ECS);
const ecsSdk = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

describe('ECS task sets through signed JSON requests, against moto', () => {
  const moto = useMoto();
  let fx: BlueGreenFixture;

  beforeEach(async () => {
    fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
  });

  const greenInput = (overrides: Partial<GreenTaskSetInput> = {}) =>
    greenTaskSetInput(fx, 'dep-signed', overrides);
  const attachGreen = () =>
    setWeights(elbv2, fx.listenerArn, { [fx.targetGroups.blue]: 100, [fx.targetGroups.green]: 0 });

  it("reads the task set's createdAt (epoch seconds) as the same instant the SDK reads as a Date", async () => {
    await attachGreen();
    const before = Date.now();
    const { taskSet } = await createGreenTaskSet(ecs, greenInput());
    const ref = { cluster: fx.clusterName, service: fx.serviceName, taskSetArn: taskSet.arn };

    const created = await taskSetCreatedAt(ecs, ref);

    const { taskSets = [] } = await ecsSdk.send(
      new DescribeTaskSetsCommand({ cluster: ref.cluster, service: ref.service, taskSets: [taskSet.arn] }),
    );
    expect(created).toEqual(taskSets[0]?.createdAt);
    // Seconds read as milliseconds would land in 1970.
    expect(Math.abs((created?.getTime() ?? 0) - before)).toBeLessThan(60_000);
  });

  it('sends CreateTaskSet once with its client token, and a repeat finds the task set by externalId', async () => {
    await attachGreen();
    const operations: string[] = [];
    const watched = ecsAround(ecs, (operation, send) => {
      operations.push(operation);
      return send();
    });

    const first = await createGreenTaskSet(watched, greenInput());
    const again = await createGreenTaskSet(watched, greenInput());

    expect(again).toEqual({ ...first, created: false });
    expect(operations.filter((operation) => operation === 'CreateTaskSet')).toEqual(['CreateTaskSet']);
    expect((await findTaskSets(ecs, fx.clusterName, fx.serviceName)).active).toEqual([first.taskSet]);
  });

  it("keeps ECS's error names, as the SDK names them", async () => {
    // Green's group is in no listener yet: ECS refuses it (moto: the emulator's rule).
    const input = greenInput();
    const sdkError = await ecsSdk
      .send(
        new CreateTaskSetCommand({
          cluster: input.cluster,
          service: input.service,
          taskDefinition: input.taskDefinition,
          loadBalancers: [
            {
              targetGroupArn: input.targetGroupArn,
              containerName: input.containerName,
              containerPort: input.containerPort,
            },
          ],
        }),
      )
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(sdkError?.name).toMatch(/Exception$/);

    const refused = await createGreenTaskSet(ecs, input).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as Error).message).toContain(`${sdkError?.name}: `);
    expect(((refused as Error).cause as Error).name).toBe(sdkError?.name);

    const missing = await describeTaskSet(ecs, {
      cluster: 'no-such-cluster',
      service: fx.serviceName,
      taskSetArn: `${fx.clusterArn.replace(':cluster/', ':task-set/')}/x/y`,
    }).catch((error: Error) => error);
    expect(missing).toBeInstanceOf(ServiceNotReadyError);
    expect(((missing as Error).cause as Error).name).toBe('ClusterNotFoundException');
  });
});
