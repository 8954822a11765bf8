/**
 * What the pipeline sees of an ECS task set: the fields it decides on, read out of ECS's TaskSet (its first load
 * balancer gives the target group and container), without the ones it never uses; and ECS's output shapes as the
 * JSON protocol sends them (shared/aws-json.ts AsJson: timestamps in epoch seconds, not the SDK's Dates).
 */
import type {
  CapacityProviderStrategyItem,
  NetworkConfiguration,
  Scale,
  TaskDefinition,
  TaskSet,
} from '@aws-sdk/client-ecs';
import type { AsJson } from '../shared/aws-json';

/** A task set as DescribeTaskSets and CreateTaskSet answer it (createdAt, updatedAt, stabilityStatusAt in seconds). */
export type EcsTaskSet = AsJson<TaskSet>;

/** A registered task definition as DescribeTaskDefinition answers it (registeredAt in epoch seconds). */
export type EcsTaskDefinition = AsJson<TaskDefinition>;

/** A task set's fields toTaskSetInfo reads: none is a timestamp, so the SDK's TaskSet (the CLI's) fits too. */
export type TaskSetFields = Omit<EcsTaskSet, 'createdAt' | 'updatedAt' | 'stabilityStatusAt'>;

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

/** Maps an ECS task set (as DescribeTaskSets or CreateTaskSet return it) to a TaskSetInfo; absent fields stay absent. */
export function toTaskSetInfo(set: TaskSetFields): TaskSetInfo {
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
