/**
 * The deploy stage up to the traffic shift: CreateGreen (find the live target group, create the green task set
 * behind the other one), CheckGreen (one readiness poll, with its deadline) and AllowTestTraffic (the test
 * listener to green). Each core gets a typed config and its clients; nothing here reads the environment.
 */

import type { LaunchType } from '@aws-sdk/client-ecs';
import type { Deployment, DeploymentsTable } from '../record/deployments';
import {
  ConfigurationError,
  GreenUnhealthyError,
  InvalidInputError,
  ServiceNotReadyError,
} from '../shared/errors';
import type { DeployClients, DeployConfig } from './deploy-config';
import { firstGreenCheckSeconds } from './green-first-check';
import { checkGreen } from './green-health';
import { createGreenTaskSet, greenClientToken } from './green-task-set';
import { classifyForward, type ForwardState, readForward, setWeights, weightsOf } from './listener';
import {
  type DeployInput,
  GREEN_POLL_SECONDS,
  type GreenCheckState,
  type GreenState,
  requireDeployment,
  requireGreen,
} from './state';
import {
  describeService,
  describeTaskDefinition,
  type EcsClient,
  findTaskSets,
  taskSetCreatedAt,
} from './task-sets';

/** A guard called right before each write toward green; throws when the deployment may no longer make it. */
export type Fence = () => Promise<void>;

export { GREEN_POLL_SECONDS } from './state';

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
  deps: DeployClients & { table: DeploymentsTable; fence?: Fence },
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
  await deps.fence?.();
  await setWeights(elbv2, productionListenerArn, { [live]: 100, [green]: 0 });

  const { appspec } = render;
  const launchType =
    primary || appspec.capacityProviderStrategy?.length
      ? undefined
      : await onlyLaunchType(ecs, render.taskDefinitionArn);
  await deps.fence?.();
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
  const created = (await taskSetCreatedAt(ecs, { cluster, service, taskSetArn: taskSet.arn })) ?? now();
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
    firstCheckSeconds: await firstGreenCheckSeconds(deps.elbv2, green),
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
  deps: Pick<DeployClients, 'elbv2'> & { fence?: Fence },
): Promise<AllowTestTrafficOutput> {
  const green = requireGreen(input, 'AllowTestTraffic', 'events/allow-test-traffic.json');
  if (!green.testListenerArn) return { skipped: true };
  await deps.fence?.();
  const observed = await setWeights(deps.elbv2, green.testListenerArn, {
    [green.greenTargetGroupArn]: 100,
    [green.liveTargetGroupArn]: 0,
  });
  return { testListenerArn: green.testListenerArn, observedWeights: weightsOf(observed) };
}

function describeWeights(state: ForwardState): string {
  return state.targetGroups.map((group) => `${group.arn} ${group.percent} %`).join(', ');
}

/**
 * The one launch type the task definition allows, for a first deployment (no primary task set to copy it from)
 * whose AppSpec names no capacity provider strategy: without it ECS would place a Fargate-only task on EC2.
 */
async function onlyLaunchType(ecs: EcsClient, taskDefinitionArn: string): Promise<LaunchType | undefined> {
  const taskDefinition = await describeTaskDefinition(ecs, taskDefinitionArn);
  const compatible = (taskDefinition?.requiresCompatibilities ?? []) as LaunchType[];
  return compatible.length === 1 ? compatible[0] : undefined;
}
