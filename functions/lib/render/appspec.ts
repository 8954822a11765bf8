/**
 * The AppSpec: CodeDeploy's ECS AppSpec (YAML or JSON, keys in any case) parsed into what CreateTaskSet
 * and the hooks need, and rendered with the registered task definition's ARN and nothing else changed.
 */
import type {
  CapacityProviderStrategyItem,
  NetworkConfiguration,
  RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import {
  type Document,
  isMap,
  isNode,
  isScalar,
  isSeq,
  type Pair,
  parseDocument,
  parse as parseYaml,
  type YAMLMap,
} from 'yaml';
import { InvalidInputError } from '../shared/errors';
import { parseJson, stripBom } from './task-definition';

/** The lifecycle events of an ECS deployment that can run a hook, in the order they happen. */
export const HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

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

interface Source {
  file: string;
  text: string;
  json: boolean;
  doc: Document.Parsed;
}

/** A key found in a map: its node, its value as plain data (null when empty) and its path for messages. */
interface Entry {
  pair: Pair;
  node: unknown;
  data: unknown;
  where: string;
}

/** Parses and checks the AppSpec against the task definition; throws InvalidInputError naming file, field and fix. */
export function parseAppSpec(
  text: string,
  file: string,
  taskDefinition: AppSpecTaskDefinition,
): ParsedAppSpec {
  const source = load(text, file);
  const { properties, where } = findTarget(source);
  const lb = get(source, properties, 'LoadBalancerInfo', where);
  ensure(
    source,
    isMap(lb?.node),
    `${where} needs LoadBalancerInfo: {ContainerName: <container>, ContainerPort: <port>}`,
  );
  const name = get(source, lb.node, 'ContainerName', lb.where)?.data;
  const containers = taskDefinition.containerDefinitions ?? [];
  const container = containers.find((candidate) => candidate.name === name);
  ensure(
    source,
    typeof name === 'string' && container,
    `${lb.where}.ContainerName: container ${JSON.stringify(name)} is not in task definition "${taskDefinition.family}" (containers: ${containers.map((c) => c.name).join(', ')})`,
  );
  const portWhere = `${lb.where}.ContainerPort`;
  const port = integer(source, get(source, lb.node, 'ContainerPort', lb.where)?.data, portWhere, 1, 65535);
  const ports = (container.portMappings ?? []).map((mapping) => mapping.containerPort);
  ensure(
    source,
    ports.includes(port),
    `${portWhere} is ${port}, not a containerPort of container "${name}" (portMappings: ${ports.join(', ') || 'none'}): add {"containerPort": ${port}} to its portMappings or fix the port`,
  );
  const parsed: ParsedAppSpec = { containerName: name, containerPort: port, hooks: parseHooks(source) };
  const network = get(source, properties, 'NetworkConfiguration', where);
  if (network?.data != null) parsed.networkConfiguration = parseNetwork(source, network, taskDefinition);
  const platform = get(source, properties, 'PlatformVersion', where);
  if (platform?.data != null) {
    const version = platform.data;
    ensure(
      source,
      typeof version === 'string' || typeof version === 'number',
      `${platform.where} must be a version such as LATEST or 1.4.0`,
    );
    parsed.platformVersion = String(version);
  }
  const strategy = get(source, properties, 'CapacityProviderStrategy', where);
  if (strategy?.data != null) parsed.capacityProviderStrategy = parseStrategy(source, strategy);
  return parsed;
}

/** The AppSpec text with TaskDefinition set to the ARN; comments, order and every other byte are kept. */
export function renderAppSpec(text: string, file: string, taskDefinitionArn: string): string {
  const source = load(text, file);
  const { properties, where } = findTarget(source);
  const found = get(source, properties, 'TaskDefinition', where);
  ensure(
    source,
    found,
    `${where} has no TaskDefinition: add "TaskDefinition: <TASK_DEFINITION>", Switchyard writes the ARN there`,
  );
  const node = found.node;
  ensure(
    source,
    isScalar(node) && node.range,
    `${found.where} must be a single value such as <TASK_DEFINITION>`,
  );
  // Splicing the value's source range keeps the rest of the text exactly; re-serialising the document would
  // re-indent lists, reflow flow collections and lose the comment that sat on the old value.
  const [start, end] = node.range;
  let value = scalar(taskDefinitionArn, source.json ? 'QUOTE_DOUBLE' : node.type);
  if (start === end) value = ` ${value}`;
  if (source.text.slice(start, end).endsWith('\n')) value += '\n';
  return source.text.slice(0, start) + value + source.text.slice(end);
}

function scalar(value: string, type: string | undefined): string {
  if (type === 'QUOTE_SINGLE') return `'${value.replaceAll("'", "''")}'`;
  const plain =
    type !== 'QUOTE_DOUBLE' && /^[A-Za-z<][\w:/.<>@+=-]*$/.test(value) && parseYaml(value) === value;
  return plain ? value : JSON.stringify(value);
}

function load(text: string, file: string): Source {
  const body = stripBom(text);
  // A .json file gets JSON's errors (line and column); text like JSON in a .yaml file may be YAML flow style.
  // Either way the YAML parser then gives every node its source range.
  let json = /\.json$/i.test(file);
  if (json) parseJson(body, file);
  else if (/^\s*[{[]/.test(body)) json = isJson(body);
  const doc = parseDocument(body);
  const error = doc.errors[0]?.message.split('\n')[0]?.replace(/:$/, '');
  if (error) throw new InvalidInputError(`${file}: not valid YAML: ${error}`);
  return { file, text: body, json, doc };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function ensure(source: Source, condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvalidInputError(`${source.file}: ${message}`);
}

function keyOf(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** The entry of `map` whose key matches case-insensitively, as AppSpec keys do; two such keys are ambiguous. */
function get(source: Source, map: YAMLMap, key: string, where: string): Entry | undefined {
  const matches = map.items.filter((pair) => keyOf(pair).toLowerCase() === key.toLowerCase());
  ensure(
    source,
    matches.length < 2,
    `${where || 'the top level'} has ${matches.map(keyOf).join(' and ')}: keep one ${key}`,
  );
  const pair = matches[0];
  if (!pair) return undefined;
  const data = isNode(pair.value) ? pair.value.toJS(source.doc) : pair.value;
  return {
    pair,
    node: pair.value,
    data: data ?? null,
    where: where ? `${where}.${keyOf(pair)}` : keyOf(pair),
  };
}

function findTarget(source: Source): { properties: YAMLMap; where: string } {
  const root = source.doc.contents;
  const example = '"- TargetService: {Type: AWS::ECS::Service, Properties: …}"';
  ensure(source, isMap(root), 'expected an AppSpec with version, Resources and Hooks');
  const resources = get(source, root, 'Resources', '');
  ensure(source, isSeq(resources?.node), `Resources must be a list holding the ECS service: ${example}`);
  const items = resources.node.items;
  const names = items.map((item) => (isMap(item) ? item.items.map(keyOf).join('+') : '?'));
  ensure(
    source,
    items.length === 1,
    `${resources.where} lists ${items.length} resources (${names.join(', ')}): an ECS AppSpec has exactly one target service with LoadBalancerInfo`,
  );
  const item = items[0];
  const entry = isMap(item) && item.items.length === 1 ? item.items[0] : undefined;
  ensure(source, entry && isMap(entry.value), `${resources.where}[0] must be one named resource: ${example}`);
  const target = entry.value as YAMLMap;
  const where = `${resources.where}[0].${keyOf(entry)}`;
  const type = get(source, target, 'Type', where)?.data;
  ensure(
    source,
    type === undefined || type === 'AWS::ECS::Service',
    `${where}.Type is ${JSON.stringify(type)}: Switchyard deploys AWS::ECS::Service`,
  );
  const properties = get(source, target, 'Properties', where);
  ensure(
    source,
    isMap(properties?.node),
    `${where} needs a Properties map with TaskDefinition and LoadBalancerInfo`,
  );
  return { properties: properties.node, where: properties.where };
}

function integer(source: Source, value: unknown, where: string, min: number, max: number): number {
  const number = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : value;
  ensure(
    source,
    typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max,
    `${where} is ${JSON.stringify(value)}: expected a whole number from ${min} to ${max}`,
  );
  return number;
}

function ids(source: Source, entry: Entry | undefined, where: string, max: number): string[] {
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

function parseNetwork(
  source: Source,
  network: Entry,
  taskDefinition: AppSpecTaskDefinition,
): NetworkConfiguration {
  ensure(
    source,
    taskDefinition.networkMode === 'awsvpc',
    `${network.where} needs a task definition with "networkMode": "awsvpc"; "${taskDefinition.family}" has ${taskDefinition.networkMode ?? 'none (bridge)'}`,
  );
  const awsvpc = isMap(network.node)
    ? get(source, network.node, 'AwsvpcConfiguration', network.where)
    : undefined;
  ensure(
    source,
    isMap(awsvpc?.node),
    `${network.where} needs AwsvpcConfiguration: {Subnets: [...], SecurityGroups: [...]}`,
  );
  const field = (key: string) => get(source, awsvpc.node as YAMLMap, key, awsvpc.where);
  const config: NetworkConfiguration['awsvpcConfiguration'] = {
    subnets: ids(source, field('Subnets'), `${awsvpc.where}.Subnets`, 16),
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
  return { awsvpcConfiguration: config };
}

function parseStrategy(source: Source, strategy: Entry): CapacityProviderStrategyItem[] {
  const shape = 'must be a list of {CapacityProvider, Weight?, Base?}';
  ensure(source, isSeq(strategy.node) && strategy.node.items.length > 0, `${strategy.where} ${shape}`);
  return strategy.node.items.map((item, index) => {
    const where = `${strategy.where}[${index}]`;
    ensure(source, isMap(item), `${where} ${shape}`);
    const value = (key: string) => get(source, item, key, where)?.data;
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

function parseHooks(source: Source): Partial<Record<HookEvent, string[]>> {
  const found = get(source, source.doc.contents as YAMLMap, 'Hooks', '');
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
