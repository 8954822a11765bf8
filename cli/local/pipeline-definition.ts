/**
 * The state machine definition a local run executes, and what it is resolved against: the stack the run pretends
 * to be, the ARNs it gives the template's functions, and statemachine/pipeline.asl.json with the template's
 * DefinitionSubstitutions applied.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  type PipelineDefinition,
  PROJECT_ROOT,
  type ResolveContext,
  resolveValue,
  type SamTemplate,
} from './template';

/** The stack a local run pretends to be: names of what the template creates, and parameter values. */
export interface LocalStack {
  name: string;
  region: string;
  accountId: string;
  parameters: Record<string, string>;
  /** Physical name per logical id for the template's own resources (bucket, table, ...). */
  resources: Record<string, string>;
}

/** The ARN a function of the template has in the local stack; a Task state's Resource names it. */
export function functionArn(stack: LocalStack, logicalId: string): string {
  return `arn:aws:lambda:${stack.region}:${stack.accountId}:function:${stack.name}-${logicalId}`;
}

/** The resolve context of a local stack: functions get ARNs, other resources their given names. */
export function localResolveContext(template: SamTemplate, stack: LocalStack): ResolveContext {
  const attributes: Record<string, string> = {};
  const refs: Record<string, string> = { ...stack.resources };
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type === 'AWS::Serverless::Function') {
      attributes[`${logicalId}.Arn`] = functionArn(stack, logicalId);
      refs[logicalId] ??= `${stack.name}-${logicalId}`;
    }
  }
  for (const [logicalId, name] of Object.entries(stack.resources)) {
    attributes[`${logicalId}.Arn`] ??= `arn:aws:local:${stack.region}:${stack.accountId}:${name}`;
  }
  const parameters: Record<string, string | string[]> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    const value = stack.parameters[name] ?? parameter.Default;
    if (value === undefined) continue;
    const text = String(value);
    parameters[name] =
      parameter.Type === 'CommaDelimitedList' ? (text === '' ? [''] : text.split(',')) : text;
  }
  return {
    region: stack.region,
    accountId: stack.accountId,
    stackName: stack.name,
    parameters,
    refs,
    attributes,
    conditions: template.Conditions ?? {},
  };
}

/** The state machine definition with the template's DefinitionSubstitutions applied. */
export function renderDefinition(template: SamTemplate, ctx: ResolveContext): PipelineDefinition {
  const machine = Object.values(template.Resources).find((r) => r.Type === 'AWS::Serverless::StateMachine');
  const props = machine?.Properties;
  if (!props || typeof props.DefinitionUri !== 'string') {
    throw new Error('template.yaml: no AWS::Serverless::StateMachine with a DefinitionUri');
  }
  const substitutions = resolveValue(props.DefinitionSubstitutions ?? {}, ctx) as Record<string, string>;
  const text = readFileSync(resolve(PROJECT_ROOT, props.DefinitionUri), 'utf8').replace(
    /\$\{([A-Za-z0-9_]+)\}/g,
    (match, key: string) => {
      const value = substitutions[key];
      if (value === undefined)
        throw new Error(`${props.DefinitionUri}: ${match} has no DefinitionSubstitutions entry`);
      return value;
    },
  );
  return JSON.parse(text) as PipelineDefinition;
}
