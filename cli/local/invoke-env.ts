/**
 * The environment `sam local invoke` gives a function: the template's variables resolved with the parameter
 * values (--parameter-overrides, else their defaults), then the --env-vars file on top, in SAM's format:
 * `{"Parameters": {...}}` for every function, `{"<LogicalId>": {...}}` for one, which wins; only the variables the
 * template declares for the function are set.
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-invoke.html
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import {
  type CfnValue,
  type ResolveContext,
  resolveValue,
  type SamTemplate,
  type TemplateFunction,
} from './template';

/** The --env-vars file as `sam local invoke` reads it: `Parameters` for every function, else per logical id. */
export type EnvVarsFile = Record<string, Record<string, string>>;

function readText(option: string, path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError(`${option} ${path}: cannot read the file (${reason})`);
  }
}

export function readJson(option: string, path: string): unknown {
  const text = readText(option, path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${option} ${path}: not valid JSON (${(error as Error).message})`);
  }
}

/** Reads the env-vars file; values become strings, as sam passes them. */
export function parseEnvVars(value: unknown, file: string): EnvVarsFile {
  const shape = `expected {"Parameters": {"NAME": "value"}, "<LogicalId>": {"NAME": "value"}}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`--env-vars ${file}: ${shape}`);
  }
  const out: EnvVarsFile = {};
  for (const [section, variables] of Object.entries(value)) {
    if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) {
      throw new InvalidInputError(
        `--env-vars ${file}: "${section}" must be an object of variables; ${shape}`,
      );
    }
    out[section] = {};
    for (const [name, raw] of Object.entries(variables)) {
      if (raw !== null && typeof raw === 'object') {
        throw new InvalidInputError(
          `--env-vars ${file}: ${section}.${name} must be a string, number or boolean, not ${JSON.stringify(raw)}`,
        );
      }
      out[section][name] = raw === null ? '' : String(raw);
    }
  }
  return out;
}

/** `--parameter-overrides` as sam takes it: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`, space-separated. */
export function parseParameterOverrides(specs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of specs.flatMap((spec) => spec.split(/\s+/)).filter(Boolean)) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(token);
    const short = /^([A-Za-z0-9]+)=(.*)$/.exec(token);
    const match = long ?? short;
    if (!match) {
      throw new InvalidInputError(
        `--parameter-overrides ${token}: expected Name=Value or ParameterKey=Name,ParameterValue=Value`,
      );
    }
    out[match[1] ?? ''] = match[2] ?? '';
  }
  return out;
}

/** Names of template parameters a value refers to (Ref, ${Name} in Fn::Sub, through conditions). */
function referencedParameters(value: CfnValue, template: SamTemplate, seen = new Set<string>()): Set<string> {
  const found = new Set<string>();
  const parameters = template.Parameters ?? {};
  const add = (name: string) => {
    if (name in parameters) found.add(name);
  };
  const walk = (node: CfnValue): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [key, arg] of Object.entries(node)) {
      if (key === 'Ref' && typeof arg === 'string') add(arg);
      else if (key === 'Fn::Sub') {
        const [text, vars] =
          typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, CfnValue>]);
        for (const [, name = ''] of String(text).matchAll(/\$\{([^}!.][^}.]*)\}/g)) {
          if (!(name in (vars ?? {}))) add(name);
        }
        walk((vars ?? {}) as CfnValue);
      } else if (key === 'Condition' || key === 'Fn::If') {
        const name = key === 'Condition' ? String(arg) : String((arg as CfnValue[])[0]);
        const definition = template.Conditions?.[name];
        if (definition !== undefined && !seen.has(name)) {
          seen.add(name);
          for (const p of referencedParameters(definition, template, seen)) found.add(p);
        }
        if (key === 'Fn::If') walk((arg as CfnValue[]).slice(1));
      } else walk(arg);
    }
  };
  walk(value);
  return found;
}

/** The function's environment: the template's variables resolved, with the env-vars file's values on top. */
export function functionEnvironment(options: {
  template: SamTemplate;
  fn: TemplateFunction;
  ctx: ResolveContext;
  envVars: EnvVarsFile;
}): { variables: Record<string, string>; ignored: string[] } {
  const { template, fn, ctx, envVars } = options;
  const own = envVars[fn.logicalId] ?? {};
  const global = envVars.Parameters ?? {};
  const variables: Record<string, string> = {};
  const missing = new Map<string, string[]>();
  for (const [name, value] of Object.entries(fn.environment)) {
    // As sam: a function's own entry wins over Parameters, and either replaces the template's value.
    const override = own[name] ?? global[name];
    if (override !== undefined) {
      variables[name] = override;
      continue;
    }
    const unset = [...referencedParameters(value, template)].filter((p) => ctx.parameters[p] === undefined);
    if (unset.length > 0) {
      for (const parameter of unset) missing.set(parameter, [...(missing.get(parameter) ?? []), name]);
      continue;
    }
    let resolved: ReturnType<typeof resolveValue>;
    try {
      resolved = resolveValue(value, ctx);
    } catch (error) {
      throw new InvalidInputError(
        `${fn.logicalId}: environment variable ${name}: ${(error as Error).message}; set it in the --env-vars file: {"${fn.logicalId}": {"${name}": "<value>"}}`,
      );
    }
    if (resolved !== null && typeof resolved === 'object') {
      throw new InvalidInputError(
        `${fn.logicalId}: environment variable ${name} resolves to ${JSON.stringify(resolved)}, not a string; set it in the --env-vars file: {"${fn.logicalId}": {"${name}": "<value>"}}`,
      );
    }
    variables[name] = resolved === null ? '' : String(resolved);
  }
  if (missing.size > 0) {
    const list = [...missing].map(([parameter, names]) => `${parameter} (for ${names.join(', ')})`);
    const [first] = missing;
    const [parameter, [variable] = []] = first ?? ['', []];
    throw new InvalidInputError(
      `${fn.logicalId}'s environment needs template parameters that have no default: ${list.join('; ')}. ` +
        `Give each a value with --parameter-overrides (e.g. --parameter-overrides ${parameter}=<value>), or set the ` +
        `variable in the --env-vars file, as sam local invoke reads it: {"Parameters": {"${variable}": "<value>"}} ` +
        `for every function, or {"${fn.logicalId}": {"${variable}": "<value>"}} for this one`,
    );
  }
  const ignored = Object.keys(own).filter((name) => !(name in fn.environment));
  return { variables, ignored };
}

/** Sections of the env-vars file that set nothing: neither `Parameters` nor a function of the template. */
export function unusedSections(envVars: EnvVarsFile, functions: string[]): string[] {
  return Object.keys(envVars).filter((section) => section !== 'Parameters' && !functions.includes(section));
}
