/**
 * The deploy stage up to the traffic shift: CreateGreen (find the live target group, create the green task set
 * behind the other one), CheckGreen (one readiness poll, with its deadline) and AllowTestTraffic (the test
 * listener to green). Each core gets a typed config and its clients; nothing here reads the environment.
 */

import { createHash } from 'node:crypto';
import type { NetworkConfiguration } from '@aws-sdk/client-ecs';
import {
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  type ECSClient,
  type LaunchType,
} from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Deployment, DeploymentsTable } from '../record/deployments';
import {
  asTransient,
  ConfigurationError,
  GreenUnhealthyError,
  InvalidInputError,
  ServiceNotReadyError,
} from '../shared/errors';
import { classifyForward, type ForwardState, readForward, setWeights } from './listener';
import type { DeployInput, GreenCheckState, GreenState } from './state';
import { checkGreen, createGreenTaskSet, describeService, findTaskSets } from './task-sets';

/** Where the deploy stage deploys: the stack's parameters, typed. */
export interface DeployConfig {
  cluster: string;
  service: string;
  productionListenerArn: string;
  /** '' when the stack has no test listener. */
  testListenerArn: string;
  /** TARGET_GROUP_A_ARN and TARGET_GROUP_B_ARN; live and green swap each deployment. */
  targetGroups: readonly [string, string];
  greenHealthTimeoutMinutes: number;
  /** The network of a first deployment when the AppSpec gives none (stack parameters TaskSubnetIds, TaskSecurityGroupIds). */
  defaultNetworkConfiguration?: NetworkConfiguration;
}

/** The environment variables a DeployConfig is read from (TEST_LISTENER_ARN is optional and read apart). */
export const DEPLOY_ENV = [
  'CLUSTER_NAME',
  'SERVICE_NAME',
  'PRODUCTION_LISTENER_ARN',
  'TARGET_GROUP_A_ARN',
  'TARGET_GROUP_B_ARN',
  'GREEN_HEALTH_TIMEOUT_MINUTES',
] as const;

/** Seconds between two CheckGreen polls. */
export const GREEN_POLL_SECONDS = 10;

