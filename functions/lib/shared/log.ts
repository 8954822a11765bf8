/**
 * The log of every function: Powertools for AWS Lambda (TypeScript) Logger, one JSON object per line with the level,
 * the message, the time, `service` (the stack's name, POWERTOOLS_SERVICE_NAME), the Lambda context (function name,
 * request id, cold start) and, on every line of an invocation that concerns a deployment, its keys:
 * `deploymentId`, `commitId` and `executionId`. A Logs Insights query on one deployment id therefore finds every
 * line of every function of that deployment (docs/OBSERVABILITY.md).
 * https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/
 * The level is Lambda's: the stack sets ApplicationLogLevel (LoggingConfig), which Lambda passes as
 * AWS_LAMBDA_LOG_LEVEL and the Logger follows, so lines below it are not even formatted.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html
 * The Logger writes to stdout itself (not through console.log, which Lambda's JSON log format would wrap again).
 */
import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of a function. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || 'switchyard' });

/** The keys that tie a line to a deployment. */
export interface DeploymentKeys {
  deploymentId?: string;
  commitId?: string;
  executionId?: string;
}

/** The errors the machine (or EventBridge, for CleanUp) retries by design: a warning, not an error, when thrown. */
const RETRIED_ERRORS = new Set(['TransientAwsError', 'CleanUpTooEarlyError']);

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The keys an event carries: `deployment` ({id, commitId, executionId}) in every state's input; Prepare's input has
 * only the execution (`execution.id`) until it has made the deployment (then it calls `logDeployment`).
 */
export function deploymentKeysOf(event: unknown): DeploymentKeys {
  if (typeof event !== 'object' || event === null) return {};
  const { deployment, execution } = event as { deployment?: unknown; execution?: unknown };
  const keys: DeploymentKeys = {};
  if (typeof deployment === 'object' && deployment !== null) {
    const { id, commitId, executionId } = deployment as Record<string, unknown>;
    keys.deploymentId = text(id);
    keys.commitId = text(commitId);
    keys.executionId = text(executionId);
  }
  if (!keys.executionId && typeof execution === 'object' && execution !== null) {
    keys.executionId = text((execution as Record<string, unknown>).id);
  }
  return Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined));
}

/** The functions that have had an invocation in this process: the first of each is its cold start. */
const started = new Set<string>();

/**
 * The Lambda context's keys, under the names Powertools gives them, as keys of this invocation only: in Lambda a
 * process runs one function, but `switchyard local` and the tests run every handler in one process, where a context
 * kept from an earlier invocation (Logger.addContext) would name another function. Nothing without a context.
 */
function contextKeys(context: unknown): Record<string, string | boolean> {
  if (typeof context !== 'object' || context === null) return {};
  const { awsRequestId, functionName, invokedFunctionArn, memoryLimitInMB } = context as Record<
    string,
    unknown
  >;
  if (typeof awsRequestId !== 'string' || typeof functionName !== 'string') return {};
  const cold = !started.has(functionName);
  started.add(functionName);
  return {
    cold_start: cold,
    function_name: functionName,
    function_request_id: awsRequestId,
    ...(typeof invokedFunctionArn === 'string' ? { function_arn: invokedFunctionArn } : {}),
    ...(memoryLimitInMB !== undefined ? { function_memory_size: String(memoryLimitInMB) } : {}),
  };
}

/** Starts an invocation's log: the previous invocation's keys go, this one's context and deployment keys come. */
export function startInvocation(event: unknown, context?: unknown): void {
  logger.resetKeys();
  logger.appendKeys({ ...contextKeys(context), ...deploymentKeysOf(event) });
}

/** Adds a deployment's keys to every later line of this invocation (Prepare, once it has made the deployment). */
export function logDeployment(deployment: { id: string; commitId: string; executionId: string }): void {
  logger.appendKeys({
    deploymentId: deployment.id,
    commitId: deployment.commitId,
    executionId: deployment.executionId,
  });
}

/** One line for an error a handler throws: a warning when the machine retries it by design, else an error. */
export function logFailure(error: unknown): void {
  const name = error instanceof Error ? error.name : 'Error';
  const failure = error instanceof Error ? error : new Error(String(error));
  if (RETRIED_ERRORS.has(name)) logger.warn(`${name}, to be retried: ${failure.message}`, failure);
  else logger.error(`${name}: ${failure.message}`, failure);
}
