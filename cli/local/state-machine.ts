/**
 * Runs statemachine/pipeline.asl.json in-process with aws-local-stepfunctions: DefinitionSubstitutions from
 * template.yaml applied, every Task state calling the real handler of its function (as Lambda would: JSON in,
 * JSON out, errors as `{errorType, errorMessage}`), waits compressed, and every state visited recorded.
 * The one way tests and `switchyard local` run the machine. Its parts: what runs (pipeline-definition.ts), how a
 * handler is called (lambda-runtime.ts), and what EventBridge does after an unsuccessful end
 * (execution-status-change.ts).
 */
import { randomUUID } from 'node:crypto';
import { deliverStatusChange, type ListenerEvent } from './execution-status-change';
import { handlerOf, invokeTask, type LocalHandler } from './lambda-runtime';
import { functionArn, type LocalStack, localResolveContext, renderDefinition } from './pipeline-definition';
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

/** One event of a run, for progress output. */
export type RunEvent =
  | { type: 'state-entered'; state: string; stateType: string; at: number }
  | { type: 'state-exited'; state: string; stateType: string; at: number; output: unknown }
  | { type: 'state-retried'; state: string; attempt: number; at: number }
  | { type: 'state-failed'; state: string; error: string; cause: unknown; at: number }
  | ListenerEvent;

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

type Machine = import('aws-local-stepfunctions').StateMachine;
type EventLogs = ReturnType<Machine['run']>['eventLogs'];

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

  let lambdaInvocations = 0;
  const logs: string[] = [];
  const logFor = (logicalId: string) => (line: string) => {
    const entry = `${logicalId} ${line}`;
    logs.push(entry);
    options.onLog?.(entry);
  };
  const overrides = localOverrides(definition, byArn, options, (fn, handler, arn) => (input) => {
    lambdaInvocations += 1;
    return invokeTask(handler, fn, arn, input, logFor(fn.logicalId));
  });

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
      StateMachine: {
        Id: executionArn.replace(':execution:', ':stateMachine:').replace(`:${executionName}`, ''),
        Name: machineName,
      },
    },
  });

  const statesVisited: string[] = [];
  const collect = followEvents(execution.eventLogs, statesVisited, options.onEvent);

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
      lambdaInvocations += await deliverStatusChange({
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
    }
    return {
      executionArn,
      statesVisited,
      lambdaInvocations,
      stateTransitions: statesVisited.length,
      durationMs: Date.now() - startedAt,
      ...outcome,
      logs,
    };
  })();

  return { executionArn, result, abort: () => execution.abort() };
}

/** What the library runs instead of AWS: each Task state's handler, and the compressed waits and retry intervals. */
function localOverrides(
  definition: PipelineDefinition,
  byArn: Map<string, TemplateFunction>,
  options: RunOptions,
  callTask: (
    fn: TemplateFunction,
    handler: LocalHandler,
    arn: string,
  ) => (input: unknown) => Promise<unknown>,
) {
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
    taskHandlers[stateName] = callTask(fn, handlerOf(fn, options.handlers), state.Resource);
  }
  return {
    taskResourceLocalHandlers: taskHandlers as never,
    waitTimeOverrides: waits,
    retryIntervalOverrides: retries,
  };
}

/** Records each state entered in `statesVisited` and reports the library's state events as RunEvents. */
async function followEvents(
  events: EventLogs,
  statesVisited: string[],
  onEvent: ((event: RunEvent) => void) | undefined,
): Promise<void> {
  for await (const event of events) {
    if (event.type === 'StateEntered') {
      statesVisited.push(event.state.name);
      onEvent?.({
        type: 'state-entered',
        state: event.state.name,
        stateType: event.state.type,
        at: event.timestamp,
      });
    } else if (event.type === 'StateExited') {
      onEvent?.({
        type: 'state-exited',
        state: event.state.name,
        stateType: event.state.type,
        at: event.timestamp,
        output: event.state.output,
      });
    } else if (event.type === 'StateRetried') {
      onEvent?.({
        type: 'state-retried',
        state: event.state.name,
        attempt: event.retry.attempt,
        at: event.timestamp,
      });
    } else if (event.type === 'StateFailed') {
      onEvent?.({
        type: 'state-failed',
        state: event.state.name,
        error: event.Error,
        cause: event.Cause,
        at: event.timestamp,
      });
    }
  }
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
