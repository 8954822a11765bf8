/**
 * Runs statemachine/pipeline.asl.json in-process with aws-local-stepfunctions: DefinitionSubstitutions from
 * template.yaml applied, every Task state calling the real handler of its function (as Lambda would: JSON in,
 * JSON out, errors as `{errorType, errorMessage}`), waits compressed, and every state visited recorded.
 * The one way tests and `switchyard local` run the machine.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { format } from 'node:util';
import type { Context as LambdaContext } from 'aws-lambda';
import {
  loadTemplate,
  type PipelineDefinition,
  PROJECT_ROOT,
  type ResolveContext,
  resolveValue,
  type SamTemplate,
  type TemplateFunction,
  templateFunctions,
} from './template';

// aws-local-stepfunctions needs Promise.withResolvers (Node 22); Node 20 lacks it and every Task would fail.
installWithResolvers();

/** Where a function's console output goes while it runs: its own log, as Lambda sends it to CloudWatch Logs. */
const functionLog = new AsyncLocalStorage<(line: string) => void>();
captureConsole();

function captureConsole(): void {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const sink = functionLog.getStore();
      if (sink) sink(format(...args));
      else original(...args);
    };
  }
}

/** A function handler as Lambda calls it. */
export type LocalHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** The stack a local run pretends to be: names of what the template creates, and parameter values. */
export interface LocalStack {
  name: string;
  region: string;
  accountId: string;
  parameters: Record<string, string>;
  /** Physical name per logical id for the template's own resources (bucket, table, ...). */
  resources: Record<string, string>;
}

/** One event of a run, for progress output. */
export type RunEvent =
  | { type: 'state-entered'; state: string; stateType: string; at: number }
  | { type: 'state-exited'; state: string; stateType: string; at: number; output: unknown }
  | { type: 'state-retried'; state: string; attempt: number; at: number }
  | { type: 'state-failed'; state: string; error: string; cause: unknown; at: number }
  | { type: 'listener-invoked'; function: string; output: unknown; at: number }
  | { type: 'listener-failed'; function: string; error: string; at: number };

/** Options of one run. */
export interface RunOptions {
  input: unknown;
  stack: LocalStack;
  executionName?: string;
  /** Replace the handler of some functions, by logical id (e.g. to inject a fault). */
  handlers?: Record<string, LocalHandler>;
  /** Milliseconds a Wait state of this many seconds lasts locally. Default: 0. */
  waitMs?: (state: string, seconds: number) => number;
  /** Milliseconds before a retry. Default: 0. */
  retryMs?: number;
  onEvent?: (event: RunEvent) => void;
  /** Receives each line a function logs, prefixed with its logical id; the lines are also in RunResult.logs. */
  onLog?: (line: string) => void;
}

/** How a run ended. */
export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  executionArn: string;
  output: unknown;
  error: { name: string; cause: string } | null;
  statesVisited: string[];
  stateTransitions: number;
  lambdaInvocations: number;
  durationMs: number;
  /** What the functions logged, in order (`<LogicalId> <line>`), as their CloudWatch Logs would hold it. */
  logs: string[];
}

/** A started run: its result, and a way to abort it. */
export interface RunningPipeline {
  executionArn: string;
  result: Promise<RunResult>;
  abort: () => void;
}

/**
 * Sets the functions' environment from the template. The functions share this process and read their configuration
 * on each call, so each run may emulate its own stack; runs that overlap in one process share one environment.
 */
function applyEnvironment(environments: Record<string, unknown>[]): void {
  for (const env of environments) {
    for (const [name, raw] of Object.entries(env)) process.env[name] = String(raw);
  }
}

const machines = new Map<string, import('aws-local-stepfunctions').StateMachine>();

function installWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = <T>() => {
    let resolveFn!: (value: T) => void;
    let rejectFn!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolveFn = res;
      rejectFn = rej;
    });
    return { promise, resolve: resolveFn, reject: rejectFn };
  };
}

