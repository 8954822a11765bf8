/**
 * What of a task definition ECS registers: only the fields RegisterTaskDefinition knows, read from the AWS SDK's
 * own model of the request (the schema the SDK serialises with), at every depth. The SDK would silently leave an
 * unknown field out of the request; CodePipeline's ECS blue/green action skips it too. Here it is dropped as well,
 * so the rendered task definition is exactly what ECS will register, and each dropped field is reported with
 * where it was and, when one is near, the field that was probably meant (`environmentFiles` at the task level
 * belongs in `containerDefinitions[].environmentFiles`).
 */
import { RegisterTaskDefinitionRequest$ } from '@aws-sdk/client-ecs';
import { isJsonObject, type JsonObject } from '../shared/json';

/** A field RegisterTaskDefinition does not know. */
export interface DroppedField {
  /** Where it was, e.g. `containerDefinitions[0].portMapping`. */
  path: string;
  /** A field of the request that was probably meant, e.g. `containerDefinitions[].portMappings`. */
  suggestion?: string;
}

// The SDK's schema: a structure is [3, namespace, name, traits, memberNames, memberSchemas], a list
// [1, namespace, name, traits, member], a map [2, namespace, name, traits, key, value]; a member is a schema, a
// function returning one, or [function, traits]; a number is a simple type (64|t: a list of t, 128|t: a map of t).
type Schema = number | (() => Schema) | readonly unknown[];
type Node =
  | { kind: 'structure'; members: Map<string, Schema> }
  | { kind: 'list' | 'map'; item: Schema }
  | { kind: 'simple' };

function node(schema: Schema): Node {
  let current: unknown = schema;
  for (;;) {
    if (typeof current === 'function') current = (current as () => Schema)();
    else if (Array.isArray(current) && typeof current[0] === 'function') current = current[0];
    else break;
  }
  if (typeof current === 'number') {
    if (current & 64) return { kind: 'list', item: current & ~64 };
    if (current & 128) return { kind: 'map', item: current & ~128 };
    return { kind: 'simple' };
  }
  const parts = current as readonly unknown[];
  if (parts[0] === 3) {
    const names = parts[4] as readonly string[];
    const members = parts[5] as readonly Schema[];
    return { kind: 'structure', members: new Map(names.map((name, index) => [name, members[index] ?? 0])) };
  }
  if (parts[0] === 1) return { kind: 'list', item: parts[4] as Schema };
  if (parts[0] === 2) return { kind: 'map', item: parts[5] as Schema };
  return { kind: 'simple' };
}

const REQUEST = RegisterTaskDefinitionRequest$ as unknown as Schema;

/** Every field path of the request (`containerDefinitions[].environmentFiles`), by field name. */
function fieldPaths(): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const seen = new Set<Schema>();
  const walk = (schema: Schema, prefix: string, depth: number): void => {
    const current = node(schema);
    if (current.kind === 'list' || current.kind === 'map') {
      walk(current.item, `${prefix}${current.kind === 'list' ? '[]' : '{}'}`, depth);
      return;
    }
    if (current.kind !== 'structure' || depth > 6) return;
    for (const [name, member] of current.members) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      byName.set(name, [...(byName.get(name) ?? []), path]);
      if (!seen.has(member)) {
        seen.add(member);
        walk(member, path, depth + 1);
      }
    }
  };
  walk(REQUEST, '', 0);
  return byName;
}

let paths: Map<string, string[]> | undefined;

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The field probably meant: the same name elsewhere in the request, else a near name at the same level. */
function suggest(key: string, siblings: string[], parent: string): string | undefined {
  paths ??= fieldPaths();
  const elsewhere = paths.get(key);
  if (elsewhere?.length) return elsewhere[0];
  const near = siblings
    .map((name) => ({ name, cost: distance(key.toLowerCase(), name.toLowerCase()) }))
    .filter(({ cost }) => cost <= Math.max(2, Math.floor(key.length / 4)))
    .sort((a, b) => a.cost - b.cost)[0];
  return near ? (parent === '' ? near.name : `${parent}.${near.name}`) : undefined;
}

function keep(value: unknown, schema: Schema, path: string, dropped: DroppedField[]): unknown {
  const current = node(schema);
  if (current.kind === 'list' && Array.isArray(value))
    return value.map((item, index) => keep(item, current.item, `${path}[${index}]`, dropped));
  if (current.kind === 'map' && isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value))
      out[key] = keep(item, current.item, `${path}.${key}`, dropped);
    return out;
  }
  if (current.kind !== 'structure' || !isJsonObject(value)) return value;
  const out: JsonObject = {};
  const siblings = [...current.members.keys()];
  for (const [key, item] of Object.entries(value)) {
    const member = current.members.get(key);
    const where = path === '' ? key : `${path}.${key}`;
    if (member === undefined) {
      const suggestion = suggest(key, siblings, path.replace(/\[\d+\]/g, '[]'));
      dropped.push({ path: where, ...(suggestion ? { suggestion } : {}) });
      continue;
    }
    out[key] = keep(item, member, where, dropped);
  }
  return out;
}

/** The task definition with only the fields RegisterTaskDefinition knows, and the fields it dropped. */
export function registerableTaskDefinition(taskdef: JsonObject): {
  input: JsonObject;
  dropped: DroppedField[];
} {
  const dropped: DroppedField[] = [];
  const input = keep(taskdef, REQUEST, '', dropped) as JsonObject;
  return { input, dropped };
}
