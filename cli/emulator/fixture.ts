import { type CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  CreateTaskSetCommand,
  ECSClient,
  type NetworkConfiguration,
  RegisterTaskDefinitionCommand,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DefaultNetwork } from './default-network';

/** Options of createBlueGreenFixture; every name derives from `name`. */
export interface BlueGreenFixtureOptions {
  /** moto's default network (describeDefaultNetwork), which changes after every reset. */
  network: DefaultNetwork;
  /** Prefix of every resource name; default `app` (target group names allow 32 characters). */
  name?: string;
  /** The service's desiredCount; default 2. */
  desiredCount?: number;
  /** The first task definition's image; default `public.ecr.aws/nginx/nginx:latest`. */
  image?: string;
  /** The container behind the load balancer, as the application's AppSpec names it; default `web` on port 80. */
  containerName?: string;
  containerPort?: number;
  /** False for a service with no task set yet (a first deployment); default true: a version already serves. */
  serving?: boolean;
  region?: string;
  /** Listener rules to add besides the default actions (createListenerRules); default none. */
  rules?: FixtureRule[];
}

/** A path rule on one of the fixture's listeners. */
export interface FixtureRule {
  /** Default `production`. */
  listener?: 'production' | 'test';
  priority: number;
  /** Path patterns the rule matches, such as `/api/*`. */
  paths: string[];
  /** Forward weights by `blue`, `green` (the fixture's groups) or a target group ARN; default `{blue: 1}`. */
  forward?: Record<string, number>;
  /** Authenticate with OpenID Connect (a client secret given) before forwarding: Order 1, the forward Order 2. */
  oidc?: boolean;
}

/** Everything a deployment against the fixture needs to know. */
export interface BlueGreenFixture {
  region: string;
  clusterName: string;
  clusterArn: string;
  serviceName: string;
  serviceArn: string;
  loadBalancerArn: string;
  /** Production listener (port 80), forwarding to `targetGroups.blue`. */
  listenerArn: string;
  /** Test listener (port 8080), forwarding to `targetGroups.blue`. */
  testListenerArn: string;
  /** `blue` is live and carries the primary task set; `green` is free for the next deployment. */
  targetGroups: { blue: string; green: string };
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  /** The task set serving on `targetGroups.blue`; null when the fixture was made with `serving: false`. */
  blueTaskSetArn: string | null;
  /** The awsvpc configuration of the blue task set (the green one copies it). */
  networkConfiguration: NetworkConfiguration;
  desiredCount: number;
}

const CONTAINER_PORT = 80;

