/**
 * Reads template.yaml the way SAM does for local work: CloudFormation short-form tags become their long form,
 * and a small resolver evaluates the intrinsics a local run needs (Ref, GetAtt, Sub, Join, If, Select, Split).
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import YAML, { type Tags } from 'yaml';

const INTRINSICS = [
  'Ref',
  'Condition',
  'GetAtt',
  'Sub',
  'Join',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Select',
  'Split',
  'FindInMap',
  'ImportValue',
  'Base64',
  'Cidr',
  'GetAZs',
] as const;

function cfnTags(): Tags {
  const tags: Tags = [];
  for (const fn of INTRINSICS) {
    const key = fn === 'Ref' || fn === 'Condition' ? fn : `Fn::${fn}`;
    tags.push({
      tag: `!${fn}`,
      resolve: (text: string) => ({ [key]: fn === 'GetAtt' ? text.split('.') : text }),
    });
    tags.push({ tag: `!${fn}`, collection: 'seq', resolve: (seq) => ({ [key]: seq.toJSON() }) });
    tags.push({ tag: `!${fn}`, collection: 'map', resolve: (map) => ({ [key]: map.toJSON() }) });
  }
  return tags;
}

/** A CloudFormation value after parsing: JSON with intrinsic objects still in it. */
export type CfnValue = null | boolean | number | string | CfnValue[] | { [key: string]: CfnValue };

/** A template resource. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, CfnValue>;
  Metadata?: Record<string, CfnValue>;
  Condition?: string;
}

/** The parts of a SAM template Switchyard reads. */
export interface SamTemplate {
  Parameters?: Record<string, { Type: string; Default?: CfnValue }>;
  Conditions?: Record<string, CfnValue>;
  Globals?: { Function?: Record<string, CfnValue> };
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, CfnValue>;
}

/** The repository root (where template.yaml lives). */
export const PROJECT_ROOT = resolve(__dirname, '../..');

/** Parses a SAM/CloudFormation template file with the short-form intrinsic tags. */
export function loadTemplate(path = resolve(PROJECT_ROOT, 'template.yaml')): SamTemplate {
  const parsed = YAML.parse(readFileSync(path, 'utf8'), { customTags: cfnTags() }) as SamTemplate;
  if (!parsed || typeof parsed !== 'object' || !parsed.Resources) {
    throw new Error(`${path} is not a CloudFormation template: it has no Resources section`);
  }
  return parsed;
}

/** What a local run knows about the stack: parameter values and the physical name and ARN of resources. */
export interface ResolveContext {
  region: string;
  accountId: string;
  stackName: string;
  /** Parameter values; a CommaDelimitedList is a list, as Ref returns it. */
  parameters: Record<string, string | string[]>;
  /** Physical id (what Ref returns) per logical id. */
  refs: Record<string, string>;
  /** `GetAtt` values per `LogicalId.Attribute`. */
  attributes: Record<string, string>;
  conditions?: Record<string, CfnValue>;
}

const NO_VALUE = Symbol('AWS::NoValue');
type Resolved = string | number | boolean | null | typeof NO_VALUE | Resolved[] | { [key: string]: Resolved };

function pseudo(name: string, ctx: ResolveContext): string | typeof NO_VALUE | undefined {
  switch (name) {
    case 'AWS::Region':
      return ctx.region;
    case 'AWS::AccountId':
      return ctx.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return ctx.stackName;
    case 'AWS::NoValue':
      return NO_VALUE;
    default:
      return undefined;
  }
}

function ref(name: string, ctx: ResolveContext): string | string[] | typeof NO_VALUE {
  const value = pseudo(name, ctx) ?? ctx.parameters[name] ?? ctx.refs[name];
  if (value === undefined)
    throw new Error(`template: cannot resolve Ref ${name} locally (no parameter or resource)`);
  return value;
}

function getAtt(logicalId: string, attribute: string, ctx: ResolveContext): string {
  const value = ctx.attributes[`${logicalId}.${attribute}`];
  if (value === undefined)
    throw new Error(`template: cannot resolve GetAtt ${logicalId}.${attribute} locally`);
  return value;
}

function asString(value: Resolved, what: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  throw new Error(`template: ${what} must resolve to a string, got ${JSON.stringify(value)}`);
}

function sub(text: string, vars: Record<string, Resolved>, ctx: ResolveContext): string {
  return text.replace(/\$\{([^}!][^}]*)\}/g, (_match, name: string) => {
    if (name in vars) return asString(vars[name] ?? null, `\${${name}}`);
    const dot = name.indexOf('.');
    if (dot > 0) return getAtt(name.slice(0, dot), name.slice(dot + 1), ctx);
    return asString(ref(name, ctx), `\${${name}}`);
  });
}

function condition(name: string, ctx: ResolveContext): boolean {
  const definition = ctx.conditions?.[name];
  if (definition === undefined) throw new Error(`template: unknown condition ${name}`);
  return resolveValue(definition, ctx) === true;
}

