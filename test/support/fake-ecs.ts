/**
 * A fake ECS for the unit tests of the deploy stage's task-set code (aws-sdk-client-mock): one EXTERNAL service,
 * `web` in cluster `apps`, whose task sets a test sets in `fake.taskSets`. DescribeTaskSets filters them like ECS;
 * CreateTaskSet adds a STABILIZING one. ELBv2 is mocked too, with nothing answered until a test says so.
 */
import {
  CreateTaskSetCommand,
  type CreateTaskSetCommandInput,
  DescribeServicesCommand,
  DescribeTaskSetsCommand,
  type DescribeTaskSetsCommandInput,
  ECSClient,
  type Service,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';

export const CLUSTER = 'apps';
export const SERVICE = 'web';
export const PREFIX = 'arn:aws:ecs:us-east-1:123456789012';
export const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/6d0ecf831eec9f09';
export const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/9683b2d02a6cabee';
export const TD_1 = `${PREFIX}:task-definition/web:1`;
export const TD_2 = `${PREFIX}:task-definition/web:2`;
export const arnOf = (id: string) => `${PREFIX}:task-set/${CLUSTER}/${SERVICE}/ecs-svc/${id}`;
export const NETWORK = {
  awsvpcConfiguration: {
    subnets: ['subnet-1', 'subnet-2'],
    securityGroups: ['sg-1'],
    assignPublicIp: 'DISABLED' as const,
  },
};

/** A steady Fargate task set of two tasks behind TG_A, running TD_1. */
export const taskSet = (id: string, overrides: Partial<TaskSet> = {}): TaskSet => ({
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
export const BLUE = taskSet('blue', { status: 'PRIMARY', externalId: 'deploy-0' });

/** The ACTIVE EXTERNAL-controller service, desiredCount 2. */
export const service = (overrides: Partial<Service> = {}): Service => ({
  serviceArn: `${PREFIX}:service/${CLUSTER}/${SERVICE}`,
  serviceName: SERVICE,
  clusterArn: `${PREFIX}:cluster/${CLUSTER}`,
  status: 'ACTIVE',
  desiredCount: 2,
  deploymentController: { type: 'EXTERNAL' },
  ...overrides,
});

export const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

/**
 * Mocks ECS and ELBv2 for the test file; before each test both mocks are reset, the service holds only BLUE and
 * DescribeServices, DescribeTaskSets and CreateTaskSet answer from `taskSets`.
 */
export function useFakeEcs() {
  const fake = {
    ecsMock: mockClient(ECSClient),
    elbv2Mock: mockClient(ElasticLoadBalancingV2Client),
    ecs: new ECSClient({}),
    elbv2: new ElasticLoadBalancingV2Client({}),
    /** The service's task sets as the fake ECS holds them. */
    taskSets: [] as TaskSet[],
  };
  beforeEach(() => {
    fake.ecsMock.reset();
    fake.elbv2Mock.reset();
    fake.taskSets = [BLUE];
    fake.ecsMock.on(DescribeServicesCommand).resolves({ services: [service()], failures: [] });
    fake.ecsMock.on(DescribeTaskSetsCommand).callsFake((input: DescribeTaskSetsCommandInput) => ({
      taskSets: input.taskSets
        ? fake.taskSets.filter((set) => input.taskSets?.includes(set.taskSetArn ?? ''))
        : fake.taskSets,
    }));
    fake.ecsMock.on(CreateTaskSetCommand).callsFake((input: CreateTaskSetCommandInput) => {
      const created = taskSet('green', {
        externalId: input.externalId,
        taskDefinition: input.taskDefinition,
        loadBalancers: input.loadBalancers,
        stabilityStatus: 'STABILIZING',
      });
      fake.taskSets = [...fake.taskSets, created];
      return { taskSet: created };
    });
  });
  return fake;
}
