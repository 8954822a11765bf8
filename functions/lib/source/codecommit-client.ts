/**
 * The CodeCommit client the Source stage reads a commit with, and its retry policy.
 *
 * Retrying is the SDK's: its retry middleware with the standard strategy retries every throttled
 * (ThrottlingException, TooManyRequestsException, HTTP 429) and transient (500/502/503/504, timeouts,
 * reset connections) call with full-jitter exponential backoff (base 1 s for throttling, 50 ms otherwise,
 * 20 s at most), honours Retry-After, and stops early when its retry quota, shared by every call of the
 * client, runs out. Standard rather than adaptive: the reader already bounds its concurrency (8 calls at
 * a time), and adaptive's client-side rate limiter, after a first throttle with no measured rate, slows
 * the whole client to 0.5 requests a second. A call that still fails reaches the reader, which turns it
 * into a TransientAwsError that the state machine retries.
 */
import { CodeCommitClient, type CodeCommitClientConfig } from '@aws-sdk/client-codecommit';
import { StandardRetryStrategy, type StandardRetryStrategyOptions } from '@smithy/core/retry';

/** Attempts of each CodeCommit call (the first and five retries): about 15 s of backoff on average, 31 s at most. */
export const CODECOMMIT_MAX_ATTEMPTS = 6;

/** How the client is built; production passes nothing. */
export interface CodeCommitClientOptions {
  /** Client settings (region, endpoint, credentials), as the SDK takes them. */
  config?: Omit<CodeCommitClientConfig, 'maxAttempts' | 'retryMode' | 'retryStrategy'>;
  maxAttempts?: number;
  /** Replaces the SDK's backoff; tests pass one that records the delays asked for and waits 0 ms. */
  backoff?: StandardRetryStrategyOptions['backoff'];
}

/** Creates the CodeCommit client of ArchiveSource, with the SDK retrying throttled and transient calls. */
export function createCodeCommitClient(options: CodeCommitClientOptions = {}): CodeCommitClient {
  const maxAttempts = options.maxAttempts ?? CODECOMMIT_MAX_ATTEMPTS;
  const retryStrategy = new StandardRetryStrategy({ maxAttempts, backoff: options.backoff });
  // The strategy decides; the client's own maxAttempts only fills the amz-sdk-request header's "max".
  return new CodeCommitClient({ ...options.config, maxAttempts, retryStrategy });
}
