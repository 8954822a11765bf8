/**
 * A function's handler called in this process as Lambda calls it: a Lambda context with the function's name,
 * timeout and memory; its console output captured as its own log, as Lambda sends it to CloudWatch Logs; and, for
 * a Task state, JSON in and JSON out, errors reported as the Step Functions Lambda integration reports them.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import type { Context as LambdaContext } from 'aws-lambda';
import type { TemplateFunction } from './template';

/** A function handler as Lambda calls it. */
export type LocalHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/** Where a function's console output goes while it runs: its own log, as Lambda sends it to CloudWatch Logs. */
const functionLog = new AsyncLocalStorage<(line: string) => void>();
/** Set while a line is handed to a sink: what the sink itself prints goes to the terminal, not back to the log. */
let delivering = false;
captureConsole();

/** The sink of the function running in this context, unless a sink is already delivering a line. */
function currentSink(): ((line: string) => void) | undefined {
  const sink = delivering ? undefined : functionLog.getStore();
  if (!sink) return undefined;
  return (line) => {
    delivering = true;
    try {
      sink(line);
    } finally {
      delivering = false;
    }
  };
}

function captureConsole(): void {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const sink = currentSink();
      if (sink) sink(format(...args));
      else original(...args);
    };
  }
  // The functions' Powertools Logger and Metrics (functions/lib/shared/log.ts, metrics.ts) write to stdout and
  // stderr themselves, as Lambda wants: in a function's call, each line goes to its log too.
  for (const stream of [process.stdout, process.stderr]) captureStream(stream);
}

function captureStream(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const sink = currentSink();
    if (!sink) return original(chunk, ...rest);
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    for (const line of text.split('\n')) if (line !== '') sink(line);
    // The write's callback, when given, as the stream would call it.
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof stream.write;
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

/** The handler of `fn`: the replacement given for its logical id, else the export its template entry names. */
export function handlerOf(fn: TemplateFunction, replacements?: Record<string, LocalHandler>): LocalHandler {
  const replacement = replacements?.[fn.logicalId];
  if (replacement) return replacement;
  const mod = require(fn.entryPoint) as Record<string, unknown>;
  const handler = mod[fn.handlerExport];
  if (typeof handler !== 'function') {
    throw new Error(
      `template.yaml: ${fn.logicalId} handler "${fn.handlerExport}" is not exported by ${fn.entryPoint}`,
    );
  }
  return handler as LocalHandler;
}

/** Calls `handler` as the function `fn` deployed at `arn`; what it logs goes to `log`. */
export function invokeHandler(
  handler: LocalHandler,
  fn: TemplateFunction,
  arn: string,
  event: unknown,
  log: (line: string) => void,
): Promise<unknown> {
  return functionLog.run(log, () =>
    handler(event, lambdaContext(fn.logicalId, arn, fn.timeoutSeconds, fn.memorySize)),
  );
}

/** Calls `handler` for a Task state: input and output pass through JSON, an error becomes `{errorType, errorMessage}`. */
export async function invokeTask(
  handler: LocalHandler,
  fn: TemplateFunction,
  arn: string,
  input: unknown,
  log: (line: string) => void,
): Promise<unknown> {
  const event = JSON.parse(JSON.stringify(input ?? null)) as unknown;
  try {
    const output = await invokeHandler(handler, fn, arn, event, log);
    return JSON.parse(JSON.stringify(output ?? null)) as unknown;
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    throw new LambdaFunctionError(err.name, err.message, err.stack);
  }
}