/** Evaluates intrinsics in a template value; `AWS::NoValue` removes the key or item. */
export function resolveValue(value: CfnValue, ctx: ResolveContext): Resolved {
  if (Array.isArray(value)) {
    return value.map((item) => resolveValue(item, ctx)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const arg = value[key] as CfnValue;
    switch (key) {
      case 'Ref':
        return ref(String(arg), ctx);
      case 'Condition':
        return condition(String(arg), ctx);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
        return getAtt(String(id), String(attribute), ctx);
      }
      case 'Fn::Sub': {
        if (typeof arg === 'string') return sub(arg, {}, ctx);
        const [text, vars] = arg as [string, Record<string, CfnValue>];
        const resolvedVars: Record<string, Resolved> = {};
        for (const [name, v] of Object.entries(vars ?? {})) resolvedVars[name] = resolveValue(v, ctx);
        return sub(text, resolvedVars, ctx);
      }
      case 'Fn::Join': {
        const [separator, items] = arg as [string, CfnValue];
        const list = resolveValue(items, ctx);
        if (!Array.isArray(list)) throw new Error('template: Fn::Join needs a list');
        return list.map((item) => asString(item, 'Fn::Join item')).join(separator);
      }
      case 'Fn::Select': {
        const [index, items] = arg as [CfnValue, CfnValue];
        const list = resolveValue(items, ctx);
        if (!Array.isArray(list)) throw new Error('template: Fn::Select needs a list');
        return list[Number(resolveValue(index, ctx))] ?? null;
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, CfnValue];
        return asString(resolveValue(text, ctx), 'Fn::Split source').split(separator);
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = arg as [string, CfnValue, CfnValue];
        return resolveValue(condition(name, ctx) ? whenTrue : whenFalse, ctx);
      }
      case 'Fn::Equals': {
        const [a, b] = (arg as CfnValue[]).map((item) => resolveValue(item, ctx));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !(resolveValue((arg as CfnValue[])[0] ?? null, ctx) === true);
      case 'Fn::And':
        return (arg as CfnValue[]).every((item) => resolveValue(item, ctx) === true);
      case 'Fn::Or':
        return (arg as CfnValue[]).some((item) => resolveValue(item, ctx) === true);
      default:
        if (key.startsWith('Fn::')) throw new Error(`template: ${key} is not supported locally`);
    }
  }
  const out: Record<string, Resolved> = {};
  for (const [key, item] of Object.entries(value)) {
    const resolved = resolveValue(item, ctx);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/** A Lambda function of the template, as `sam build` and `sam local invoke` see it. */
export interface TemplateFunction {
  logicalId: string;
  /** Absolute path of the esbuild entry point. */
  entryPoint: string;
  /** The handler file's base name and exported function, from `Handler: file.export`. */
  handlerFile: string;
  handlerExport: string;
  buildProperties: Record<string, CfnValue>;
  /** Environment variables (Globals merged with the function's), intrinsics unresolved. */
  environment: Record<string, CfnValue>;
  timeoutSeconds: number;
  memorySize: number;
}

function environmentOf(props: Record<string, CfnValue> | undefined): Record<string, CfnValue> {
  const env = props?.Environment as { Variables?: Record<string, CfnValue> } | undefined;
  return env?.Variables ?? {};
}

/** Lists the esbuild-built functions of a template in template order; `file` names the template in errors. */
export function templateFunctions(
  template: SamTemplate,
  root = PROJECT_ROOT,
  file = 'template.yaml',
): TemplateFunction[] {
  const globals = template.Globals?.Function ?? {};
  const functions: TemplateFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props = resource.Properties ?? {};
    const metadata = resource.Metadata ?? {};
    if (metadata.BuildMethod !== 'esbuild') {
      throw new Error(`${file}: ${logicalId} has no Metadata.BuildMethod esbuild; every function is bundled`);
    }
    const buildProperties = (metadata.BuildProperties ?? {}) as Record<string, CfnValue>;
    const entries = buildProperties.EntryPoints;
    if (!Array.isArray(entries) || entries.length !== 1 || typeof entries[0] !== 'string') {
      throw new Error(`${file}: ${logicalId} Metadata.BuildProperties.EntryPoints must list one file`);
    }
    const handler = String(props.Handler ?? globals.Handler ?? '');
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`${file}: ${logicalId} Handler "${handler}" must be <file>.<export>`);
    const codeUri = String(props.CodeUri ?? globals.CodeUri ?? '.');
    const entryBase = basename(entries[0]).replace(/\.[cm]?[jt]s$/, '');
    if (entryBase !== handler.slice(0, dot)) {
      // esbuild writes the bundle flat, named after the entry point: the Handler must name that file.
      throw new Error(
        `${file}: ${logicalId} Handler "${handler}" must be "${entryBase}.<export>" to match its entry point`,
      );
    }
    functions.push({
      logicalId,
      entryPoint: resolve(root, codeUri, entries[0]),
      handlerFile: handler.slice(0, dot),
      handlerExport: handler.slice(dot + 1),
      buildProperties,
      environment: { ...environmentOf(globals), ...environmentOf(props) },
      timeoutSeconds: Number(props.Timeout ?? globals.Timeout ?? 3),
      memorySize: Number(props.MemorySize ?? globals.MemorySize ?? 128),
    });
  }
  return functions;
}

/** A state of the ASL definition, as far as the local runner reads it. */
export interface PipelineState {
  Type: string;
  Resource?: string;
  Seconds?: number;
  Retry?: unknown[];
  Next?: string;
  [field: string]: unknown;
}

/** An ASL definition. */
export interface PipelineDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, PipelineState>;
}
