/**
 * Invokes one bundled function the way `sam local invoke` does, without Docker: a fresh Node process with only
 * the function's environment, the event on its input, the handler's result or error reported back, and whatever
 * the function logs kept apart as its log.
 */
import { spawn } from 'node:child_process';

/** The error of a failed invocation, shaped as Lambda reports it. */
export interface InvokeError {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** How an invocation ended, and what the function logged. */
export type InvokeResult = ({ ok: true; result: unknown } | { ok: false; error: InvokeError }) & {
  log: string;
  durationMs: number;
};

// Runs inside the child: load the bundle, call the handler with a Lambda-like context, report over IPC.
const BOOTSTRAP = `
const [bundle, exportName, functionName, timeoutMs] = process.argv.slice(1);
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', async () => {
  const deadline = Date.now() + Number(timeoutMs);
  const context = {
    functionName, functionVersion: '$LATEST', memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':123456789012:function:' + functionName,
    awsRequestId: require('node:crypto').randomUUID(), logGroupName: '/aws/lambda/' + functionName,
    logStreamName: 'local', callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  const report = (message) => process.send(message, () => process.exit(0));
  try {
    const handler = require(bundle)[exportName];
    if (typeof handler !== 'function') throw new Error(bundle + ' does not export ' + exportName);
    const result = await handler(JSON.parse(input), context);
    report({ ok: true, result: result === undefined ? null : result });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    report({ ok: false, error: { errorType: e.name, errorMessage: e.message, trace: String(e.stack || '').split('\\n').slice(1) } });
  }
});
`;

/** Runs `handlerExport` of `bundle` with `event` in a fresh process whose environment is exactly `env`. */
export function invokeBundle(options: {
  bundle: string;
  handlerExport: string;
  functionName: string;
  event: unknown;
  env: Record<string, string>;
  timeoutSeconds: number;
}): Promise<InvokeResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        BOOTSTRAP,
        options.bundle,
        options.handlerExport,
        options.functionName,
        String(options.timeoutSeconds * 1000),
      ],
      { env: options.env, stdio: ['pipe', 'pipe', 'pipe', 'ipc'] },
    );
    let log = '';
    let outcome: { ok: true; result: unknown } | { ok: false; error: InvokeError } | undefined;
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    child.on('message', (message) => {
      outcome = message as typeof outcome;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      outcome = {
        ok: false,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${options.timeoutSeconds.toFixed(2)} seconds`,
          trace: [],
        },
      };
    }, options.timeoutSeconds * 1000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const durationMs = Date.now() - started;
      if (outcome) return resolve({ ...outcome, log, durationMs });
      resolve({
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `the function's process exited with code ${code} before returning`,
          trace: [],
        },
        log,
        durationMs,
      });
    });
    child.stdin?.end(JSON.stringify(options.event));
  });
}

/** Variables `sam local invoke` passes from the caller's shell: credentials, region and endpoints. */
const PASSED_THROUGH =
  /^(AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION|MAX_ATTEMPTS|ENDPOINT_URL(_\w+)?|SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED)|PATH|NODE_NO_WARNINGS|TZ)$/;

/** The environment of a function's process: the template's variables plus what Lambda itself sets. */
export function lambdaEnvironment(options: {
  functionName: string;
  memorySize: number;
  variables: Record<string, unknown>;
  overrides?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && PASSED_THROUGH.test(name)) env[name] = value;
  }
  env.AWS_REGION ??= 'us-east-1';
  Object.assign(env, {
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: '/var/task',
    TZ: ':UTC',
  });
  for (const [name, value] of Object.entries(options.variables)) env[name] = String(value);
  return { ...env, ...options.overrides };
}
