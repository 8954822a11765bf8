/**
 * The AppSpec's NetworkConfiguration: read into CreateTaskSet's awsvpcConfiguration, and held to the network the
 * stack allows (AllowedSubnetIds, AllowedSecurityGroupIds, AllowPublicIp: workload-scope.ts). CodeDeploy takes any
 * subnets, security groups and public IP setting a commit names; a stack that sets these parameters refuses
 * anything else here, in Render, before the revision is registered.
 */
import type {
  AwsVpcConfiguration,
  NetworkConfiguration,
  RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { isMap, type YAMLMap } from 'yaml';
import { type AppSpecEntry, type AppSpecSource, ensure, findKey } from './appspec-document';
import { SCOPE_SETTINGS, type WorkloadScope } from './workload-scope';

/** What of the scope the AppSpec's network is held to. */
export type NetworkScope = Pick<WorkloadScope, 'subnets' | 'securityGroups' | 'allowPublicIp'>;

function ids(source: AppSpecSource, entry: AppSpecEntry | undefined, where: string, max: number): string[] {
  const value = entry?.data;
  ensure(
    source,
    Array.isArray(value) &&
      value.length > 0 &&
      value.length <= max &&
      value.every((v) => typeof v === 'string' && v),
    `${entry?.where ?? where} must be a list of 1 to ${max} ids, e.g. ["subnet-0abc", "subnet-0def"]`,
  );
  return value;
}

/** Reads NetworkConfiguration.AwsvpcConfiguration and checks it against the task definition and the stack. */
export function parseNetwork(
  source: AppSpecSource,
  network: AppSpecEntry,
  taskDefinition: Pick<RegisterTaskDefinitionCommandInput, 'family' | 'networkMode'>,
  scope?: NetworkScope,
): NetworkConfiguration {
  ensure(
    source,
    taskDefinition.networkMode === 'awsvpc',
    `${network.where} needs a task definition with "networkMode": "awsvpc"; "${taskDefinition.family}" has ${taskDefinition.networkMode ?? 'none (bridge)'}`,
  );
  const awsvpc = isMap(network.node)
    ? findKey(source, network.node, 'AwsvpcConfiguration', network.where)
    : undefined;
  ensure(
    source,
    isMap(awsvpc?.node),
    `${network.where} needs AwsvpcConfiguration: {Subnets: [...], SecurityGroups: [...]}`,
  );
  const field = (key: string) => findKey(source, awsvpc.node as YAMLMap, key, awsvpc.where);
  const subnets = field('Subnets');
  const config: AwsVpcConfiguration = {
    subnets: ids(source, subnets, `${awsvpc.where}.Subnets`, 16),
  };
  const groups = field('SecurityGroups');
  if (groups?.data != null) config.securityGroups = ids(source, groups, groups.where, 5);
  const publicIp = field('AssignPublicIp');
  if (publicIp?.data != null) {
    const assign = String(publicIp.data).toUpperCase();
    ensure(
      source,
      assign === 'ENABLED' || assign === 'DISABLED',
      `${publicIp.where} is ${JSON.stringify(publicIp.data)}: expected ENABLED or DISABLED`,
    );
    config.assignPublicIp = assign;
  }
  if (scope) {
    checkAllowed(source, config.subnets ?? [], subnets?.where ?? '', scope.subnets, SCOPE_SETTINGS.subnets);
    checkSecurityGroups(source, config, groups?.where ?? `${awsvpc.where}.SecurityGroups`, scope);
    ensure(
      source,
      scope.allowPublicIp || config.assignPublicIp !== 'ENABLED',
      `${publicIp?.where} is ENABLED, but stack parameter ${SCOPE_SETTINGS.allowPublicIp.parameter} is "false": ` +
        'write AssignPublicIp: DISABLED (or leave it out), or set AllowPublicIp to "true"',
    );
  }
  return { awsvpcConfiguration: config };
}

function checkAllowed(
  source: AppSpecSource,
  named: string[],
  where: string,
  allowed: string[],
  setting: { parameter: string },
): void {
  if (allowed.length === 0) return;
  const other = named.find((id) => !allowed.includes(id));
  ensure(
    source,
    other === undefined,
    `${where}[${named.indexOf(other ?? '')}] is ${JSON.stringify(other)}, which stack parameter ${setting.parameter} does not allow ` +
      `(allowed: ${allowed.join(', ')}): use only those, or add it to ${setting.parameter}`,
  );
}

/**
 * Without SecurityGroups ECS gives the tasks the VPC's default security group
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html), which an allow-list
 * did not name: so a stack with AllowedSecurityGroupIds needs the AppSpec to name its groups.
 */
function checkSecurityGroups(
  source: AppSpecSource,
  config: AwsVpcConfiguration,
  where: string,
  scope: NetworkScope,
): void {
  if (scope.securityGroups.length === 0) return;
  ensure(
    source,
    config.securityGroups !== undefined,
    `${where} is missing, so ECS would use the VPC's default security group, which stack parameter ` +
      `${SCOPE_SETTINGS.securityGroups.parameter} does not allow (allowed: ${scope.securityGroups.join(', ')}): name them in SecurityGroups`,
  );
  checkAllowed(source, config.securityGroups, where, scope.securityGroups, SCOPE_SETTINGS.securityGroups);
}
