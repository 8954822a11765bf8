/**
 * An AppSpec as a document: YAML or JSON text loaded with every node's source range, keys looked up
 * case-insensitively as CodeDeploy does, the ECS target service found, and failures raised as InvalidInputError
 * prefixed with the file. What the AppSpec means is appspec.ts's; writing the ARN is appspec-render.ts's.
 */
import { type Document, isMap, isNode, isScalar, isSeq, type Pair, parseDocument, type YAMLMap } from 'yaml';
import { InvalidInputError } from '../shared/errors';
import { parseJson, stripBom } from '../shared/json';

/** A loaded AppSpec: its file name for messages, its text without a BOM, whether it is JSON, and the document. */
export interface AppSpecSource {
  file: string;
  text: string;
  json: boolean;
  doc: Document.Parsed;
}

/** A key found in a map: its node, its value as plain data (null when empty) and its path for messages. */
export interface AppSpecEntry {
  pair: Pair;
  node: unknown;
  data: unknown;
  where: string;
}

/** Loads the AppSpec text; a syntax error names the file (with line and column for JSON). */
export function loadAppSpec(text: string, file: string): AppSpecSource {
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

/** Throws InvalidInputError `<file>: <message>` unless `condition` holds. */
export function ensure(source: AppSpecSource, condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvalidInputError(`${source.file}: ${message}`);
}

/** A map key as text. */
export function keyOf(pair: Pair): string {
  return String(isScalar(pair.key) ? pair.key.value : pair.key);
}

/** The entry of `map` whose key matches case-insensitively, as AppSpec keys do; two such keys are ambiguous. */
export function findKey(
  source: AppSpecSource,
  map: YAMLMap,
  key: string,
  where: string,
): AppSpecEntry | undefined {
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

/** The Properties map of the one ECS target service under Resources, and its path for messages. */
export function findTarget(source: AppSpecSource): { properties: YAMLMap; where: string } {
  const root = source.doc.contents;
  const example = '"- TargetService: {Type: AWS::ECS::Service, Properties: …}"';
  ensure(source, isMap(root), 'expected an AppSpec with version, Resources and Hooks');
  const resources = findKey(source, root, 'Resources', '');
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
  const type = findKey(source, target, 'Type', where)?.data;
  ensure(
    source,
    type === undefined || type === 'AWS::ECS::Service',
    `${where}.Type is ${JSON.stringify(type)}: Switchyard deploys AWS::ECS::Service`,
  );
  const properties = findKey(source, target, 'Properties', where);
  ensure(
    source,
    isMap(properties?.node),
    `${where} needs a Properties map with TaskDefinition and LoadBalancerInfo`,
  );
  return { properties: properties.node, where: properties.where };
}
