/**
 * Runs statemachine/pipeline.asl.json in-process with aws-local-stepfunctions: DefinitionSubstitutions from
 * template.yaml applied, every Task state calling the real handler of its function (as Lambda would: JSON in,
 * JSON out, errors as `{errorType, errorMessage}`), waits compressed, and every state visited recorded.
 * The one way tests and `switchyard local` run the machine. Its parts: what runs (pipeline-definition.ts), how a
 * handler is called (lambda-runtime.ts), and what EventBridge does after an unsuccessful end
 * (execution-status-change.ts).
 */
import { randomUUID } from 'node:crypto';
import { alarmEventSource, alarmListeners } from './alarm-events';
import { type AwsFigures, awsMeter } from './aws-cost';
import { deliverStatusChange } from './execution-status-change';
import { LOCAL_TASK_TOKEN } from './integrations';
import { handlerOf, invokeHandler, invokeTask, type LocalHandler } from './lambda-runtime';
import { localOverrides } from './local-tasks';
import { functionArn, type LocalStack, localResolveContext, renderDefinition } from './pipeline-definition';
import { failureOf, followEvents, type RunEvent } from './run-events';
import {
  loadTemplate,
  type PipelineDefinition,
  resolveValue,
  type TemplateFunction,
  templateFunctions,
} from './template';

export type { LocalHandler } from './lambda-runtime';
export type { LocalStack } from './pipeline-definition';

// aws-local-stepfunctions needs Promise.withResolvers (Node 22); Node 20 lacks it and every Task would fail.
installWithResolvers();

/** How often a local run reads the alarms for their rule's events while a callback wait waits. */
const ALARM_EVENT_POLL_MS = 25;

export type { RunEvent } from './run-events';

/** Options of one run. */
export interface RunOptions {
  input: unknown;
  stack: LocalStack;
  executionName?: string;
  /** Replace the handler of some functions, by logical id (e.g. to inject a fault). */
  handlers?: Record<string, LocalHandler>;
  /** Milliseconds a Wait state of this many seconds lasts locally. Default: 0. */
  /** `payload`: a callback wait's Lambda payload (the pause it waits in, for one). */
  waitMs?: (state: string, seconds: number, payload?: unknown) => number;
  /** Milliseconds before a retry. Default: 0. */
  retryMs?: number;
  /** Runs before each Task state's work, outside what the invocation is billed for (the bench's AWS timeline). */
  beforeTask?: (state: string, input: unknown) => Promise<void>;
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
  /** What the same path through the machine would count and cost on AWS (aws-cost.ts). */
  aws: AwsFigures;
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

type Machine = import('aws-local-stepfunctions').StateMachine;

const machines = new Map<string, Machine>();

/** One machine per definition: building it validates the definition, which need not happen on every run. */
function machineFor(definition: PipelineDefinition): Machine {
  const key = JSON.stringify(definition);
  let machine = machines.get(key);
  if (!machine) {
    const { StateMachine } = require('aws-local-stepfunctions') as typeof import('aws-local-stepfunctions');
    machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
    machines.set(key, machine);
  }
  return machine;
}

function installWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers === 'function') return;
  P.withResolvers = <T>() => {
    // The executor runs at once, so both are replaced before anyone can call them.
    let resolveFn: (value: T) => void = () => undefined;
    let rejectFn: (reason?: unknown) => void = () => undefined;
    const promise = new Promise<T>((res, rej) => {
      resolveFn = res;
      rejectFn = rej;
    });
    return { promise, resolve: resolveFn, reject: rejectFn };
  };
}

