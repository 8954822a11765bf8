import type { CreateTaskSetCommandInput } from '@aws-sdk/client-ecs';
import { createGreenTaskSet, type GreenTaskSetInput } from '../../../functions/lib/deploy/green-task-set';
import {
  InvalidInputError,
  ServiceNotReadyError,
  TransientAwsError,
} from '../../../functions/lib/shared/errors';
import {
  arnOf,
  BLUE,
  CLUSTER,
  NETWORK,
  SERVICE,
  TD_1,
  TD_2,
  TG_B,
  taskSet,
  throttled,
  useFakeEcs,
} from '../../support/fake-ecs';
import { serviceError } from '../../support/fake-json-service';

const fake = useFakeEcs();

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

const createInput = () => fake.ecsFake.inputs('CreateTaskSet')[0] as unknown as CreateTaskSetCommandInput;

describe('createGreenTaskSet', () => {
  it('creates the green task set at 100 % behind the green group, copying network and platform from the primary', async () => {
    const result = await createGreenTaskSet(fake.ecs, green());

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
      fake.ecs,
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
    fake.taskSets = [{ ...BLUE, launchType: undefined, capacityProviderStrategy: capacity }];
    await createGreenTaskSet(fake.ecs, green());
    expect(createInput()).toMatchObject({ capacityProviderStrategy: capacity, platformVersion: '1.4.0' });

    fake.ecsFake.calls.length = 0;
    fake.taskSets = [{ ...BLUE, launchType: 'EC2' }];
    await createGreenTaskSet(fake.ecs, green());
    expect(createInput()).toMatchObject({ launchType: 'EC2' });
    expect(createInput().platformVersion).toBeUndefined();
  });

  it('returns the task set an earlier attempt of the same deployment made, without creating another', async () => {
    const earlier = taskSet('green', {
      externalId: 'deploy-1',
      taskDefinition: TD_2,
      loadBalancers: [{ targetGroupArn: TG_B }],
    });
    fake.taskSets = [BLUE, earlier];

    const result = await createGreenTaskSet(fake.ecs, green({ taskDefinition: 'web:2' }));

    expect(result).toMatchObject({ created: false, taskSet: { arn: arnOf('green') } });
    expect(fake.ecsFake.inputs('CreateTaskSet')).toHaveLength(0);
  });

  it('refuses a deployment id already used for another task definition', async () => {
    fake.taskSets = [
      BLUE,
      taskSet('green', {
        externalId: 'deploy-1',
        taskDefinition: TD_1,
        loadBalancers: [{ targetGroupArn: TG_B }],
      }),
    ];

    const attempt = createGreenTaskSet(fake.ecs, green());

    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      /of deployment "deploy-1" runs .*web:1 behind .*web-b.*one deployment id names one green task set/,
    );
  });

  it('refuses a green target group that another task set still uses', async () => {
    fake.taskSets = [
      BLUE,
      taskSet('left', { externalId: 'deploy-0b', loadBalancers: [{ targetGroupArn: TG_B }] }),
    ];

    const attempt = createGreenTaskSet(fake.ecs, green());

    await expect(attempt).rejects.toThrow(ServiceNotReadyError);
    await expect(attempt).rejects.toThrow(
      /task set .*left \(ACTIVE, .*\) already uses target group .*web-b.*wait for it to be deleted, or delete it/,
    );
    expect(fake.ecsFake.inputs('CreateTaskSet')).toHaveLength(0);
  });

  describe('on the first deployment (no task set yet)', () => {
    beforeEach(() => {
      fake.taskSets = [];
    });

    it('needs the AppSpec network configuration for an awsvpc task definition, and says where to put it', async () => {
      fake.ecsFake.handlers.DescribeTaskDefinition = () => ({ taskDefinition: { networkMode: 'awsvpc' } });

      const attempt = createGreenTaskSet(fake.ecs, green());

      await expect(attempt).rejects.toThrow(InvalidInputError);
      await expect(attempt).rejects.toThrow(
        /uses awsvpc networking, and service "web" this is its first deployment \(no primary task set to copy the network configuration from\); add Resources\[0\]\.TargetService\.Properties\.NetworkConfiguration\.AwsvpcConfiguration/,
      );
      expect(fake.ecsFake.inputs('CreateTaskSet')).toHaveLength(0);
    });

    it('creates with the AppSpec network configuration and no launch type of its own', async () => {
      await createGreenTaskSet(fake.ecs, green({ networkConfiguration: NETWORK }));

      expect(createInput()).toMatchObject({ networkConfiguration: NETWORK });
      expect(createInput()).not.toHaveProperty('launchType');
      expect(createInput()).not.toHaveProperty('platformVersion');
      expect(fake.ecsFake.inputs('DescribeTaskDefinition')).toHaveLength(0);
    });

    it('creates without a network configuration for a bridge-mode task definition', async () => {
      fake.ecsFake.handlers.DescribeTaskDefinition = () => ({ taskDefinition: { networkMode: 'bridge' } });

      await createGreenTaskSet(fake.ecs, green({ launchType: 'EC2' }));

      expect(createInput()).not.toHaveProperty('networkConfiguration');
      expect(createInput().launchType).toBe('EC2');
    });
  });

  it.each([
    ['too long', 'd'.repeat(37)],
    ['empty', ''],
    ['with a space', 'deploy 1'],
  ])('refuses a client token that is %s before calling ECS', async (_case, clientToken) => {
    await expect(createGreenTaskSet(fake.ecs, green({ clientToken }))).rejects.toThrow(
      /must be 1 to 36 printable ASCII characters \(ECS CreateTaskSet\)/,
    );
    expect(fake.ecsFake.calls).toHaveLength(0);
  });

  it('accepts a client token of exactly 36 characters', async () => {
    await createGreenTaskSet(fake.ecs, green({ clientToken: 'd'.repeat(36) }));
    expect(createInput().clientToken).toHaveLength(36);
  });

  it('explains an ECS refusal with the AppSpec fields involved, and lets a throttled call be retried', async () => {
    const answers = [
      serviceError(
        'InvalidParameterException',
        400,
        'The container web2 does not exist in the task definition.',
      ),
      throttled(),
    ];
    fake.ecsFake.handlers.CreateTaskSet = () => {
      throw answers.shift();
    };

    const refused = createGreenTaskSet(fake.ecs, green({ containerName: 'web2' }));
    await expect(refused).rejects.toThrow(InvalidInputError);
    await expect(refused).rejects.toThrow(
      /ECS refused the green task set \(task definition .*web:2, container "web2" port 80, target group .*web-b\/\w+\): InvalidParameterException: The container web2 does not exist in the task definition\.; check appspec\.yaml's LoadBalancerInfo/,
    );
    await expect(createGreenTaskSet(fake.ecs, green())).rejects.toThrow(TransientAwsError);
  });
});
