/**
 * The deploy stage's ECS adapter, its only module that calls ECS: the EXTERNAL-controller service and its task
 * sets (read, create, make primary, delete) and the task definitions they run (read only: registering one is
 * render/register.ts's). ECS errors become the pipeline's named errors here. The calls are JSON 1.1 requests through
 * shared/aws-json.ts, not the SDK's ECS client, which would add about 30 KB to each deploy function's bundle; an
 * error keeps ECS's own name (its `__type`), as the SDK names it:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html
 *
 * Facts this relies on (ECS API reference): DeleteTaskSet's `force` deletes a task set that has not been scaled
 * down to zero.
 */
import type {
  CreateTaskSetCommandInput,
  CreateTaskSetResponse,
  DescribeServicesResponse,
  DescribeTaskDefinitionResponse,
  DescribeTaskSetsResponse,
  NetworkConfiguration,
} from '@aws-sdk/client-ecs';
import { type AsJson, awsJson, epochDate, type JsonClient } from '../shared/aws-json';
import {
  asTransient,
  describeError,
  InvalidInputError,
  isTransient,
  ServiceNotReadyError,
} from '../shared/errors';
import {
  type EcsTaskDefinition,
  type EcsTaskSet,
  type TaskSetFields,
  type TaskSetInfo,
  toTaskSetInfo,
} from './task-set-info';

/** The ECS client of the deploy stage: JSON 1.1 requests, signed, with aws-clients.ts's timeouts and retry. */
export type EcsClient = JsonClient;

// The answers as the JSON protocol sends them (each a plain name: sdk-calls-signed.ts reads awsJson<…>( calls).
type ServicesOutput = AsJson<DescribeServicesResponse>;
type TaskSetsOutput = AsJson<DescribeTaskSetsResponse>;
type TaskDefinitionOutput = AsJson<DescribeTaskDefinitionResponse>;
type CreateTaskSetOutput = AsJson<CreateTaskSetResponse>;

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

/** The service's task sets that serve or may serve traffic (DRAINING ones are on their way out and left out). */
export interface ServiceTaskSets {
  primary: TaskSetInfo | undefined;
  active: TaskSetInfo[];
}

/** Identifies a task set of a service. */
export interface TaskSetRef {
  cluster: string;
  service: string;
  taskSetArn: string;
}

const TASK_SET_ARN = /^arn:[^:]+:ecs:[^:]+:\d+:task-set\/[^/]+\/[^/]+\/.+$/;

