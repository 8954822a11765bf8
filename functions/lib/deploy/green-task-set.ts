/**
 * Creating the green task set idempotently: a client token derived from the deployment, sent as CreateTaskSet's
 * clientToken and as the task set's externalId, by which a retry finds the task set it already made; and where
 * green runs (network, launch type or capacity providers, platform version) when the AppSpec does not say.
 *
 * Facts this relies on (ECS API reference): CreateTaskSet's `clientToken` is up to 36 ASCII characters 33–126.
 */
import { createHash } from 'node:crypto';
import type {
  CapacityProviderStrategyItem,
  CreateTaskSetCommandInput,
  LaunchType,
  NetworkConfiguration,
} from '@aws-sdk/client-ecs';
import { InvalidInputError, ServiceNotReadyError } from '../shared/errors';
import type { TaskSetInfo } from './task-set-info';
import {
  createTaskSet,
  describeService,
  describeTaskDefinition,
  type EcsClient,
  findTaskSets,
} from './task-sets';

/** Where and what the green task set runs; the AppSpec's optional fields override the primary task set's. */
export interface GreenTaskSetInput {
  cluster: string;
  service: string;
  taskDefinition: string;
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
  networkConfiguration?: NetworkConfiguration;
  platformVersion?: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: LaunchType;
  /**
   * Derived from the deployment by the caller, at most 36 printable ASCII characters. Sent as CreateTaskSet's
   * clientToken and as the task set's externalId, by which a retry finds the task set it already made.
   */
  clientToken: string;
  /** The stack's network for a first deployment (TaskSubnetIds/TaskSecurityGroupIds): used when nothing else gives one. */
  defaultNetworkConfiguration?: NetworkConfiguration;
}

/** The task set of this deployment, and whether this call made it. */
export interface GreenTaskSet {
  taskSet: TaskSetInfo;
  created: boolean;
}

/** ECS's limit on CreateTaskSet's clientToken. */
export const CLIENT_TOKEN_MAX_LENGTH = 36;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;

/**
 * The CreateTaskSet client token, also the task set's externalId, of a deployment: the deployment id itself when
 * it fits ECS's limit (36 printable ASCII characters), else a hash of it. Stable, so a retry never makes two.
 */
export function greenClientToken(deploymentId: string): string {
  if (CLIENT_TOKEN.test(deploymentId)) return deploymentId;
  return `sy-${createHash('sha256').update(deploymentId).digest('hex').slice(0, 33)}`;
}

/**
 * Creates the green task set at 100 % scale behind `targetGroupArn`, or returns the one an earlier attempt of the
 * same deployment made (looked up by externalId first, so a retry never makes two even where the client token is
 * not honoured). Network, platform version and capacity come from the input, else from the primary task set.
 */
export async function createGreenTaskSet(ecs: EcsClient, input: GreenTaskSetInput): Promise<GreenTaskSet> {
  const { cluster, service, clientToken, targetGroupArn } = input;
  if (!CLIENT_TOKEN.test(clientToken)) {
    throw new InvalidInputError(
      `clientToken "${clientToken}" must be 1 to ${CLIENT_TOKEN_MAX_LENGTH} printable ASCII characters ` +
        '(ECS CreateTaskSet); derive a shorter one from the deployment id',
    );
  }
  const serviceInfo = await describeService(ecs, cluster, service);
  const { primary, active } = await findTaskSets(ecs, cluster, service);
  const sets = primary ? [primary, ...active] : active;

  const mine = sets.find((set) => set.externalId === clientToken);
  if (mine) {
    if (
      !sameTaskDefinition(mine.taskDefinition, input.taskDefinition) ||
      mine.targetGroupArn !== targetGroupArn
    ) {
      throw new InvalidInputError(
        `task set ${mine.arn} of deployment "${clientToken}" runs ${mine.taskDefinition} behind ` +
          `${mine.targetGroupArn ?? 'no target group'}, not ${input.taskDefinition} behind ${targetGroupArn}; ` +
          'one deployment id names one green task set: use a new deployment id for a new green',
      );
    }
    return { taskSet: mine, created: false };
  }

  const squatter = sets.find((set) => set.targetGroupArn === targetGroupArn);
  if (squatter) {
    throw new ServiceNotReadyError(
      `task set ${squatter.arn} (${squatter.status}, ${squatter.taskDefinition}) already uses target group ` +
        `${targetGroupArn}, which this deployment wants for green; it is left from an earlier deployment ` +
        '(still in its termination wait, or a rollback that did not finish): wait for it to be deleted, or delete it',
    );
  }

  const networkConfiguration =
    input.networkConfiguration ??
    primary?.networkConfiguration ??
    serviceInfo.networkConfiguration ??
    input.defaultNetworkConfiguration;
  if (!networkConfiguration) await requireNoAwsvpc(ecs, input, primary !== undefined);
  const capacity = resolveCapacity(input, primary);

  const request: CreateTaskSetCommandInput = {
    cluster,
    service,
    taskDefinition: input.taskDefinition,
    externalId: clientToken,
    clientToken,
    loadBalancers: [
      { targetGroupArn, containerName: input.containerName, containerPort: input.containerPort },
    ],
    scale: { unit: 'PERCENT', value: 100 },
    ...(networkConfiguration ? { networkConfiguration } : {}),
    ...capacity,
  };
  return { taskSet: await createTaskSet(ecs, request), created: true };
}

function resolveCapacity(
  input: GreenTaskSetInput,
  primary: TaskSetInfo | undefined,
): {
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  launchType?: LaunchType;
  platformVersion?: string;
} {
  // CreateTaskSet takes a launch type or a capacity provider strategy, never both.
  let capacity: { capacityProviderStrategy?: CapacityProviderStrategyItem[]; launchType?: LaunchType };
  if (input.capacityProviderStrategy?.length)
    capacity = { capacityProviderStrategy: input.capacityProviderStrategy };
  else if (input.launchType) capacity = { launchType: input.launchType };
  else if (primary?.capacityProviderStrategy?.length)
    capacity = { capacityProviderStrategy: primary.capacityProviderStrategy };
  else if (primary?.launchType) capacity = { launchType: primary.launchType as LaunchType };
  else capacity = {};

  // A platform version applies to Fargate only; the primary's is copied only onto a Fargate green.
  const fargate =
    capacity.launchType === 'FARGATE' ||
    (capacity.capacityProviderStrategy ?? []).some((item) => item.capacityProvider?.startsWith('FARGATE'));
  const platformVersion = input.platformVersion ?? (fargate ? primary?.platformVersion : undefined);
  return { ...capacity, ...(platformVersion ? { platformVersion } : {}) };
}

/** Without any network configuration to use, only a task definition that is not awsvpc can run. */
async function requireNoAwsvpc(ecs: EcsClient, input: GreenTaskSetInput, hasPrimary: boolean): Promise<void> {
  const taskDefinition = await describeTaskDefinition(ecs, input.taskDefinition);
  if (taskDefinition?.networkMode !== 'awsvpc') return;
  const why = hasPrimary
    ? 'its primary task set has no network configuration either'
    : 'this is its first deployment (no primary task set to copy the network configuration from)';
  throw new InvalidInputError(
    `task definition ${input.taskDefinition} uses awsvpc networking, and service "${input.service}" ${why}; ` +
      'add Resources[0].TargetService.Properties.NetworkConfiguration.AwsvpcConfiguration (Subnets, ' +
      'SecurityGroups, AssignPublicIp) to appspec.yaml',
  );
}

function sameTaskDefinition(arn: string, wanted: string): boolean {
  return arn === wanted || arn.endsWith(`/${wanted}`);
}