/** Creates the blue/green target infrastructure in the emulator that AWS_ENDPOINT_URL points at. */
export async function createBlueGreenFixture(options: BlueGreenFixtureOptions): Promise<BlueGreenFixture> {
  const name = options.name ?? 'app';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const desiredCount = options.desiredCount ?? 2;
  const containerName = options.containerName ?? 'web';
  const containerPort = options.containerPort ?? CONTAINER_PORT;
  const { network } = options;
  const elbv2 = new ElasticLoadBalancingV2Client({ region });
  const ecs = new ECSClient({ region });
  try {
    const { LoadBalancers } = await elbv2.send(
      new CreateLoadBalancerCommand({
        Name: `${name}-alb`,
        Type: 'application',
        Scheme: 'internet-facing',
        Subnets: network.subnets.map((subnet) => subnet.subnetId),
        SecurityGroups: [network.securityGroupId],
      }),
    );
    const loadBalancerArn = required(LoadBalancers?.[0]?.LoadBalancerArn, 'CreateLoadBalancer');
    const targetGroup = async (suffix: string): Promise<string> => {
      const { TargetGroups } = await elbv2.send(
        new CreateTargetGroupCommand({
          Name: `${name}-${suffix}`,
          Protocol: 'HTTP',
          Port: containerPort,
          VpcId: network.vpcId,
          TargetType: 'ip',
          HealthCheckPath: '/',
        }),
      );
      return required(TargetGroups?.[0]?.TargetGroupArn, 'CreateTargetGroup');
    };
    const blue = await targetGroup('a');
    const green = await targetGroup('b');
    const listener = async (port: number): Promise<string> => {
      const { Listeners } = await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: loadBalancerArn,
          Protocol: 'HTTP',
          Port: port,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: blue }],
        }),
      );
      return required(Listeners?.[0]?.ListenerArn, 'CreateListener');
    };
    const listenerArn = await listener(80);
    const testListenerArn = await listener(8080);
    if (options.rules?.length) {
      await createListenerRules(
        elbv2,
        { listenerArn, testListenerArn, targetGroups: { blue, green } },
        options.rules,
      );
    }

    const { cluster } = await ecs.send(new CreateClusterCommand({ clusterName: `${name}-cluster` }));
    const clusterArn = required(cluster?.clusterArn, 'CreateCluster');
    const clusterName = cluster?.clusterName ?? `${name}-cluster`;
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: name,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu: '256',
        memory: '512',
        containerDefinitions: [
          {
            name: containerName,
            image: options.image ?? 'public.ecr.aws/nginx/nginx:latest',
            // The usual Fargate shape: the task's memory only, none of the container's own.
            essential: true,
            portMappings: [{ containerPort, protocol: 'tcp' }],
          },
        ],
      }),
    );
    const taskDefinitionArn = required(taskDefinition?.taskDefinitionArn, 'RegisterTaskDefinition');
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: clusterName,
        serviceName: `${name}-service`,
        desiredCount,
        deploymentController: { type: 'EXTERNAL' },
        schedulingStrategy: 'REPLICA',
      }),
    );
    const serviceArn = required(service?.serviceArn, 'CreateService');
    const serviceName = service?.serviceName ?? `${name}-service`;

    const networkConfiguration: NetworkConfiguration = {
      awsvpcConfiguration: {
        subnets: network.subnets.map((subnet) => subnet.subnetId),
        securityGroups: [network.securityGroupId],
        assignPublicIp: 'DISABLED',
      },
    };
    let blueTaskSetArn: string | null = null;
    if (options.serving !== false) {
      const { taskSet } = await ecs.send(
        new CreateTaskSetCommand({
          cluster: clusterName,
          service: serviceName,
          taskDefinition: taskDefinitionArn,
          externalId: 'fixture-initial',
          clientToken: 'fixture-initial',
          launchType: 'FARGATE',
          networkConfiguration,
          loadBalancers: [{ targetGroupArn: blue, containerName, containerPort }],
          scale: { unit: 'PERCENT', value: 100 },
        }),
      );
      blueTaskSetArn = required(taskSet?.taskSetArn, 'CreateTaskSet');
      await ecs.send(
        new UpdateServicePrimaryTaskSetCommand({
          cluster: clusterName,
          service: serviceName,
          primaryTaskSet: blueTaskSetArn,
        }),
      );
    }

    return {
      region,
      clusterName,
      clusterArn,
      serviceName,
      serviceArn,
      loadBalancerArn,
      listenerArn,
      testListenerArn,
      targetGroups: { blue, green },
      taskDefinitionArn,
      containerName,
      containerPort,
      blueTaskSetArn,
      networkConfiguration,
      desiredCount,
    };
  } finally {
    elbv2.destroy();
    ecs.destroy();
  }
}

/** Creates the rules on the fixture's listeners, in order; returns their ARNs. */
export async function createListenerRules(
  elbv2: ElasticLoadBalancingV2Client,
  fixture: Pick<BlueGreenFixture, 'listenerArn' | 'testListenerArn' | 'targetGroups'>,
  rules: readonly FixtureRule[],
): Promise<string[]> {
  const groups: Record<string, string> = fixture.targetGroups;
  const arns: string[] = [];
  for (const rule of rules) {
    const forward = Object.entries(rule.forward ?? { blue: 1 }).map(([group, weight]) => ({
      TargetGroupArn: groups[group] ?? group,
      Weight: weight,
    }));
    const { Rules } = await elbv2.send(
      new CreateRuleCommand({
        ListenerArn: rule.listener === 'test' ? fixture.testListenerArn : fixture.listenerArn,
        Priority: rule.priority,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: rule.paths } }],
        Actions: [
          ...(rule.oidc ? [OIDC_ACTION] : []),
          { Type: 'forward', Order: rule.oidc ? 2 : 1, ForwardConfig: { TargetGroups: forward } },
        ],
      }),
    );
    arns.push(required(Rules?.[0]?.RuleArn, 'CreateRule'));
  }
  return arns;
}

const OIDC_ACTION = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example.com',
    AuthorizationEndpoint: 'https://idp.example.com/authorize',
    TokenEndpoint: 'https://idp.example.com/token',
    UserInfoEndpoint: 'https://idp.example.com/userinfo',
    ClientId: 'switchyard-fixture',
    ClientSecret: 'fixture-secret',
  },
} as const;

/** Creates (or replaces) an alarm on the load balancer's target 5xx count: more than 5 in a minute. */
export async function putTargetErrorAlarm(cloudwatch: CloudWatchClient, alarmName: string): Promise<void> {
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: alarmName,
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    }),
  );
}

function required(value: string | undefined, call: string): string {
  if (!value) throw new Error(`${call} returned no identifier; see the emulator's log`);
  return value;
}
