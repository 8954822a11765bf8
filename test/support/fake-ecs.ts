/**
 * A fake ECS for the unit tests of the deploy stage's task-set code: the JSON 1.1 service of fake-json-service.ts
 * (the deploy stage calls ECS with signed requests, functions/lib/deploy/task-sets.ts), with one EXTERNAL service,
 * `web` in cluster `apps`, whose task sets a test sets in `fake.taskSets`. DescribeTaskSets filters them like ECS;
 * CreateTaskSet adds a STABILIZING one. ELBv2 is mocked with aws-sdk-client-mock, nothing answered until a test
 * says so.
 */
import type { CreateTaskSetCommandInput, Service } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import type { EcsTaskSet } from '../../functions/lib/deploy/task-set-info';
import { type AsJson, ECS } from '../../functions/lib/shared/aws-json';
import { fakeJsonService, serviceError } from './fake-json-service';

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
export const taskSet = (id: string, overrides: Partial<EcsTaskSet> = {}): EcsTaskSet => ({
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
export const service = (overrides: Partial<AsJson<Service>> = {}): AsJson<Service> => ({
  serviceArn: `${PREFIX}:service/${CLUSTER}/${SERVICE}`,
  serviceName: SERVICE,
  clusterArn: `${PREFIX}:cluster/${CLUSTER}`,
  status: 'ACTIVE',
  desiredCount: 2,
  deploymentController: { type: 'EXTERNAL' },
  ...overrides,
});

/** ECS's answer to a caller going too fast, as the signed request names it. */
export const throttled = () => serviceError('ThrottlingException', 400, 'Rate exceeded');

/**
 * Fakes ECS and mocks ELBv2 for the test file; before each test the fake forgets its calls and handlers, the service
 * holds only BLUE, and DescribeServices, DescribeTaskSets and CreateTaskSet answer from `taskSets`. A test changes
 * an operation's answer with `fake.ecsFake.handlers.<Operation> = (input) => output` (a throw is ECS's error).
 */
export function useFakeEcs() {
  const ecsFake = fakeJsonService(ECS);
  const fake = {
    ecsFake,
    elbv2Mock: mockClient(ElasticLoadBalancingV2Client),
    ecs: ecsFake.client,
    elbv2: new ElasticLoadBalancingV2Client({}),
    /** The service's task sets as the fake ECS holds them. */
    taskSets: [] as EcsTaskSet[],
  };
  beforeEach(() => {
    ecsFake.calls.length = 0;
    fake.elbv2Mock.reset();
    fake.taskSets = [BLUE];
    ecsFake.handlers = {
      DescribeServices: () => ({ services: [service()], failures: [] }),
      DescribeTaskSets: (input) => {
        const wanted = input.taskSets as string[] | undefined;
        return {
          taskSets: wanted
            ? fake.taskSets.filter((set) => wanted.includes(set.taskSetArn ?? ''))
            : fake.taskSets,
        };
      },
      CreateTaskSet: (raw) => {
        const input = raw as unknown as CreateTaskSetCommandInput;
        const created = taskSet('green', {
          externalId: input.externalId,
          taskDefinition: input.taskDefinition,
          loadBalancers: input.loadBalancers,
          stabilityStatus: 'STABILIZING',
        });
        fake.taskSets = [...fake.taskSets, created];
        return { taskSet: created };
      },
    };
  });
  return fake;
}