/** Clients of the deploy-stage cores. */
export interface DeployClients {
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/** Builds the DeployConfig from the environment's values (as configFromEnv returns them); ConfigurationError names the bad one. */
export function deployConfig(
  env: Readonly<Record<(typeof DEPLOY_ENV)[number], string>>,
  testListenerArn = '',
): DeployConfig {
  // Checked where it is used (CreateGreen): a bad value must not stop Rollback, Finalize or CleanUp.
  const minutes = Number(env.GREEN_HEALTH_TIMEOUT_MINUTES);
  if (env.TARGET_GROUP_A_ARN === env.TARGET_GROUP_B_ARN) {
    throw new ConfigurationError(
      `TARGET_GROUP_A_ARN and TARGET_GROUP_B_ARN are both ${env.TARGET_GROUP_A_ARN}: blue/green needs two target groups`,
    );
  }
  return {
    cluster: env.CLUSTER_NAME,
    service: env.SERVICE_NAME,
    productionListenerArn: env.PRODUCTION_LISTENER_ARN,
    testListenerArn: testListenerArn.trim(),
    targetGroups: [env.TARGET_GROUP_A_ARN, env.TARGET_GROUP_B_ARN],
    greenHealthTimeoutMinutes: minutes,
    ...defaultNetwork(),
  };
}

/** TASK_SUBNET_IDS and TASK_SECURITY_GROUP_IDS (comma-separated, optional) as an awsvpc configuration. */
function defaultNetwork(): { defaultNetworkConfiguration?: NetworkConfiguration } {
  const list = (name: string) =>
    (process.env[name] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
  const subnets = list('TASK_SUBNET_IDS');
  if (subnets.length === 0) return {};
  const securityGroups = list('TASK_SECURITY_GROUP_IDS');
  return {
    defaultNetworkConfiguration: {
      awsvpcConfiguration: {
        subnets,
        ...(securityGroups.length ? { securityGroups } : {}),
        assignPublicIp: 'DISABLED',
      },
    },
  };
}

const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;

/**
 * The CreateTaskSet client token, also the task set's externalId, of a deployment: the deployment id itself when
 * it fits ECS's limit (36 printable ASCII characters), else a hash of it. Stable, so a retry never makes two.
 */
export function greenClientToken(deploymentId: string): string {
  if (CLIENT_TOKEN.test(deploymentId)) return deploymentId;
  return `sy-${createHash('sha256').update(deploymentId).digest('hex').slice(0, 33)}`;
}

/** Input of CreateGreen. */
export type CreateGreenInput = Pick<DeployInput, 'deployment' | 'render'>;

/**
 * CreateGreen: the live target group is the one the production listener sends all traffic to, green is the other
 * of the pair. The listener is set to {live: 100, green: 0} first (so the green group is attached to the ALB and
 * its targets get health checks), then the green task set is created (or found again, on a retry) and the
 * GreenState is written to the deployment record.
 */
export async function createGreen(
  input: CreateGreenInput,
  config: DeployConfig,
  deps: DeployClients & { table: DeploymentsTable },
  now: () => Date = () => new Date(),
): Promise<GreenState> {
  requireDeployment(input.deployment, 'CreateGreen', 'events/create-green.json');
  if (!Number.isFinite(config.greenHealthTimeoutMinutes) || config.greenHealthTimeoutMinutes <= 0) {
    throw new ConfigurationError(
      `GREEN_HEALTH_TIMEOUT_MINUTES is "${config.greenHealthTimeoutMinutes}": expected a number of minutes above 0 ` +
        '(stack parameter GreenHealthTimeoutMinutes)',
    );
  }
  const { render } = input;
  if (!render?.taskDefinitionArn || !render.appspec) {
    throw new InvalidInputError(
      'CreateGreen expects {"deployment", "render": {"taskDefinitionArn", "appspec"}} as RenderTaskDefinition ' +
        'returns it (see events/create-green.json)',
    );
  }
  const { ecs, elbv2 } = deps;
  const { cluster, service, productionListenerArn } = config;
  await describeService(ecs, cluster, service);

  const forward = await readForward(elbv2, productionListenerArn);
  const traffic = classifyForward(productionListenerArn, forward, config.targetGroups);
  if (traffic.kind === 'split') {
    throw new ServiceNotReadyError(
      `production listener ${productionListenerArn} splits traffic (${describeWeights(forward)}): an earlier ` +
        'deployment stopped halfway (its rollback did not finish). Let its rollback finish (switchyard rollback), ' +
        'or point the listener 100 % at the target group that serves the running version and delete the other ' +
        "group's task set, then deploy again",
    );
  }
  const { live, green } = traffic;

  const { primary } = await findTaskSets(ecs, cluster, service);
  if (primary && primary.targetGroupArn !== live) {
    throw new ServiceNotReadyError(
      `the primary task set ${primary.arn} of service "${service}" serves ${primary.targetGroupArn ?? 'no target group'}, ` +
        `but production listener ${productionListenerArn} sends its traffic to ${live}: an earlier deployment or ` +
        'rollback stopped between moving traffic and moving the primary task set; point the listener at the ' +
        "primary task set's target group (or make the task set on the live group primary), then deploy again",
    );
  }

  // Both groups in the forward action: ALB health-checks only targets of groups some listener uses.
  await setWeights(elbv2, productionListenerArn, { [live]: 100, [green]: 0 });

  const { appspec } = render;
  const launchType =
    primary || appspec.capacityProviderStrategy?.length
      ? undefined
      : await onlyLaunchType(ecs, render.taskDefinitionArn);
  const { taskSet } = await createGreenTaskSet(ecs, {
    cluster,
    service,
    taskDefinition: render.taskDefinitionArn,
    targetGroupArn: green,
    containerName: appspec.containerName,
    containerPort: appspec.containerPort,
    ...(appspec.networkConfiguration ? { networkConfiguration: appspec.networkConfiguration } : {}),
    ...(appspec.platformVersion ? { platformVersion: appspec.platformVersion } : {}),
    ...(appspec.capacityProviderStrategy?.length
      ? { capacityProviderStrategy: appspec.capacityProviderStrategy }
      : {}),
    ...(launchType ? { launchType } : {}),
    ...(config.defaultNetworkConfiguration
      ? { defaultNetworkConfiguration: config.defaultNetworkConfiguration }
      : {}),
    clientToken: greenClientToken(input.deployment.id),
  });

  // The deadline counts from the task set's creation, so a retried CreateGreen returns the same state.
  const created = (await taskSetCreatedAt(ecs, cluster, service, taskSet.arn)) ?? now();
  const state: GreenState = {
    cluster,
    service,
    productionListenerArn,
    testListenerArn: config.testListenerArn,
    liveTargetGroupArn: live,
    greenTargetGroupArn: green,
    blueTaskSetArn: primary?.arn ?? null,
    greenTaskSetArn: taskSet.arn,
    createdAt: created.toISOString(),
    pollSeconds: GREEN_POLL_SECONDS,
    healthyBy: new Date(created.getTime() + config.greenHealthTimeoutMinutes * 60_000).toISOString(),
  };
  await deps.table.update(input.deployment, { green: state, updatedAt: now().toISOString() });
  return state;
}

/** Input of CheckGreen and AllowTestTraffic. */
export interface GreenStepInput {
  deployment: Deployment;
  green: GreenState;
}

/**
 * CheckGreen: one poll of the green task set and its target group. Not ready past `green.healthyBy` throws
 * GreenUnhealthyError with what is wrong (unhealthy targets and their reasons, none registered, still stabilizing).
 */
export async function pollGreen(
  input: GreenStepInput,
  deps: DeployClients,
  now: () => Date = () => new Date(),
): Promise<GreenCheckState> {
  const green = requireGreen(input, 'CheckGreen', 'events/check-green.json');
  const check = await checkGreen(deps.ecs, deps.elbv2, {
    cluster: green.cluster,
    service: green.service,
    taskSetArn: green.greenTaskSetArn,
    targetGroupArn: green.greenTargetGroupArn,
  });
  if (!check.ready && now().getTime() > Date.parse(green.healthyBy)) {
    throw new GreenUnhealthyError(
      `green task set ${green.greenTaskSetArn} (target group ${green.greenTargetGroupArn}) was not ready by ` +
        `${green.healthyBy} (GreenHealthTimeoutMinutes after its creation at ${green.createdAt}): ` +
        `${check.summary.replace(/^green not ready: /, '')}. Check the tasks' logs, the container's port and the ` +
        "target group's health check",
    );
  }
  return { ready: check.ready, summary: check.summary };
}

/** Output of AllowTestTraffic. */
export type AllowTestTrafficOutput =
  | { testListenerArn: string; observedWeights: Record<string, number> }
  | { skipped: true };

/** AllowTestTraffic: the test listener sends everything to green (read back); nothing without a test listener. */
export async function allowTestTraffic(
  input: GreenStepInput,
  deps: Pick<DeployClients, 'elbv2'>,
): Promise<AllowTestTrafficOutput> {
  const green = requireGreen(input, 'AllowTestTraffic', 'events/allow-test-traffic.json');
  if (!green.testListenerArn) return { skipped: true };
  const observed = await setWeights(deps.elbv2, green.testListenerArn, {
    [green.greenTargetGroupArn]: 100,
    [green.liveTargetGroupArn]: 0,
  });
  return { testListenerArn: green.testListenerArn, observedWeights: weightsOf(observed) };
}

/** The weights of a forward state by target group ARN. */
export function weightsOf(state: ForwardState): Record<string, number> {
  return Object.fromEntries(state.targetGroups.map((group) => [group.arn, group.weight]));
}

/** Throws InvalidInputError unless the event carries a deployment. */
export function requireDeployment(deployment: Deployment | undefined, state: string, sample: string): void {
  if (!deployment || typeof deployment.id !== 'string' || typeof deployment.startedAt !== 'string') {
    throw new InvalidInputError(
      `${state} expects {"deployment": {"id", "repository", "startedAt", ...}, ...} as the state machine passes it (see ${sample})`,
    );
  }
}

/** The event's GreenState; InvalidInputError when it is missing or incomplete. */
export function requireGreen(
  input: { deployment?: Deployment; green?: GreenState },
  state: string,
  sample: string,
): GreenState {
  requireDeployment(input.deployment, state, sample);
  const green = input.green;
  if (!green?.greenTaskSetArn || !green.greenTargetGroupArn || !green.liveTargetGroupArn) {
    throw new InvalidInputError(
      `${state} expects "green" as CreateGreen returns it (greenTaskSetArn, greenTargetGroupArn, ` +
        `liveTargetGroupArn, ...): see ${sample}`,
    );
  }
  return green;
}

function describeWeights(state: ForwardState): string {
  return state.targetGroups.map((group) => `${group.arn} ${group.percent} %`).join(', ');
}

/**
 * The one launch type the task definition allows, for a first deployment (no primary task set to copy it from)
 * whose AppSpec names no capacity provider strategy: without it ECS would place a Fargate-only task on EC2.
 */
async function onlyLaunchType(ecs: ECSClient, taskDefinitionArn: string): Promise<LaunchType | undefined> {
  try {
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
    );
    const compatible = (taskDefinition?.requiresCompatibilities ?? []) as LaunchType[];
    return compatible.length === 1 ? compatible[0] : undefined;
  } catch (error) {
    throw asTransient(`DescribeTaskDefinition ${taskDefinitionArn}`, error);
  }
}

async function taskSetCreatedAt(
  ecs: ECSClient,
  cluster: string,
  service: string,
  taskSetArn: string,
): Promise<Date | undefined> {
  try {
    const { taskSets } = await ecs.send(
      new DescribeTaskSetsCommand({ cluster, service, taskSets: [taskSetArn] }),
    );
    const createdAt = taskSets?.find((set) => set.taskSetArn === taskSetArn)?.createdAt;
    return createdAt ? new Date(createdAt) : undefined;
  } catch (error) {
    throw asTransient(`DescribeTaskSets ${taskSetArn}`, error);
  }
}
