/**
 * The stack's settings as `switchyard verify` and `switchyard diff` read them: the parameters of template.yaml,
 * taken from a deployed stack (`--stack`), a parameters file (`--parameters`) and `--parameter KEY=VALUE`, in that
 * order, over the template's defaults; and each value checked against the parameter's constraints as CloudFormation
 * checks them when the stack is created or updated
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html).
 */
import { readFileSync } from 'node:fs';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { type CfnValue, loadTemplate } from '../local/template';
import { nearestName } from './verify-options';

/** A parameter of template.yaml, as far as its checks go. */
interface ParameterSpec {
  Type?: string;
  Default?: CfnValue;
  AllowedPattern?: string;
  AllowedValues?: CfnValue[];
  MinValue?: number;
  MaxValue?: number;
  ConstraintDescription?: string;
}

/** The options that say where the settings come from (the usage text is PARAMETER_USAGE). */
export const PARAMETER_OPTIONS = {
  stack: { type: 'string' },
  parameters: { type: 'string' },
  parameter: { type: 'string', multiple: true },
} as const;

/** Usage text of PARAMETER_OPTIONS. */
export const PARAMETER_USAGE = `  --stack NAME             read the parameters of the deployed Switchyard stack (CloudFormation DescribeStacks)
  --parameters FILE        a JSON file of parameters: {"ClusterName": "web", ...} or CloudFormation's
                           [{"ParameterKey": "ClusterName", "ParameterValue": "web"}, ...] (before a deploy)
  --parameter KEY=VALUE    one parameter, over the stack's and the file's (repeatable)
The template.yaml defaults fill in the rest. AWS calls use the normal credential chain and region (AWS_REGION,
AWS_PROFILE), and go where AWS_ENDPOINT_URL points when it is set (an emulator).`;

/** The settings: each parameter's value (defaults applied) and where the values came from, for messages. */
export interface StackParameters {
  values: Record<string, string>;
  source: string;
}

function specs(): Record<string, ParameterSpec> {
  return (loadTemplate().Parameters ?? {}) as Record<string, ParameterSpec>;
}

function checkName(name: string, where: string, known: Record<string, ParameterSpec>): void {
  if (name in known) return;
  const nearest = nearestName(name, Object.keys(known));
  throw new InvalidInputError(
    `${where}: ${JSON.stringify(name)} is not a parameter of template.yaml` +
      `${nearest ? `: did you mean ${nearest}?` : ''} (its parameters: ${Object.keys(known).join(', ')})`,
  );
}

function fromFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError(`--parameters ${file}: cannot read the file (${reason})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`--parameters ${file}: not JSON (${(error as Error).message})`);
  }
  const expected = `expected {"ClusterName": "web", ...} or [{"ParameterKey": "ClusterName", "ParameterValue": "web"}, ...]`;
  if (Array.isArray(parsed)) {
    return Object.fromEntries(
      parsed.map((item, index) => {
        const entry = item as { ParameterKey?: unknown; ParameterValue?: unknown };
        if (typeof entry?.ParameterKey !== 'string' || typeof entry.ParameterValue !== 'string')
          throw new InvalidInputError(
            `--parameters ${file}: item ${index} has no string ParameterKey and ParameterValue; ${expected}`,
          );
        return [entry.ParameterKey, entry.ParameterValue];
      }),
    );
  }
  if (!parsed || typeof parsed !== 'object') throw new InvalidInputError(`--parameters ${file}: ${expected}`);
  return Object.fromEntries(
    Object.entries(parsed).map(([key, value]) => {
      if (typeof value === 'string') return [key, value];
      if (typeof value === 'number' || typeof value === 'boolean') return [key, String(value)];
      if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
        return [key, value.join(',')];
      throw new InvalidInputError(`--parameters ${file}: ${key} must be a string (or a list of strings)`);
    }),
  );
}

async function fromStack(
  cloudformation: CloudFormationClient,
  name: string,
): Promise<Record<string, string>> {
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    if (!/does not exist/.test(error instanceof Error ? error.message : String(error))) throw error;
  }
  if (!stack) {
    const region = await cloudformation.config.region().catch(() => 'the configured region');
    throw new InvalidInputError(
      `stack "${name}" does not exist in ${region}: check --stack (the name given to sam deploy) and AWS_REGION, ` +
        'or give the parameters with --parameters FILE before the stack is deployed',
    );
  }
  return Object.fromEntries(
    (stack.Parameters ?? []).map((p) => [p.ParameterKey ?? '', p.ResolvedValue ?? p.ParameterValue ?? '']),
  );
}

/** Reads the parameters from the options; every name must be one of template.yaml's. */
export async function readParameters(
  options: { stack?: string; parameters?: string; parameter?: string[] },
  cloudformation: CloudFormationClient,
): Promise<StackParameters> {
  if (!options.stack && !options.parameters && !options.parameter?.length) {
    throw new InvalidInputError(
      'say which settings to use: --stack NAME (a deployed stack), --parameters FILE or --parameter KEY=VALUE',
    );
  }
  const known = specs();
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(known)) {
    if (spec.Default !== undefined) values[name] = String(spec.Default);
  }
  const sources: string[] = [];
  if (options.stack) {
    Object.assign(values, await fromStack(cloudformation, options.stack));
    sources.push(`stack ${options.stack}`);
  }
  if (options.parameters) {
    const given = fromFile(options.parameters);
    for (const name of Object.keys(given)) checkName(name, `--parameters ${options.parameters}`, known);
    Object.assign(values, given);
    sources.push(options.parameters);
  }
  for (const pair of options.parameter ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new InvalidInputError(`--parameter ${pair}: expected KEY=VALUE, e.g. ClusterName=web`);
    checkName(pair.slice(0, at), `--parameter ${pair}`, known);
    values[pair.slice(0, at)] = pair.slice(at + 1);
  }
  if (options.parameter?.length) sources.push('--parameter');
  return { values, source: sources.join(', ') };
}

/** What is wrong with the values against template.yaml's constraints: one message per parameter, naming the fix. */
export function parameterProblems(values: Record<string, string>): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(specs())) {
    const value = values[name];
    const wanted = spec.ConstraintDescription ? ` (${spec.ConstraintDescription})` : '';
    if (value === undefined) {
      problems.push(`parameter ${name} is not set and has no default: give it${wanted}`);
      continue;
    }
    const shown = JSON.stringify(value);
    if (spec.Type === 'Number') {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) {
        problems.push(`parameter ${name} is ${shown}, not a number`);
        continue;
      }
      if (spec.MinValue !== undefined && number < spec.MinValue)
        problems.push(`parameter ${name} is ${value}, below its MinValue ${spec.MinValue}`);
      if (spec.MaxValue !== undefined && number > spec.MaxValue)
        problems.push(`parameter ${name} is ${value}, above its MaxValue ${spec.MaxValue}`);
    }
    const allowed = spec.AllowedValues?.map(String);
    if (allowed && !allowed.some((v) => (spec.Type === 'Number' ? Number(v) === Number(value) : v === value)))
      problems.push(`parameter ${name} is ${shown}: expected one of ${allowed.join(', ')}`);
    if (spec.AllowedPattern !== undefined && !new RegExp(`^(?:${spec.AllowedPattern})$`).test(value))
      problems.push(`parameter ${name} is ${shown}, which does not match its AllowedPattern${wanted}`);
  }
  return problems;
}

/**
 * What verify and diff start from: the checkout DIR (the one positional, default `.`), the Region of the AWS
 * configuration, and the stack's parameters read as readParameters does.
 */
export async function readStackSettings(
  command: string,
  positionals: string[],
  options: { stack?: string; parameters?: string; parameter?: string[] },
): Promise<{ dir: string; region: string; parameters: StackParameters }> {
  if (positionals.length > 1)
    throw new InvalidInputError(
      `one DIR at most, got ${positionals.join(' ')} (see switchyard ${command} --help)`,
    );
  const cloudformation = new CloudFormationClient({});
  try {
    const region = await cloudformation.config.region().catch(() => undefined);
    if (!region)
      throw new InvalidInputError('no AWS region: set AWS_REGION (or region in the config of AWS_PROFILE)');
    return { dir: positionals[0] ?? '.', region, parameters: await readParameters(options, cloudformation) };
  } finally {
    cloudformation.destroy();
  }
}