function functionArn(stack: LocalStack, logicalId: string): string {
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

function lambdaContext(
  logicalId: string,
  arn: string,
  timeoutSeconds: number,
  memorySize: number,
): LambdaContext {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: arn.split(':').pop() ?? logicalId,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: String(memorySize),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${logicalId}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An error as the Step Functions Lambda integration reports it: the name, and a JSON Cause. */
class LambdaFunctionError extends Error {
  constructor(name: string, message: string, stack: string | undefined) {
    super(
      JSON.stringify({
        errorType: name,
        errorMessage: message,
        trace: (stack ?? '').split('\n').slice(1, 6),
      }),
    );
    this.name = name;
  }
}

function loadHandler(entryPoint: string, exportName: string, logicalId: string): LocalHandler {
  const mod = require(entryPoint) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    throw new Error(`template.yaml: ${logicalId} handler "${exportName}" is not exported by ${entryPoint}`);
  }
  return fn as LocalHandler;
}

/** Starts one execution of the pipeline locally. */
export function startPipeline(options: RunOptions): RunningPipeline {
  const template = loadTemplate();
  const ctx = localResolveContext(template, options.stack);
  const definition = renderDefinition(template, ctx);
  const functions = templateFunctions(template);
  const byArn = new Map(functions.map((fn) => [functionArn(options.stack, fn.logicalId), fn]));

  applyEnvironment(functions.map((fn) => resolveValue(fn.environment, ctx) as Record<string, unknown>));

  let lambdaInvocations = 0;
  const logs: string[] = [];
  const logFor = (logicalId: string) => (line: string) => {
    const entry = `${logicalId} ${line}`;
    logs.push(entry);
    options.onLog?.(entry);
  };
  const taskHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') {
      const seconds = typeof state.Seconds === 'number' ? state.Seconds : 0;
      waits[stateName] = options.waitMs ? options.waitMs(stateName, seconds) : 0;
    }
    if (Array.isArray(state.Retry)) retries[stateName] = options.retryMs ?? 0;
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    const fn = byArn.get(state.Resource);
    if (!fn)
      throw new Error(`state ${stateName}: resource ${state.Resource} is not a function of template.yaml`);
    const handler =
      options.handlers?.[fn.logicalId] ?? loadHandler(fn.entryPoint, fn.handlerExport, fn.logicalId);
    taskHandlers[stateName] = async (input: unknown) => {
      lambdaInvocations += 1;
      const event = JSON.parse(JSON.stringify(input ?? null)) as unknown;
      try {
        const output = await functionLog.run(logFor(fn.logicalId), () =>
          handler(
            event,
            lambdaContext(fn.logicalId, state.Resource as string, fn.timeoutSeconds, fn.memorySize),
          ),
        );
        return JSON.parse(JSON.stringify(output ?? null)) as unknown;
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        throw new LambdaFunctionError(err.name, err.message, err.stack);
      }
    };
  }

  const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');
  const key = JSON.stringify(definition);
  let machine = machines.get(key);
  if (!machine) {
    machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    machines.set(key, machine);
  }

  const executionName = options.executionName ?? `local-${Date.now()}-${randomUUID().slice(0, 8)}`;
  const machineName = `${options.stack.name}-pipeline`;
  const executionArn = `arn:aws:states:${options.stack.region}:${options.stack.accountId}:execution:${machineName}:${executionName}`;
  const startedAt = Date.now();
  const execution = machine.run(options.input as never, {
    overrides: {
      taskResourceLocalHandlers: taskHandlers as never,
      waitTimeOverrides: waits,
      retryIntervalOverrides: retries,
    },
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date(startedAt).toISOString(),
        Input: options.input as never,
      },
      StateMachine: {
        Id: executionArn.replace(':execution:', ':stateMachine:').replace(`:${executionName}`, ''),
        Name: machineName,
      },
    },
  });

  const statesVisited: string[] = [];
  let stateTransitions = 0;
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') {
        statesVisited.push(event.state.name);
        stateTransitions += 1;
        options.onEvent?.({
          type: 'state-entered',
          state: event.state.name,
          stateType: event.state.type,
          at: event.timestamp,
        });
      } else if (event.type === 'StateExited') {
        options.onEvent?.({
          type: 'state-exited',
          state: event.state.name,
          stateType: event.state.type,
          at: event.timestamp,
          output: event.state.output,
        });
      } else if (event.type === 'StateRetried') {
        options.onEvent?.({
          type: 'state-retried',
          state: event.state.name,
          attempt: event.retry.attempt,
          at: event.timestamp,
        });
      } else if (event.type === 'StateFailed') {
        options.onEvent?.({
          type: 'state-failed',
          state: event.state.name,
          error: event.Error,
          cause: event.Cause,
          at: event.timestamp,
        });
      }
    }
  })();

  const result = (async (): Promise<RunResult> => {
    const base = { executionArn, statesVisited, lambdaInvocations: 0, stateTransitions: 0, durationMs: 0 };
    let outcome: Pick<RunResult, 'status' | 'output' | 'error'>;
    try {
      const output = await execution.result;
      outcome = { status: 'SUCCEEDED', output, error: null };
    } catch (error) {
      outcome = failureOf(error);
    }
    await collect.catch(() => undefined);
    if (outcome.status !== 'SUCCEEDED') {
      // As EventBridge would: the functions whose rule matches "Step Functions Execution Status Change".
      const status = outcome.status;
      const change = executionStatusChange(options, {
        executionArn,
        executionName,
        machineName,
        startedAt,
        status,
      });
      for (const fn of statusChangeListeners(template, status)) {
        lambdaInvocations += 1;
        const handler =
          options.handlers?.[fn.logicalId] ?? loadHandler(fn.entryPoint, fn.handlerExport, fn.logicalId);
        try {
          const context = lambdaContext(
            fn.logicalId,
            functionArn(options.stack, fn.logicalId),
            fn.timeoutSeconds,
            fn.memorySize,
          );
          const output = await functionLog.run(logFor(fn.logicalId), () => handler(change, context));
          options.onEvent?.({ type: 'listener-invoked', function: fn.logicalId, output, at: Date.now() });
        } catch (error) {
          options.onEvent?.({
            type: 'listener-failed',
            function: fn.logicalId,
            error: error instanceof Error ? error.message : String(error),
            at: Date.now(),
          });
        }
      }
    }
    return {
      ...base,
      ...outcome,
      lambdaInvocations,
      stateTransitions,
      durationMs: Date.now() - startedAt,
      logs,
    };
  })();

  return { executionArn, result, abort: () => execution.abort() };
}

