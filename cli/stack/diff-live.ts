/**
 * The live side of `switchyard diff`: the task definition of the service's PRIMARY task set (DescribeServices,
 * DescribeTaskSets, DescribeTaskDefinition), brought to the shape of a rendered one. ECS answers with fields it
 * sets itself (taskDefinitionArn, revision, status, requiresAttributes, compatibilities, registeredAt/By) and with
 * the defaults of what the registration left out (a container's cpu 0 and essential true, a port mapping's
 * protocol tcp and, in awsvpc mode, hostPort equal to containerPort; empty lists): those are left out where the
 * rendered task definition does not name them, so the diff shows only what a deployment would change
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html).
 */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { registerableTaskDefinition } from '../../functions/lib/render/register-input';
import { cleanTaskDefinition } from '../../functions/lib/render/task-definition-cleanup';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { isJsonObject, type JsonObject } from '../../functions/lib/shared/json';
import { describeTaskDefinitionFromCli, findTaskSetsFromCli } from './task-sets-from-cli';

/** The live task definition, or none when the service has no PRIMARY task set yet (nothing deployed). */
export interface LiveTaskDefinition {
  arn?: string;
  taskDefinition?: JsonObject;
}

/** Reads the task definition the service's PRIMARY task set runs. */
export async function readLiveTaskDefinition(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<LiveTaskDefinition> {
  const where = `service ${service} in cluster ${cluster}`;
  const { services, failures } = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [service] }),
  );
  const found = services?.[0];
  if (found?.status !== 'ACTIVE')
    throw new InvalidInputError(
      `${where} ${found ? `is ${found.status}` : `was not found (${failures?.[0]?.reason ?? 'not returned'})`}: ` +
        'check ClusterName, ServiceName and AWS_REGION (switchyard verify checks them all)',
    );
  const { primary } = await findTaskSetsFromCli(ecs, cluster, service);
  if (!primary) return {};
  const live = await describeTaskDefinitionFromCli(ecs, primary.taskDefinition);
  if (!live) throw new InvalidInputError(`DescribeTaskDefinition ${primary.taskDefinition} returned nothing`);
  return { arn: primary.taskDefinition, taskDefinition: live as unknown as JsonObject };
}

/** Defaults ECS reports for a container field the registration left out. */
const CONTAINER_DEFAULTS: Record<string, unknown> = { cpu: 0, essential: true };
/** Defaults ECS reports at the task level. */
const TASK_DEFAULTS: Record<string, unknown> = { enableFaultInjection: false };

function dropDefaults(live: JsonObject, rendered: JsonObject | undefined, defaults: Record<string, unknown>) {
  for (const [key, value] of Object.entries(defaults)) {
    if (live[key] === value && !(rendered && key in rendered)) delete live[key];
  }
}

function normalisePorts(live: JsonObject, rendered: JsonObject | undefined, awsvpc: boolean): void {
  const ports = live.portMappings;
  if (!Array.isArray(ports)) return;
  const wanted = Array.isArray(rendered?.portMappings) ? rendered.portMappings : [];
  ports.forEach((port, index) => {
    if (!isJsonObject(port)) return;
    const asked = isJsonObject(wanted[index]) ? wanted[index] : undefined;
    if (port.protocol === 'tcp' && !(asked && 'protocol' in asked)) delete port.protocol;
    if (awsvpc && port.hostPort === port.containerPort && !(asked && 'hostPort' in asked))
      delete port.hostPort;
  });
}

/**
 * The live task definition as a rendered one would read: only the fields RegisterTaskDefinition takes, without
 * empty values, and without the defaults ECS filled in where `rendered` does not name them.
 */
export function normaliseLive(live: JsonObject, rendered: JsonObject): JsonObject {
  const out = registerableTaskDefinition(cleanTaskDefinition(live)).input;
  dropDefaults(out, rendered, TASK_DEFAULTS);
  const awsvpc = out.networkMode === 'awsvpc';
  const wanted = Array.isArray(rendered.containerDefinitions) ? rendered.containerDefinitions : [];
  const containers = Array.isArray(out.containerDefinitions) ? out.containerDefinitions : [];
  for (const container of containers) {
    if (!isJsonObject(container)) continue;
    const match = wanted.find((item) => isJsonObject(item) && item.name === container.name);
    const asked = isJsonObject(match) ? match : undefined;
    dropDefaults(container, asked, CONTAINER_DEFAULTS);
    normalisePorts(container, asked, awsvpc);
  }
  return out;
}
