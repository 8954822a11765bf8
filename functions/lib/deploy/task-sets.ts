/**
 * ECS task sets of an EXTERNAL-controller service: read the service and its task sets, create the green task set
 * idempotently, tell when green is ready behind its target group, make it primary, delete a task set.
 *
 * Facts this relies on (ECS API reference): a task set's `computedDesiredCount` is the service's desiredCount
 * times the task set's scale, rounded up; `STEADY_STATE` means runningCount = computedDesiredCount, no pending
 * task and every task healthy for the load balancer; CreateTaskSet's `clientToken` is up to 36 ASCII characters
 * 33–126; DeleteTaskSet's `force` deletes a task set that has not been scaled down to zero.
 */
import {
  type CapacityProviderStrategyItem,
  CreateTaskSetCommand,
  type CreateTaskSetCommandInput,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  type ECSClient,
  type LaunchType,
  type NetworkConfiguration,
  type Scale,
  type TaskSet,
  UpdateServicePrimaryTaskSetCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  asTransient,
  describeError,
  GreenUnhealthyError,
  InvalidInputError,
  isTransient,
  ServiceNotReadyError,
} from '../shared/errors';

/** What the pipeline needs to know about the ECS service. */
export interface ServiceInfo {
  arn: string;
  name: string;
  clusterArn: string;
  status: string;
  desiredCount: number;
  /** The service's own network configuration, when it has one (EXTERNAL services usually do not). */
  networkConfiguration?: NetworkConfiguration;
}

/** A task set, as the pipeline sees it. */
export interface TaskSetInfo {
  arn: string;
  id: string;
  /** PRIMARY, ACTIVE or DRAINING. */
  status: string;
  externalId?: string;
  taskDefinition: string;
  targetGroupArn?: string;
  containerName?: string;
  containerPort?: number;
  stabilityStatus?: string;
  computedDesiredCount?: number;
  runningCount?: number;
  scale?: Scale;
  launchType?: string;
  platformVersion?: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  networkConfiguration?: NetworkConfiguration;
}

/** The service's task sets that serve or may serve traffic (DRAINING ones are on their way out and left out). */
export interface ServiceTaskSets {
  primary: TaskSetInfo | undefined;
  active: TaskSetInfo[];
}

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

/** A registered target that is not healthy, with the ALB's words for why. */
export interface UnhealthyTarget {
  id: string;
  port?: number;
  state: string;
  reason?: string;
  description?: string;
}

/** One CheckGreen poll. */
export interface GreenCheck {
  ready: boolean;
  stability: string;
  /** Tasks the task set wants (computedDesiredCount). */
  desired: number;
  healthy: { id: string; port?: number }[];
  unhealthy: UnhealthyTarget[];
  /** One line for logs: why green is (not) ready. */
  summary: string;
}

/** Identifies a task set of a service. */
export interface TaskSetRef {
  cluster: string;
  service: string;
  taskSetArn: string;
}

/** ECS's limit on CreateTaskSet's clientToken. */
export const CLIENT_TOKEN_MAX_LENGTH = 36;
const CLIENT_TOKEN = /^[\x21-\x7e]{1,36}$/;
const TASK_SET_ARN = /^arn:[^:]+:ecs:[^:]+:\d+:task-set\/[^/]+\/[^/]+\/.+$/;
/** Targets leaving the group (the previous task set on this group being deleted): neither healthy nor failing. */
const LEAVING = new Set(['draining', 'unhealthy.draining']);

