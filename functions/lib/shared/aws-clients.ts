/**
 * Every AWS SDK client of the functions is built here, with bounded waits and the SDK's standard retry:
 * - a connection timeout and a request timeout (NodeHttpHandler options; `throwOnRequestTimeout`, else the handler
 *   only logs a warning), so a hung call ends as a TimeoutError long before the function's own timeout, is retried
 *   by the SDK, and then leaves the handler as TransientAwsError (handler.ts), which the state machine retries;
 *   https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html shows the
 *   `requestHandler` options shorthand.
 * - the standard retry mode: throttling, 5xx, timeouts and reset connections retried with full-jitter exponential
 *   backoff, bounded by a retry quota: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 * The endpoint still comes only from AWS_ENDPOINT_URL, as for any SDK client.
 */

/** How long a client's calls may wait, and how many times the SDK tries each. */
export interface ClientSettings {
  connectionTimeoutMs: number;
  /** The whole request and response, per attempt; 0 for no limit (a transfer whose size is not known). */
  requestTimeoutMs: number;
  /** The longest a socket may stay silent; 0 for no limit. */
  socketTimeoutMs: number;
  maxAttempts: number;
}

/**
 * Control-plane calls (DynamoDB, ECS, ELBv2, CodeBuild, CloudWatch, CodeCommit): each answers in well under a
 * second, so 10 s is a hung call; three attempts of 10 s and the backoff stay inside the functions' 60 s.
 */
export const API_CALLS: ClientSettings = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 10_000,
  socketTimeoutMs: 10_000,
  maxAttempts: 3,
};

/**
 * S3 transfers (archives of up to hundreds of MB): no limit on the whole request, which grows with the size, but
 * a socket silent for 30 s is hung.
 */
export const TRANSFERS: ClientSettings = {
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 0,
  socketTimeoutMs: 30_000,
  maxAttempts: 3,
};

/**
 * The attempts of a client: AWS_MAX_ATTEMPTS when set (the SDK's own setting, which an explicit maxAttempts would
 * otherwise override), else the settings'.
 */
function attempts(settings: ClientSettings): number {
  const fromEnv = Number(process.env.AWS_MAX_ATTEMPTS);
  return Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : settings.maxAttempts;
}

/** The client configuration for `settings`, as every @aws-sdk client constructor takes it. */
export function clientConfig(settings: ClientSettings = API_CALLS) {
  return {
    maxAttempts: attempts(settings),
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: settings.connectionTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: settings.requestTimeoutMs > 0,
      socketTimeout: settings.socketTimeoutMs,
    },
  };
}

/** The client configuration every client of the functions gets. */
export type AwsClientConfig = ReturnType<typeof clientConfig>;

/** Builds an SDK client with the timeouts and retry of `settings`: `awsClient(ECSClient)`. */
export function awsClient<T>(
  Client: new (config: AwsClientConfig) => T,
  settings: ClientSettings = API_CALLS,
): T {
  return new Client(clientConfig(settings));
}
