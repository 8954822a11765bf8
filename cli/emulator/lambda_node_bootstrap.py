"""The Node.js program that runs one Lambda invocation in the emulator (see lambda_node.py for the behaviour):
it loads the function's handler, calls it with the event and a Lambda context, writes console output as the
Node runtime's Text log format does, and writes the result or the error to a file for lambda_node_invoke.py.
lambda_node_code.py writes it to disk once per content.
"""

BOOTSTRAP = r"""'use strict';
// Switchyard emulator: runs one Lambda invocation of a Node.js handler (see cli/emulator/lambda_node.py).
const fs = require('node:fs');
const path = require('node:path');
const util = require('node:util');
const { pathToFileURL } = require('node:url');

const [resultFile, requestId, deadlineText, invokedFunctionArn] = process.argv.slice(2);
const deadline = Number(deadlineText);
const env = process.env;

const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
const line = (level, message) =>
  process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${message.replace(/\n/g, '\r')}\n`);
for (const [name, level] of Object.entries(levels)) {
  console[name] = (...args) => line(level, util.format(...args));
}

class RuntimeError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name;
  }
}

const isError = (value) =>
  util.types.isNativeError(value) ||
  (value !== null && typeof value === 'object' && typeof value.name === 'string' && typeof value.message === 'string');
const errorResponse = (error) =>
  isError(error)
    ? { errorType: error.name, errorMessage: error.message, trace: String(error.stack ?? '').split('\n') }
    : { errorType: typeof error, errorMessage: String(error), trace: [] };

// getrusage's maxRSS survives exec (it would report the emulator's own size): read the peak of this process.
function peakMemoryKb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (match) return Number(match[1]);
  } catch {}
  return Math.round(process.memoryUsage().rss / 1024);
}

let finished = false;
function finish(outcome) {
  if (finished) return;
  finished = true;
  outcome.maxRSS = peakMemoryKb();
  fs.writeFileSync(resultFile, JSON.stringify(outcome));
  process.exit(0);
}
function fail(error) {
  const response = errorResponse(error);
  line('ERROR', `Invoke Error \t${JSON.stringify(response)}`);
  finish({ ok: false, error: response });
}
function succeed(value) {
  let payload;
  try {
    payload = JSON.stringify(value);
  } catch (error) {
    return fail(error);
  }
  finish({ ok: true, payload: payload === undefined ? 'null' : payload });
}

async function loadHandler() {
  const handler = env._HANDLER ?? '';
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    const message = `Bad handler ${handler}: expected file.export, e.g. index.handler`;
    throw new RuntimeError('Runtime.MalformedHandlerName', message);
  }
  const moduleName = handler.slice(0, slash + 1) + base.slice(0, dot);
  const exportPath = base.slice(dot + 1);
  const stem = path.resolve(env.LAMBDA_TASK_ROOT, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((extension) => stem + extension).find((name) => fs.existsSync(name));
  if (!file) {
    const looked = `looked for ${moduleName}.js, .mjs and .cjs in ${env.LAMBDA_TASK_ROOT}`;
    throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}' (${looked})`);
  }
  let loaded;
  try {
    if (file.endsWith('.mjs')) {
      loaded = await import(pathToFileURL(file).href);
    } else {
      try {
        loaded = require(file);
      } catch (error) {
        if (error?.code !== 'ERR_REQUIRE_ESM') throw error;
        loaded = await import(pathToFileURL(file).href);
      }
    }
  } catch (error) {
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${error.message}`);
    }
    if (error instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    }
    throw error;
  }
  let target = loaded;
  for (const part of exportPath.split('.')) target = target == null ? undefined : target[part];
  if (typeof target !== 'function') {
    throw new RuntimeError('Runtime.HandlerNotFound', `${moduleName}.${exportPath} is undefined or not exported`);
  }
  return target;
}

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  succeed: (value) => succeed(value),
  fail: (error) => fail(error),
  done: (error, value) => (error == null ? succeed(value) : fail(error)),
};

(async () => {
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  let handler;
  try {
    handler = await loadHandler();
  } catch (error) {
    return fail(error);
  }
  const event = JSON.parse(fs.readFileSync(0, 'utf8') || '{}');
  // A handler that neither returns a promise nor calls back answers null once nothing is left to do.
  process.on('beforeExit', () => succeed(null));
  try {
    const returned = handler(event, context, (error, value) => (error == null ? succeed(value) : fail(error)));
    if (returned && typeof returned.then === 'function') returned.then(succeed, fail);
  } catch (error) {
    fail(error);
  }
})();
"""
