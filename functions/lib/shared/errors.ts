/**
 * Typed errors. The `name` of each class is the contract the state machine's Retry and Catch match,
 * so it is a string literal (it survives minification), never derived from the constructor.
 */

/** Base class of every error Switchyard throws on purpose. */
export class SwitchyardError extends Error {
  override name: string = 'SwitchyardError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The input of a state (event, manual input, file in the repository) is not what was expected. */
export class InvalidInputError extends SwitchyardError {
  override name = 'InvalidInputError' as const;
}

/** The stack's configuration (environment variables) is missing or malformed. */
export class ConfigurationError extends SwitchyardError {
  override name = 'ConfigurationError' as const;
}

/** The repository lacks a file the pipeline needs, or holds one it cannot handle. */
export class SourceError extends SwitchyardError {
  override name = 'SourceError' as const;
}

/** An AWS call failed in a way that a later retry may fix (throttling, 5xx, network). The machine retries it. */
export class TransientAwsError extends SwitchyardError {
  override name = 'TransientAwsError' as const;
}

/** Names of the AWS SDK errors that are worth retrying. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** True when an error from the AWS SDK (or the network under it) is worth retrying. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const meta = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  const retryable = (error as { $retryable?: unknown }).$retryable;
  const code = (error as { code?: string }).code;
  return (
    TRANSIENT_NAMES.has(error.name) ||
    (code !== undefined && TRANSIENT_NAMES.has(code)) ||
    retryable !== undefined ||
    (meta?.httpStatusCode !== undefined && meta.httpStatusCode >= 500)
  );
}

/** A readable one-line description of any thrown value (never `JSON.stringify(error)`, which gives `{}`). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** The CodeBuild build ended FAILED, FAULT, STOPPED or TIMED_OUT; the message gives the phase, its context and the log. */
export class BuildFailedError extends SwitchyardError {
  override name = 'BuildFailedError' as const;
}

/** The build ran longer than the pipeline's BuildTimeoutMinutes and was stopped. */
export class BuildTimeoutError extends SwitchyardError {
  override name = 'BuildTimeoutError' as const;
}

/** The build succeeded but its artifact lacks a usable image input (imageDetail.json or imagedefinitions.json). */
export class BuildArtifactError extends SwitchyardError {
  override name = 'BuildArtifactError' as const;
}

/** The green task set did not become stable and healthy behind its target group. */
export class GreenUnhealthyError extends SwitchyardError {
  override name = 'GreenUnhealthyError' as const;
}

/** The listener read back after a weight change does not carry the weights that were written. */
export class WeightsMismatchError extends SwitchyardError {
  override name = 'WeightsMismatchError' as const;
}

/** A CloudWatch alarm the deployment watches is in ALARM. */
export class AlarmError extends SwitchyardError {
  override name = 'AlarmError' as const;
}

/**
 * A manual pause was not promoted within the stack's ManualPauseTimeoutMinutes: the deployment rolls back, as
 * CodeDeploy stops a deployment whose traffic was not rerouted within its wait time (DeploymentReadyOption).
 */
export class PauseTimeoutError extends SwitchyardError {
  override name = 'PauseTimeoutError' as const;
}

/** An operator aborted the deployment. */
export class DeploymentAbortedError extends SwitchyardError {
  override name = 'DeploymentAbortedError' as const;
}

/** The deployment no longer holds the service's lock, or was stopped: it may change nothing (record/fence.ts). */
export class DeploymentFencedError extends SwitchyardError {
  override name = 'DeploymentFencedError' as const;
}

/** The ECS service or its load balancer is not set up for Switchyard's blue/green (missing, not ACTIVE, not EXTERNAL, listener not forwarding). */
export class ServiceNotReadyError extends SwitchyardError {
  override name = 'ServiceNotReadyError' as const;
}

/** Wraps a transient AWS error as TransientAwsError (which the machine retries), with what was being done; other errors pass unchanged. */
export function asTransient(label: string, error: unknown): unknown {
  if (!isTransient(error)) return error;
  return new TransientAwsError(`${label} failed: ${describeError(error)}`, { cause: error });
}

/** A lifecycle hook (a Lambda function named in the AppSpec) failed, threw, or answered {"status": "Failed"}. */
export class HookFailedError extends SwitchyardError {
  override name = 'HookFailedError' as const;
}