/** Describes the service; ServiceNotReadyError when it is missing, not ACTIVE or not EXTERNAL, saying how to fix it. */
export async function describeService(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ServiceInfo> {
  const where = `service "${service}" in cluster "${cluster}"`;
  const { services, failures } = await call(where, () =>
    ecs.send(new DescribeServicesCommand({ cluster, services: [service] })),
  );
  const found = services?.[0];
  if (!found) {
    const reason = failures?.[0]?.reason ?? 'not returned';
    throw new ServiceNotReadyError(
      `${where} was not found (${reason}); check the stack's cluster and service parameters and the region`,
    );
  }
  if (found.status !== 'ACTIVE') {
    throw new ServiceNotReadyError(`${where} is ${found.status}, not ACTIVE; deploy to an active service`);
  }
  const controller = found.deploymentController?.type ?? 'ECS';
  if (controller !== 'EXTERNAL') {
    throw new ServiceNotReadyError(
      `${where} uses the ${controller} deployment controller; Switchyard creates task sets and moves traffic ` +
        'itself, which needs deploymentController type EXTERNAL: create the service with ' +
        'DeploymentController: {Type: EXTERNAL} (see the examples/ infrastructure template)',
    );
  }
  const network = found.networkConfiguration;
  return {
    arn: found.serviceArn ?? '',
    name: found.serviceName ?? service,
    clusterArn: found.clusterArn ?? '',
    status: found.status,
    desiredCount: found.desiredCount ?? 0,
    ...(network?.awsvpcConfiguration?.subnets?.length ? { networkConfiguration: network } : {}),
  };
}

/** The service's PRIMARY task set (if any) and its other ACTIVE ones, with their target group and task definition. */
export async function findTaskSets(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ServiceTaskSets> {
  const { taskSets = [] } = await call(`task sets of service "${service}" in cluster "${cluster}"`, () =>
    ecs.send(new DescribeTaskSetsCommand({ cluster, service })),
  );
  const infos = taskSets.map(toInfo);
  return {
    primary: infos.find((set) => set.status === 'PRIMARY'),
    active: infos.filter((set) => set.status === 'ACTIVE'),
  };
}

/**
 * Creates the green task set at 100 % scale behind `targetGroupArn`, or returns the one an earlier attempt of the
 * same deployment made (looked up by externalId first, so a retry never makes two even where the client token is
 * not honoured). Network, platform version and capacity come from the input, else from the primary task set.
 */
export async function createGreenTaskSet(ecs: ECSClient, input: GreenTaskSetInput): Promise<GreenTaskSet> {
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
  try {
    const { taskSet } = await ecs.send(new CreateTaskSetCommand(request));
    if (!taskSet?.taskSetArn)
      throw new ServiceNotReadyError(`CreateTaskSet for ${service} returned no task set`);
    return { taskSet: toInfo(taskSet), created: true };
  } catch (error) {
    if (isTransient(error) || error instanceof ServiceNotReadyError)
      throw asTransient('CreateTaskSet', error);
    const name = (error as Error).name;
    if (name === 'InvalidParameterException' || name === 'ClientException') {
      throw new InvalidInputError(
        `ECS refused the green task set (task definition ${input.taskDefinition}, container ` +
          `"${input.containerName}" port ${input.containerPort}, target group ${targetGroupArn}): ` +
          `${describeError(error)}; check appspec.yaml's LoadBalancerInfo and the task definition`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Polls green: ready when the task set is STEADY_STATE and its target group has at least computedDesiredCount
 * healthy targets and no other target failing. Zero targets registered with tasks wanted is never ready.
 * Draining targets (the group's previous task set leaving) are ignored.
 */
export async function checkGreen(
  ecs: ECSClient,
  elbv2: ElasticLoadBalancingV2Client,
  input: TaskSetRef & { targetGroupArn: string },
): Promise<GreenCheck> {
  const taskSet = await describeTaskSet(ecs, input);
  if (!taskSet || taskSet.status === 'DRAINING') {
    throw new GreenUnhealthyError(
      `green task set ${input.taskSetArn} of service "${input.service}" is ${taskSet ? 'draining' : 'gone'}; ` +
        'something else deleted it while the deployment waited for it',
    );
  }
  const desired = taskSet.computedDesiredCount ?? (await computedDesiredCount(ecs, input, taskSet));

  const { TargetHealthDescriptions = [] } = await call(`DescribeTargetHealth ${input.targetGroupArn}`, () =>
    elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: input.targetGroupArn })),
  );
  const healthy: GreenCheck['healthy'] = [];
  const unhealthy: UnhealthyTarget[] = [];
  for (const description of TargetHealthDescriptions) {
    const id = description.Target?.Id ?? '';
    const port = description.Target?.Port;
    const state = description.TargetHealth?.State ?? 'unknown';
    if (LEAVING.has(state)) continue;
    if (state === 'healthy') {
      healthy.push({ id, ...(port === undefined ? {} : { port }) });
      continue;
    }
    unhealthy.push({
      id,
      ...(port === undefined ? {} : { port }),
      state,
      ...(description.TargetHealth?.Reason ? { reason: description.TargetHealth.Reason } : {}),
      ...(description.TargetHealth?.Description ? { description: description.TargetHealth.Description } : {}),
    });
  }

  const stability = taskSet.stabilityStatus ?? 'UNKNOWN';
  const running = taskSet.runningCount;
  const problems: string[] = [];
  if (stability !== 'STEADY_STATE') problems.push(`task set is ${stability}`);
  if (running !== undefined && running < desired) problems.push(`${running} of ${desired} tasks running`);
  if (unhealthy.length > 0) {
    problems.push(`${unhealthy.length} target(s) not healthy: ${unhealthy.map(formatTarget).join('; ')}`);
  }
  if (healthy.length < desired) {
    problems.push(
      healthy.length === 0 && unhealthy.length === 0
        ? `no target registered in ${input.targetGroupArn} yet, ${desired} wanted (ECS registers tasks as they start)`
        : `${healthy.length} of ${desired} wanted targets healthy`,
    );
  }
  const ready = problems.length === 0;
  return {
    ready,
    stability,
    desired,
    healthy,
    unhealthy,
    summary: ready
      ? `green ready: ${healthy.length} healthy target(s), ${desired} wanted, task set ${stability}`
      : `green not ready: ${problems.join('; ')}`,
  };
}

/** Makes the task set the service's PRIMARY (full ARN), then describes the service's task sets to verify it. */
export async function makePrimary(ecs: ECSClient, ref: TaskSetRef): Promise<TaskSetInfo> {
  requireFullArn(ref.taskSetArn);
  const current = await describeTaskSet(ecs, ref);
  if (!current || current.status === 'DRAINING') {
    throw new ServiceNotReadyError(
      `task set ${ref.taskSetArn} of service "${ref.service}" is ${current ? 'draining' : 'gone'}; cannot make it primary`,
    );
  }
  if (current.status === 'PRIMARY') return current;

  await call(`UpdateServicePrimaryTaskSet ${ref.taskSetArn}`, () =>
    ecs.send(
      new UpdateServicePrimaryTaskSetCommand({
        cluster: ref.cluster,
        service: ref.service,
        primaryTaskSet: ref.taskSetArn,
      }),
    ),
  );
  const { primary } = await findTaskSets(ecs, ref.cluster, ref.service);
  if (primary?.arn !== ref.taskSetArn) {
    throw new ServiceNotReadyError(
      `after UpdateServicePrimaryTaskSet(${ref.taskSetArn}) the primary task set of service "${ref.service}" is ` +
        `${primary?.arn ?? 'none'}; something else is changing this service's task sets`,
    );
  }
  return primary;
}

/**
 * Deletes a task set (with `force`, as it still runs its tasks). Idempotent: a task set already gone or
 * draining is success (`deleted: false`). Refuses to delete the PRIMARY one, which serves the service.
 */
export async function deleteTaskSet(ecs: ECSClient, ref: TaskSetRef): Promise<{ deleted: boolean }> {
  requireFullArn(ref.taskSetArn);
  const current = await describeTaskSet(ecs, ref);
  if (!current || current.status === 'DRAINING') return { deleted: false };
  if (current.status === 'PRIMARY') {
    throw new ServiceNotReadyError(
      `task set ${ref.taskSetArn} is the PRIMARY of service "${ref.service}"; make another task set primary before deleting it`,
    );
  }
  try {
    await ecs.send(
      new DeleteTaskSetCommand({
        cluster: ref.cluster,
        service: ref.service,
        taskSet: ref.taskSetArn,
        force: true,
      }),
    );
    return { deleted: true };
  } catch (error) {
    // Deleted between the describe and the delete (a retry of this same call): the goal is reached.
    if (isTaskSetNotFound(error)) return { deleted: false };
    throw asTransient(`DeleteTaskSet ${ref.taskSetArn}`, error);
  }
}

async function describeTaskSet(ecs: ECSClient, ref: TaskSetRef): Promise<TaskSetInfo | undefined> {
  const { taskSets } = await call(`task set ${ref.taskSetArn}`, () =>
    ecs.send(
      new DescribeTaskSetsCommand({ cluster: ref.cluster, service: ref.service, taskSets: [ref.taskSetArn] }),
    ),
  );
  const found = taskSets?.find((set) => set.taskSetArn === ref.taskSetArn);
  return found ? toInfo(found) : undefined;
}

/** ECS's own rule (service desiredCount × scale, rounded up), for responses without computedDesiredCount (moto). */
async function computedDesiredCount(ecs: ECSClient, ref: TaskSetRef, taskSet: TaskSetInfo): Promise<number> {
  const { desiredCount } = await describeService(ecs, ref.cluster, ref.service);
  const percent = taskSet.scale?.unit === 'PERCENT' ? (taskSet.scale.value ?? 100) : 100;
  return Math.ceil((desiredCount * percent) / 100);
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
async function requireNoAwsvpc(ecs: ECSClient, input: GreenTaskSetInput, hasPrimary: boolean): Promise<void> {
  const { taskDefinition } = await call(`DescribeTaskDefinition ${input.taskDefinition}`, () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: input.taskDefinition })),
  );
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

function requireFullArn(taskSetArn: string): void {
  // UpdateServicePrimaryTaskSet accepts a short id too, but moto then changes nothing; one form everywhere.
  if (!TASK_SET_ARN.test(taskSetArn)) {
    throw new InvalidInputError(
      `"${taskSetArn}" is not a full task set ARN (arn:aws:ecs:<region>:<account>:task-set/<cluster>/<service>/<id>)`,
    );
  }
}

function sameTaskDefinition(arn: string, wanted: string): boolean {
  return arn === wanted || arn.endsWith(`/${wanted}`);
}

function isTaskSetNotFound(error: unknown): boolean {
  const { name, message } = error as Error;
  // ECS says TaskSetNotFoundException; moto says ClientException "The specified task set does not exist."
  return (
    name === 'TaskSetNotFoundException' ||
    (name === 'ClientException' && /task set does not exist/i.test(message))
  );
}

function formatTarget(target: UnhealthyTarget): string {
  const address = target.port === undefined ? target.id : `${target.id}:${target.port}`;
  const why = [target.reason, target.description].filter(Boolean).join(': ');
  return why ? `${address} ${target.state} (${why})` : `${address} ${target.state}`;
}

function toInfo(set: TaskSet): TaskSetInfo {
  const balancer = set.loadBalancers?.[0];
  const info: TaskSetInfo = {
    arn: set.taskSetArn ?? '',
    id: set.id ?? '',
    status: set.status ?? 'UNKNOWN',
    taskDefinition: set.taskDefinition ?? '',
  };
  if (set.externalId) info.externalId = set.externalId;
  if (balancer?.targetGroupArn) info.targetGroupArn = balancer.targetGroupArn;
  if (balancer?.containerName) info.containerName = balancer.containerName;
  if (balancer?.containerPort !== undefined) info.containerPort = balancer.containerPort;
  if (set.stabilityStatus) info.stabilityStatus = set.stabilityStatus;
  if (set.computedDesiredCount !== undefined) info.computedDesiredCount = set.computedDesiredCount;
  if (set.runningCount !== undefined) info.runningCount = set.runningCount;
  if (set.scale) info.scale = set.scale;
  if (set.launchType) info.launchType = set.launchType;
  if (set.platformVersion) info.platformVersion = set.platformVersion;
  if (set.capacityProviderStrategy?.length) info.capacityProviderStrategy = set.capacityProviderStrategy;
  if (set.networkConfiguration?.awsvpcConfiguration) info.networkConfiguration = set.networkConfiguration;
  return info;
}

/** Runs one ECS or ELBv2 read or write; missing cluster/service become ServiceNotReadyError, transient ones TransientAwsError. */
async function call<T>(what: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const name = (error as Error).name;
    if (
      name === 'ClusterNotFoundException' ||
      name === 'ServiceNotFoundException' ||
      name === 'ServiceNotActiveException'
    ) {
      throw new ServiceNotReadyError(
        `${what}: ${describeError(error)}; check the stack's cluster and service parameters`,
        {
          cause: error,
        },
      );
    }
    throw asTransient(what, error);
  }
}

/** Transient failures become TransientAwsError (the machine retries the state); others keep their name. */