/** The EventBridge event Step Functions sends when an execution ends. */
function executionStatusChange(
  options: RunOptions,
  execution: {
    executionArn: string;
    executionName: string;
    machineName: string;
    startedAt: number;
    status: string;
  },
) {
  const { region, accountId } = options.stack;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:${execution.machineName}`,
      name: execution.executionName,
      status: execution.status,
      startDate: execution.startedAt,
      stopDate: Date.now(),
      input: JSON.stringify(options.input ?? null),
      output: null,
    },
  };
}

/** Functions of the template with an EventBridge rule on this state machine's executions ending with `status`. */
function statusChangeListeners(template: SamTemplate, status: string): TemplateFunction[] {
  return templateFunctions(template).filter((fn) => {
    const events = (template.Resources[fn.logicalId]?.Properties?.Events ?? {}) as Record<
      string,
      { Type?: string; Properties?: { Pattern?: { source?: string[]; detail?: { status?: string[] } } } }
    >;
    return Object.values(events).some(
      (event) =>
        (event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent') &&
        event.Properties?.Pattern?.source?.includes('aws.states') &&
        event.Properties.Pattern.detail?.status?.includes(status),
    );
  });
}

function failureOf(error: unknown): Pick<RunResult, 'status' | 'output' | 'error'> {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err.name === 'ExecutionAbortedError')
    return { status: 'ABORTED', output: null, error: { name: 'Aborted', cause: err.message } };
  // ExecutionError carries the Fail state's (or the uncaught task's) error in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const inner = cause as Error & { cause?: unknown };
    const detail = typeof inner.cause === 'string' ? inner.cause : inner.message;
    return { status: 'FAILED', output: null, error: { name: inner.name, cause: detail } };
  }
  return { status: 'FAILED', output: null, error: { name: err.name, cause: err.message } };
}

/** Runs one execution to its end. */
export function runPipeline(options: RunOptions): Promise<RunResult> {
  return startPipeline(options).result;
}
