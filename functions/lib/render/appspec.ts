/**
 * The AppSpec: CodeDeploy's ECS AppSpec (YAML or JSON, keys in any case) parsed into what CreateTaskSet and the
 * hooks need, and checked against the rendered task definition (the container and port exist, awsvpc for a
 * network configuration). Reading the document is appspec-document.ts's; the network, appspec-network.ts's; writing
 * the ARN, appspec-render.ts's.
 */
import type {
  CapacityProviderStrategyItem,
  NetworkConfiguration,
  RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { isMap, isNode, isSeq, type YAMLMap } from 'yaml';
import {
  type AppSpecEntry,
  type AppSpecSource,
  ensure,
  findKey,
  findTarget,
  keyOf,
  loadAppSpec,
} from './appspec-document';
import { type NetworkScope, parseNetwork } from './appspec-network';
import { HOOK_EVENTS, type HookEvent } from './hook-events';

export { HOOK_EVENTS, type HookEvent };

/** What the AppSpec asks of the deployment, with the field names of ECS CreateTaskSet. */
export interface ParsedAppSpec {
  containerName: string;
  containerPort: number;
  networkConfiguration?: NetworkConfiguration;
  platformVersion?: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Lambda function names or ARNs per event, in the AppSpec's order. */
  hooks: Partial<Record<HookEvent, string[]>>;
}

/** The parts of the rendered task definition that the AppSpec is checked against. */
export type AppSpecTaskDefinition = Pick<
  RegisterTaskDefinitionCommandInput,
  'family' | 'containerDefinitions' | 'networkMode'
>;

/** A name, `name:alias`, a partial ARN `123456789012:function:name` or a full Lambda function ARN. */
const LAMBDA_FUNCTION =
  /^(?:arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?[A-Za-z0-9_-]{1,64}(?::(?:\$LATEST|[A-Za-z0-9_-]{1,128}))?$/;

/**
 * Parses and checks the AppSpec against the task definition, and, given a scope, its network against the one the
 * stack allows (appspec-network.ts); throws InvalidInputError naming file, field and fix.
 */
export function parseAppSpec(
  text: string,
  file: string,
  taskDefinition: AppSpecTaskDefinition,
  scope?: NetworkScope,
): ParsedAppSpec {
  const source = loadAppSpec(text, file);
  const { properties, where } = findTarget(source);
  const lb = findKey(source, properties, 'LoadBalancerInfo', where);
  ensure(
    source,
    isMap(lb?.node),
    `${where} needs LoadBalancerInfo: {ContainerName: <container>, ContainerPort: <port>}`,
  );
  const name = findKey(source, lb.node, 'ContainerName', lb.where)?.data;
  const containers = taskDefinition.containerDefinitions ?? [];
  const container = containers.find((candidate) => candidate.name === name);
  ensure(
    source,
    typeof name === 'string' && container,
    `${lb.where}.ContainerName: container ${JSON.stringify(name)} is not in task definition "${taskDefinition.family}" (containers: ${containers.map((c) => c.name).join(', ')})`,
  );
  const portWhere = `${lb.where}.ContainerPort`;
  const port = integer(
    source,
    findKey(source, lb.node, 'ContainerPort', lb.where)?.data,
    portWhere,
    1,
    65535,
  );
  const ports = (container.portMappings ?? []).map((mapping) => mapping.containerPort);
  ensure(
    source,
    ports.includes(port),
    `${portWhere} is ${port}, not a containerPort of container "${name}" (portMappings: ${ports.join(', ') || 'none'}): add {"containerPort": ${port}} to its portMappings or fix the port`,
  );
  const parsed: ParsedAppSpec = { containerName: name, containerPort: port, hooks: parseHooks(source) };
  const network = findKey(source, properties, 'NetworkConfiguration', where);
  if (network?.data != null)
    parsed.networkConfiguration = parseNetwork(source, network, taskDefinition, scope);
  const platform = findKey(source, properties, 'PlatformVersion', where);
  if (platform?.data != null) {
    const version = platform.data;
    ensure(
      source,
      typeof version === 'string' || typeof version === 'number',
      `${platform.where} must be a version such as LATEST or 1.4.0`,
    );
    parsed.platformVersion = String(version);
  }
  const strategy = findKey(source, properties, 'CapacityProviderStrategy', where);
  if (strategy?.data != null) parsed.capacityProviderStrategy = parseStrategy(source, strategy);
  return parsed;
}

function integer(source: AppSpecSource, value: unknown, where: string, min: number, max: number): number {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  ensure(
    source,
    typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max,
    `${where} is ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`,
  );
  return number;
}

function parseStrategy(source: AppSpecSource, strategy: AppSpecEntry): CapacityProviderStrategyItem[] {
  const shape = 'must be a list of {CapacityProvider, Weight?, Base?}';
  ensure(source, isSeq(strategy.node) && strategy.node.items.length > 0, `${strategy.where} ${shape}`);
  return strategy.node.items.map((item, index) => {
    const where = `${strategy.where}[${index}]`;
    ensure(source, isMap(item), `${where} ${shape}`);
    const value = (key: string) => findKey(source, item, key, where)?.data;
    const capacityProvider = value('CapacityProvider');
    ensure(
      source,
      typeof capacityProvider === 'string' && capacityProvider,
      `${where}.CapacityProvider must name a capacity provider, e.g. FARGATE_SPOT`,
    );
    const parsed: CapacityProviderStrategyItem = { capacityProvider };
    if (value('Weight') != null) parsed.weight = integer(source, value('Weight'), `${where}.Weight`, 0, 1000);
    if (value('Base') != null) parsed.base = integer(source, value('Base'), `${where}.Base`, 0, 100000);
    return parsed;
  });
}

/** An EC2-style hook: `- location: scripts/x.sh` (with timeout, runas) instead of a Lambda function. */
function isScript(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(isScript);
  return (
    typeof value === 'object' && value !== null && Object.keys(value).some((key) => /^location$/i.test(key))
  );
}

function parseHooks(source: AppSpecSource): Partial<Record<HookEvent, string[]>> {
  const found = findKey(source, source.doc.contents as YAMLMap, 'Hooks', '');
  const hooks: Partial<Record<HookEvent, string[]>> = {};
  if (found?.data == null) return hooks;
  // CodeDeploy writes a list of one-entry maps; a plain map of events is accepted too.
  const list = isSeq(found.node);
  const items = isSeq(found.node) ? found.node.items : [found.node];
  items.forEach((item, index) => {
    const at = list ? `${found.where}[${index}]` : found.where;
    ensure(source, isMap(item), `${at} must be "<event>: <Lambda function name or ARN>"`);
    for (const pair of item.items) {
      const key = keyOf(pair);
      const event = HOOK_EVENTS.find((name) => name.toLowerCase() === key.toLowerCase());
      ensure(source, event, `${at}: unknown event "${key}" (valid events: ${HOOK_EVENTS.join(', ')})`);
      const value = isNode(pair.value) ? pair.value.toJS(source.doc) : pair.value;
      ensure(
        source,
        !isScript(value),
        `${at}.${key} runs a script ("location:"), as an EC2/on-premises AppSpec does: an ECS deployment calls Lambda functions, write "- ${event}: <function name or ARN>"`,
      );
      const functions: unknown = typeof value === 'string' ? [value] : value;
      ensure(
        source,
        Array.isArray(functions) &&
          functions.length > 0 &&
          functions.every((name) => typeof name === 'string' && LAMBDA_FUNCTION.test(name)),
        `${at}.${key} is ${JSON.stringify(value ?? null)}: expected a Lambda function name or ARN`,
      );
      hooks[event] = [...(hooks[event] ?? []), ...functions];
    }
  });
  return hooks;
}
