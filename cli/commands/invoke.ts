import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { invokeBundle, lambdaEnvironment } from '../local/invoke';
import { localResolveContext } from '../local/pipeline-definition';
import { samBuild } from '../local/sam-build';
import {
  type CfnValue,
  loadTemplate,
  type ResolveContext,
  resolveValue,
  type SamTemplate,
  type TemplateFunction,
  templateFunctions,
} from '../local/template';
import type { Command } from './types';

/** What `sam local invoke` resolves the pseudo parameters to when no stack exists. */
const LOCAL_STACK = { name: 'local', accountId: '123456789012' } as const;

/** The --env-vars file as `sam local invoke` reads it: `Parameters` for every function, else per logical id. */
type EnvVarsFile = Record<string, Record<string, string>>;

function readText(option: string, path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError(`${option} ${path}: cannot read the file (${reason})`);
  }
}

function readJson(option: string, path: string): unknown {
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

function functionName(template: SamTemplate, fn: TemplateFunction): string {
  const name = template.Resources[fn.logicalId]?.Properties?.FunctionName;
  return typeof name === 'string' ? name : fn.logicalId;
}

/** `switchyard invoke`: `sam local invoke` without Docker. */
export const invoke: Command = {
  summary: 'run one function of template.yaml with an event, as `sam local invoke` does (no Docker)',
  usage: `switchyard invoke <LogicalId> [--event FILE] [--env-vars FILE] [--parameter-overrides Name=Value ...]

Bundles the function as \`sam build\` does (esbuild, its BuildProperties) into a temporary directory and calls its
handler in a fresh Node.js process whose environment is the function's, as \`sam local invoke\` does:

  -e, --event FILE            the event (JSON); "-" reads it from stdin; without it the event is {}
  -n, --env-vars FILE         sam's format: {"Parameters": {"NAME": "value"}} sets NAME for every function,
                              {"<LogicalId>": {"NAME": "value"}} for one, and wins; only variables the template
                              declares for the function are set (the others are ignored, as sam ignores them)
  --parameter-overrides ...   template parameter values, Name=Value or ParameterKey=Name,ParameterValue=Value;
                              the others take their Default; one without a default that the environment
                              needs is an error naming it

Ref of a resource of the template gives its logical id, the pseudo parameters are sam's (account 123456789012,
stack "local", the region of AWS_REGION): set the real names in --env-vars. AWS calls go where AWS_ENDPOINT_URL
points (e.g. an emulator started with \`switchyard local --keep\`), with the credentials of this shell.

Output, as sam local invoke: the function's log on stderr, then its result as JSON on stdout; an error the
function throws is printed on stdout as {"errorType", "errorMessage", "trace"} and the exit status is 0 all the
same (sam's behaviour, aws/aws-sam-cli#1081): read stdout to tell. Exit status 1, with the reason on stderr,
when nothing could be invoked (unknown function, unreadable event, missing parameter).`,
  run: async (args) => {
    const { values, positionals } = parseArgs({
      args,
      options: {
        event: { type: 'string', short: 'e' },
        'env-vars': { type: 'string', short: 'n' },
        'parameter-overrides': { type: 'string', multiple: true },
      },
      strict: true,
      allowPositionals: true,
    });
    const template = loadTemplate();
    const functions = templateFunctions(template);
    const known = functions.map((f) => f.logicalId);
    if (positionals.length !== 1) {
      throw new InvalidInputError(
        `expected one function logical id, got ${positionals.length}. Possible options in your template: ${known.join(', ')}`,
      );
    }
    const id = positionals[0] ?? '';
    const fn = functions.find((candidate) => candidate.logicalId === id);
    if (!fn) {
      throw new InvalidInputError(
        `Function ${id} not found. Possible options in your template: ${known.join(', ')}`,
      );
    }
    const event = values.event === undefined ? {} : readJson('--event', values.event);
    const envVarsFile = values['env-vars'];
    const envVars = envVarsFile ? parseEnvVars(readJson('--env-vars', envVarsFile), envVarsFile) : {};
    const overrides = parseParameterOverrides(values['parameter-overrides'] ?? []);
    const unknown = Object.keys(overrides).filter((name) => !(name in (template.Parameters ?? {})));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `--parameter-overrides: template.yaml has no parameter ${unknown.join(', ')} (parameters: ${Object.keys(template.Parameters ?? {}).join(', ')})`,
      );
    }
    const resources: Record<string, string> = {};
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Serverless::Function') resources[logicalId] = logicalId;
    }
    const ctx = localResolveContext(template, {
      name: LOCAL_STACK.name,
      accountId: LOCAL_STACK.accountId,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      parameters: overrides,
      resources,
    });
    const { variables, ignored } = functionEnvironment({ template, fn, ctx, envVars });
    for (const name of ignored) {
      process.stderr.write(
        `--env-vars: ${id}.${name} is not an environment variable of ${id} in template.yaml, so it is not set (sam ignores it too)\n`,
      );
    }

    const outDir = mkdtempSync(join(tmpdir(), 'switchyard-invoke-'));
    try {
      const [built] = await samBuild({ only: [id], outDir });
      if (!built) throw new Error(`bundling ${id} produced nothing`);
      const name = functionName(template, fn);
      process.stderr.write(`Invoking ${fn.handlerFile}.${fn.handlerExport} (${id}, ${built.bundle})\n`);
      process.stderr.write(`START ${name} Version: $LATEST\n`);
      const out = await invokeBundle({
        bundle: built.bundle,
        handlerExport: built.handlerExport,
        functionName: name,
        event,
        timeoutSeconds: fn.timeoutSeconds,
        env: lambdaEnvironment({
          functionName: name,
          memorySize: fn.memorySize,
          variables,
          overrides: { AWS_SAM_LOCAL: 'true' },
        }),
      });
      if (out.log) process.stderr.write(out.log.endsWith('\n') ? out.log : `${out.log}\n`);
      process.stderr.write(`END ${name}\n`);
      process.stderr.write(
        `REPORT ${name}\tDuration: ${out.durationMs} ms\tMemory Size: ${fn.memorySize} MB\tTimeout: ${fn.timeoutSeconds} s\n`,
      );
      process.stdout.write(`${JSON.stringify(out.ok ? out.result : out.error)}\n`);
      return 0;
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  },
};
