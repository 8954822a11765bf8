/**
 * The service's task sets and a task definition read from the command line, through the SDK's ECS client and so the
 * user's own credential chain (profiles, SSO), which functions/lib/deploy/task-sets.ts's signed requests (Lambda's
 * environment credentials) do not read. The same reads, the same errors and the same TaskSetInfo as the deploy
 * stage's: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskSets.html
 */
import {
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  type ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { callEcs, type ServiceTaskSets, serviceTaskSets } from '../../functions/lib/deploy/task-sets';

/** The service's PRIMARY task set (if any) and its other ACTIVE ones, as findTaskSets reads them. */
export async function findTaskSetsFromCli(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ServiceTaskSets> {
  const { taskSets = [] } = await callEcs(`task sets of service "${service}" in cluster "${cluster}"`, () =>
    ecs.send(new DescribeTaskSetsCommand({ cluster, service })),
  );
  return serviceTaskSets(taskSets);
}

/** The registered task definition, as describeTaskDefinition reads it (timestamps as the SDK's Dates). */
export async function describeTaskDefinitionFromCli(
  ecs: ECSClient,
  taskDefinition: string,
): Promise<TaskDefinition | undefined> {
  const out = await callEcs(`DescribeTaskDefinition ${taskDefinition}`, () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
  );
  return out.taskDefinition;
}
