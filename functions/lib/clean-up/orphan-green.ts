/**
 * A green task set the record does not know: CreateGreen's CreateTaskSet was applied but its answer was lost (or
 * the stopped task made it after the stop), so `green` never reached the record. It carries the deployment's
 * client token as its externalId (deploy/green-task-set.ts), which is how it is found.
 */
import { greenClientToken } from '../deploy/green-task-set';
import { type EcsClient, findTaskSets } from '../deploy/task-sets';

/** The ARN of the PRIMARY or ACTIVE task set of the service made for `deploymentId`, if there is one. */
export async function findOrphanGreen(
  ecs: EcsClient,
  service: { cluster: string; service: string },
  deploymentId: string,
): Promise<string | undefined> {
  const { primary, active } = await findTaskSets(ecs, service.cluster, service.service);
  const token = greenClientToken(deploymentId);
  return [...(primary ? [primary] : []), ...active].find((set) => set.externalId === token)?.arn;
}