/** Starts one execution of the pipeline locally. */
export function startPipeline(options: RunOptions): RunningPipeline {
  const template = loadTemplate();
  const ctx = localResolveContext(template, options.stack);
  const definition = renderDefinition(template, ctx);
  const functions = templateFunctions(template);
  const byArn = new Map(functions.map((fn) => [functionArn(options.stack, fn.logicalId), fn]));

  applyEnvironment(functions.map((fn) => resolveValue(fn.environment, ctx) as Record<string, unknown>));
  // Every handler loaded now, not at its first call: tsx compiles a module on its first require through esbuild's
  // service process, which shares the terminal's process group, so a Ctrl-C kills it and a handler first needed
  // by the rollback (Rollback, CleanUp, WakePause) could no longer load ("The service is no longer running").
  for (const fn of functions) handlerOf(fn, options.handlers);

  let lambdaInvocations = 0;
  const meter = awsMeter(definition);
  const logs: string[] = [];
  const logFor = (logicalId: string) => (line: string) => {
    const entry = `${logicalId} ${line}`;
    logs.push(entry);
    options.onLog?.(entry);
  };
  const callTask =
    (state: string, fn: TemplateFunction, handler: LocalHandler, arn: string) => async (input: unknown) => {
      await options.beforeTask?.(state, input);
      lambdaInvocations += 1;
      const since = performance.now();
      try {
        return await invokeTask(handler, fn, arn, input, logFor(fn.logicalId));
      } finally {
        meter.invoked(fn.memorySize, performance.now() - since);
      }
    };
  // As EventBridge would, while a callback wait waits: the alarm rules' events to their functions (WakePause).
  const tick = alarmEventSource({
    stack: options.stack,
    listeners: alarmListeners(template, ctx),
    everyMs: ALARM_EVENT_POLL_MS,
    deliver: async (logicalId, event) => {
      const fn = functions.find((candidate) => candidate.logicalId === logicalId);
      if (!fn) return;
      lambdaInvocations += 1;
      meter.invoked(fn.memorySize, 0);
      const arn = functionArn(options.stack, logicalId);
      await invokeHandler(handlerOf(fn, options.handlers), fn, arn, event, logFor(logicalId)).catch(
        (error: unknown) => logFor(logicalId)(`event delivery failed: ${String(error)}`),
      );
    },
  });
  const overrides = localOverrides(definition, byArn, options, callTask, tick);

  const executionName = options.executionName ?? `local-${Date.now()}-${randomUUID().slice(0, 8)}`;
  const machineName = `${options.stack.name}-pipeline`;
  const executionArn = `arn:aws:states:${options.stack.region}:${options.stack.accountId}:execution:${machineName}:${executionName}`;
  const startedAt = Date.now();
  const execution = machineFor(definition).run(options.input as never, {
    overrides,
    context: {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date(startedAt).toISOString(),
        Input: options.input as never,
      },
      // Each callback wait replaces it with a token of its own (integrations.ts).
      Task: { Token: LOCAL_TASK_TOKEN },
      StateMachine: {
        Id: executionArn.replace(':execution:', ':stateMachine:').replace(`:${executionName}`, ''),
        Name: machineName,
      },
    },
  });

  const statesVisited: string[] = [];
  const collect = followEvents(execution.eventLogs, statesVisited, (event) => {
    meter.onEvent(event);
    options.onEvent?.(event);
  });

  const result = (async (): Promise<RunResult> => {
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
      const delivered = await deliverStatusChange({
        template,
        stack: options.stack,
        execution: {
          executionArn,
          executionName,
          machineName,
          startedAt,
          status: outcome.status,
          input: options.input,
        },
        handlers: options.handlers,
        logFor,
        onEvent: options.onEvent,
      });
      lambdaInvocations += delivered;
      for (let i = 0; i < delivered; i += 1) meter.invoked(512, 0);
    }
    return {
      executionArn,
      statesVisited,
      lambdaInvocations,
      stateTransitions: statesVisited.length,
      aws: meter.figures(),
      durationMs: Date.now() - startedAt,
      ...outcome,
      logs,
    };
  })();

  return { executionArn, result, abort: () => execution.abort() };
}

/** Runs one execution to its end. */
export function runPipeline(options: RunOptions): Promise<RunResult> {
  return startPipeline(options).result;
}