/** Describes the service; ServiceNotReadyError when it is missing, not ACTIVE or not EXTERNAL, saying how to fix it. */
export async function describeService(
  ecs: EcsClient,
  cluster: string,
  service: string,
): Promise<ServiceInfo> {
  const where = `service "${service}" in cluster "${cluster}"`;
  const { services, failures } = await callEcs(where, () =>
    awsJson<ServicesOutput>(ecs, 'ecs:DescribeServices', { cluster, services: [service] }),
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
  ecs: EcsClient,
  cluster: string,
  service: string,
): Promise<ServiceTaskSets> {
  const { taskSets = [] } = await callEcs(`task sets of service "${service}" in cluster "${cluster}"`, () =>
    awsJson<TaskSetsOutput>(ecs, 'ecs:DescribeTaskSets', { cluster, service }),
  );
  return serviceTaskSets(taskSets);
}

/** A service's task sets, as DescribeTaskSets lists them, split into its PRIMARY and its ACTIVE ones. */
export function serviceTaskSets(taskSets: readonly TaskSetFields[]): ServiceTaskSets {
  const infos = taskSets.map(toTaskSetInfo);
  return {
    primary: infos.find((set) => set.status === 'PRIMARY'),
    active: infos.filter((set) => set.status === 'ACTIVE'),
  };
}

/** One task set of the service, whatever its status; undefined when ECS no longer lists it. */
export async function describeTaskSet(ecs: EcsClient, ref: TaskSetRef): Promise<TaskSetInfo | undefined> {
  const { taskSets } = await callEcs(`task set ${ref.taskSetArn}`, () =>
    awsJson<TaskSetsOutput>(ecs, 'ecs:DescribeTaskSets', {
      cluster: ref.cluster,
      service: ref.service,
      taskSets: [ref.taskSetArn],
    }),
  );
  const found = taskSets?.find((set) => set.taskSetArn === ref.taskSetArn);
  return found ? toTaskSetInfo(found) : undefined;
}

/** When ECS created the task set (CreateGreen dates green's deadline from it); undefined when not reported. */
export async function taskSetCreatedAt(ecs: EcsClient, ref: TaskSetRef): Promise<Date | undefined> {
  try {
    const { taskSets } = await awsJson<TaskSetsOutput>(ecs, 'ecs:DescribeTaskSets', {
      cluster: ref.cluster,
      service: ref.service,
      taskSets: [ref.taskSetArn],
    });
    // Epoch seconds (with a fraction) in the JSON protocol, where the SDK gave a Date.
    return epochDate(taskSets?.find((set: EcsTaskSet) => set.taskSetArn === ref.taskSetArn)?.createdAt);
  } catch (error) {
    throw asTransient(`DescribeTaskSets ${ref.taskSetArn}`, error);
  }
}

/** The registered task definition (its network mode and the launch types it is compatible with). */
export async function describeTaskDefinition(
  ecs: EcsClient,
  taskDefinition: string,
): Promise<EcsTaskDefinition | undefined> {
  const out = await callEcs(`DescribeTaskDefinition ${taskDefinition}`, () =>
    awsJson<TaskDefinitionOutput>(ecs, 'ecs:DescribeTaskDefinition', { taskDefinition }),
  );
  return out.taskDefinition;
}

/**
 * Sends CreateTaskSet for the green task set. A transient failure, or an answer without a task set, is
 * TransientAwsError; ECS refusing the request is InvalidInputError naming the task definition, container and
 * target group it was given. The caller needs iam:PassRole on the task definition's roles, passed to
 * ecs-tasks.amazonaws.com, as AWS's own CodeDeploy role for ECS has
 * (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForECS.html).
 */
export async function createTaskSet(
  ecs: EcsClient,
  request: CreateTaskSetCommandInput,
): Promise<TaskSetInfo> {
  try {
    const { taskSet } = await awsJson<CreateTaskSetOutput>(ecs, 'ecs:CreateTaskSet', request);
    if (!taskSet?.taskSetArn)
      throw new ServiceNotReadyError(`CreateTaskSet for ${request.service} returned no task set`);
    return toTaskSetInfo(taskSet);
  } catch (error) {
    if (isTransient(error) || error instanceof ServiceNotReadyError)
      throw asTransient('CreateTaskSet', error);
    const name = (error as Error).name;
    if (name === 'InvalidParameterException' || name === 'ClientException') {
      const balancer = request.loadBalancers?.[0];
      throw new InvalidInputError(
        `ECS refused the green task set (task definition ${request.taskDefinition}, container ` +
          `"${balancer?.containerName}" port ${balancer?.containerPort}, target group ${balancer?.targetGroupArn}): ` +
          `${describeError(error)}; check appspec.yaml's LoadBalancerInfo and the task definition`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Makes the task set the service's PRIMARY (full ARN), then describes the service's task sets to verify it. */
export async function makePrimary(ecs: EcsClient, ref: TaskSetRef): Promise<TaskSetInfo> {
  requireFullArn(ref.taskSetArn);
  const current = await describeTaskSet(ecs, ref);
  if (!current || current.status === 'DRAINING') {
    throw new ServiceNotReadyError(
      `task set ${ref.taskSetArn} of service "${ref.service}" is ${current ? 'draining' : 'gone'}; cannot make it primary`,
    );
  }
  if (current.status === 'PRIMARY') return current;

  await callEcs(`UpdateServicePrimaryTaskSet ${ref.taskSetArn}`, () =>
    awsJson(ecs, 'ecs:UpdateServicePrimaryTaskSet', {
      cluster: ref.cluster,
      service: ref.service,
      primaryTaskSet: ref.taskSetArn,
    }),
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
export async function deleteTaskSet(ecs: EcsClient, ref: TaskSetRef): Promise<{ deleted: boolean }> {
  requireFullArn(ref.taskSetArn);
  const current = await describeTaskSet(ecs, ref);
  if (!current || current.status === 'DRAINING') return { deleted: false };
  if (current.status === 'PRIMARY') {
    throw new ServiceNotReadyError(
      `task set ${ref.taskSetArn} is the PRIMARY of service "${ref.service}"; make another task set primary before deleting it`,
    );
  }
  try {
    await awsJson(ecs, 'ecs:DeleteTaskSet', {
      cluster: ref.cluster,
      service: ref.service,
      taskSet: ref.taskSetArn,
      force: true,
    });
    return { deleted: true };
  } catch (error) {
    // Deleted between the describe and the delete (a retry of this same call): the goal is reached.
    if (isTaskSetNotFound(error)) return { deleted: false };
    throw asTransient(`DeleteTaskSet ${ref.taskSetArn}`, error);
  }
}

function requireFullArn(taskSetArn: string): void {
  // UpdateServicePrimaryTaskSet accepts a short id too, but moto then changes nothing; one form everywhere.
  if (!TASK_SET_ARN.test(taskSetArn)) {
    throw new InvalidInputError(
      `"${taskSetArn}" is not a full task set ARN (arn:aws:ecs:<region>:<account>:task-set/<cluster>/<service>/<id>)`,
    );
  }
}

function isTaskSetNotFound(error: unknown): boolean {
  const { name, message } = error as Error;
  // ECS says TaskSetNotFoundException; moto says ClientException "The specified task set does not exist."
  return (
    name === 'TaskSetNotFoundException' ||
    (name === 'ClientException' && /task set does not exist/i.test(message))
  );
}

/** Runs one ECS read or write; missing cluster/service become ServiceNotReadyError, transient ones TransientAwsError. */
export async function callEcs<T>(what: string, send: () => Promise<T>): Promise<T> {
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
        { cause: error },
      );
    }
    throw asTransient(what, error);
  }
}
