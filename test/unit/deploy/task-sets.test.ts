import {
  deleteTaskSet,
  describeService,
  findTaskSets,
  makePrimary,
} from '../../../functions/lib/deploy/task-sets';
import { ServiceNotReadyError, TransientAwsError } from '../../../functions/lib/shared/errors';
import {
  arnOf,
  BLUE,
  CLUSTER,
  PREFIX,
  SERVICE,
  service,
  TD_1,
  TD_2,
  TG_A,
  TG_B,
  taskSet,
  throttled,
  useFakeEcs,
} from '../../support/fake-ecs';
import { serviceError } from '../../support/fake-json-service';

const fake = useFakeEcs();

describe('describeService', () => {
  it('returns the service of an EXTERNAL controller', async () => {
    expect(await describeService(fake.ecs, CLUSTER, SERVICE)).toEqual({
      arn: `${PREFIX}:service/${CLUSTER}/${SERVICE}`,
      name: SERVICE,
      clusterArn: `${PREFIX}:cluster/${CLUSTER}`,
      status: 'ACTIVE',
      desiredCount: 2,
    });
    expect(fake.ecsFake.inputs('DescribeServices')[0]).toEqual({
      cluster: CLUSTER,
      services: [SERVICE],
    });
  });

  it.each<[string, () => void, RegExp]>([
    [
      'is missing',
      () => {
        fake.ecsFake.handlers.DescribeServices = () => ({ services: [], failures: [{ reason: 'MISSING' }] });
      },
      /service "web" in cluster "apps" was not found \(MISSING\); check the stack's cluster and service parameters/,
    ],
    [
      'is draining',
      () => {
        fake.ecsFake.handlers.DescribeServices = () => ({ services: [service({ status: 'DRAINING' })] });
      },
      /is DRAINING, not ACTIVE/,
    ],
    [
      'uses the ECS controller',
      () => {
        fake.ecsFake.handlers.DescribeServices = () => ({
          services: [service({ deploymentController: { type: 'ECS' } })],
        });
      },
      /uses the ECS deployment controller; .*needs deploymentController type EXTERNAL: create the service with DeploymentController: \{Type: EXTERNAL\}/,
    ],
    [
      'uses CodeDeploy',
      () => {
        fake.ecsFake.handlers.DescribeServices = () => ({
          services: [service({ deploymentController: { type: 'CODE_DEPLOY' } })],
        });
      },
      /uses the CODE_DEPLOY deployment controller/,
    ],
    [
      'has no cluster',
      () => {
        fake.ecsFake.handlers.DescribeServices = () => {
          throw serviceError('ClusterNotFoundException', 400, 'Cluster not found.');
        };
      },
      /ClusterNotFoundException: Cluster not found\.; check the stack's cluster and service parameters/,
    ],
  ])('throws ServiceNotReadyError when the service %s', async (_case, arrange, message) => {
    arrange();
    const attempt = describeService(fake.ecs, CLUSTER, SERVICE);
    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('findTaskSets', () => {
  it('returns the primary and the active task sets with their target group, leaving draining ones out', async () => {
    fake.taskSets = [
      BLUE,
      taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }], taskDefinition: TD_2 }),
      taskSet('old', { status: 'DRAINING' }),
    ];

    const { primary, active } = await findTaskSets(fake.ecs, CLUSTER, SERVICE);

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

describe('makePrimary', () => {
  const ref = { cluster: CLUSTER, service: SERVICE, taskSetArn: arnOf('green') };

  beforeEach(() => {
    fake.taskSets = [BLUE, taskSet('green', { loadBalancers: [{ targetGroupArn: TG_B }] })];
    fake.ecsFake.handlers.UpdateServicePrimaryTaskSet = ({ primaryTaskSet }) => {
      fake.taskSets = fake.taskSets.map((set) => ({
        ...set,
        status: set.taskSetArn === primaryTaskSet ? 'PRIMARY' : 'ACTIVE',
      }));
      return {};
    };
  });

  it('makes the task set primary by its full ARN and verifies it', async () => {
    const primary = await makePrimary(fake.ecs, ref);

    expect(primary).toMatchObject({ arn: arnOf('green'), status: 'PRIMARY' });
    expect(fake.ecsFake.inputs('UpdateServicePrimaryTaskSet')[0]).toEqual({
      cluster: CLUSTER,
      service: SERVICE,
      primaryTaskSet: arnOf('green'),
    });
  });

  it('does nothing when the task set is already primary', async () => {
    await makePrimary(fake.ecs, ref);
    await makePrimary(fake.ecs, ref);

    expect(fake.ecsFake.inputs('UpdateServicePrimaryTaskSet')).toHaveLength(1);
  });

  it('refuses a short task set id, which ECS may accept without effect', async () => {
    await expect(makePrimary(fake.ecs, { ...ref, taskSetArn: 'ecs-svc/green' })).rejects.toThrow(
      /"ecs-svc\/green" is not a full task set ARN/,
    );
    expect(fake.ecsFake.calls).toHaveLength(0);
  });

  it('throws ServiceNotReadyError when the service still has another primary afterwards', async () => {
    fake.ecsFake.handlers.UpdateServicePrimaryTaskSet = () => ({});

    const attempt = makePrimary(fake.ecs, ref);

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /the primary task set of service "web" is .*blue; something else is changing/,
    );
  });
});

describe('deleteTaskSet', () => {
  const ref = { cluster: CLUSTER, service: SERVICE, taskSetArn: arnOf('green') };

  beforeEach(() => {
    fake.taskSets = [BLUE, taskSet('green')];
    fake.ecsFake.handlers.DeleteTaskSet = ({ taskSet: arn }) => {
      fake.taskSets = fake.taskSets.filter((set) => set.taskSetArn !== arn);
      return {};
    };
  });

  it('deletes with force, then succeeds again without a call when it is gone', async () => {
    expect(await deleteTaskSet(fake.ecs, ref)).toEqual({ deleted: true });
    expect(await deleteTaskSet(fake.ecs, ref)).toEqual({ deleted: false });

    expect(fake.ecsFake.inputs('DeleteTaskSet')).toEqual([
      { cluster: CLUSTER, service: SERVICE, taskSet: arnOf('green'), force: true },
    ]);
  });

  it('leaves a draining task set alone', async () => {
    fake.taskSets = [BLUE, taskSet('green', { status: 'DRAINING' })];

    expect(await deleteTaskSet(fake.ecs, ref)).toEqual({ deleted: false });
    expect(fake.ecsFake.inputs('DeleteTaskSet')).toHaveLength(0);
  });

  it.each([
    [
      'TaskSetNotFoundException',
      serviceError('TaskSetNotFoundException', 400, 'The specified task set wasn\u2019t found.'),
    ],
    [
      'moto\u2019s ClientException',
      serviceError('ClientException', 400, 'The specified task set does not exist.'),
    ],
  ])('treats %s from a concurrent delete as done', async (_case, error) => {
    fake.ecsFake.handlers.DeleteTaskSet = () => {
      throw error;
    };

    expect(await deleteTaskSet(fake.ecs, ref)).toEqual({ deleted: false });
  });

  it('refuses to delete the primary task set', async () => {
    const attempt = deleteTaskSet(fake.ecs, { ...ref, taskSetArn: arnOf('blue') });

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /is the PRIMARY of service "web"; make another task set primary before deleting it/,
    );
    expect(fake.ecsFake.inputs('DeleteTaskSet')).toHaveLength(0);
  });

  it('lets a throttled delete be retried', async () => {
    fake.ecsFake.handlers.DeleteTaskSet = () => {
      throw throttled();
    };

    await expect(deleteTaskSet(fake.ecs, ref)).rejects.toThrow(TransientAwsError);
  });
});
