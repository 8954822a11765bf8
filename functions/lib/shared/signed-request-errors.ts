/**
 * The errors of signed-request.ts, named as an SDK client names them: by the error code of the service's answer
 * (the JSON `__type` or X-Amzn-ErrorType of the JSON and REST-JSON protocols, the `<Code>` of S3's XML), or, for
 * an answer without a body (HEAD), by its status as the SDK does (404 NotFound, 403 Forbidden, 412
 * PreconditionFailed, 304 NotModified). Error responses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * and https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors.
 */

/** Error codes AWS answers when a caller goes too fast (the SDK's throttling list). */
const THROTTLES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Error codes of a request the service gave up on, worth sending again. */
const TRANSIENT_CODES = new Set(['RequestTimeout', 'RequestTimeoutException', 'InternalError']);

/** What a dropped or hung connection throws (Node's codes; node-http-handler's TimeoutError). */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);

const BY_STATUS: Record<number, string> = {
  304: 'NotModified',
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  412: 'PreconditionFailed',
  416: 'InvalidRange',
};

/** An AWS service answered with an error: `name` is its error code, `$metadata` has the HTTP status. */
export class AwsCallError extends Error {
  readonly $metadata: { httpStatusCode: number; requestId?: string };
  readonly $fault: 'client' | 'server';
  /** Set only on an error worth retrying, as the SDK sets it (errors.ts's isTransient reads its presence). */
  readonly $retryable?: { throttling: boolean };
  constructor(code: string, message: string, status: number, requestId?: string) {
    super(message);
    this.name = code;
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}) };
    this.$fault = status >= 500 ? 'server' : 'client';
    const throttling = THROTTLES.has(code) || status === 429;
    // A 200 carrying an <Error> (S3's copy) is as transient as its code says.
    if (throttling || status >= 500 || TRANSIENT_CODES.has(code)) this.$retryable = { throttling };
  }
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** The AwsCallError of a non-2xx answer. */
export function errorOf(status: number, headers: Record<string, string>, body: Buffer): AwsCallError {
  const text = body.toString('utf8');
  let code: string | undefined;
  let message: string | undefined;
  if (text.trimStart().startsWith('{')) {
    try {
      const json = JSON.parse(text) as Record<string, unknown>;
      const type = json.__type ?? json.code ?? json.Code;
      if (typeof type === 'string') code = type;
      const said = json.message ?? json.Message;
      if (typeof said === 'string') message = said;
    } catch {
      // Not JSON after all: the status names it below.
    }
  } else if (text.includes('<Code>')) {
    code = tag(text, 'Code');
    message = tag(text, 'Message');
  }
  code = (headers['x-amzn-errortype'] ?? code ?? '').split(':')[0]?.split('#').pop() || undefined;
  const name = code ?? BY_STATUS[status] ?? (status >= 500 ? 'InternalError' : `Http${status}`);
  const requestId = headers['x-amzn-requestid'] ?? headers['x-amz-request-id'];
  return new AwsCallError(
    name,
    message ?? `HTTP ${status}${text ? `: ${text.slice(0, 300)}` : ''}`,
    status,
    requestId,
  );
}

/** Whether the sender tries a failed request again (a service's transient answer, or the network). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AwsCallError) return error.$retryable !== undefined;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return error.name === 'TimeoutError' || (code !== undefined && NETWORK_CODES.has(code));
}

/** Whether a failure was throttling, which backs off longer. */
export function isThrottle(error: unknown): boolean {
  return error instanceof AwsCallError && error.$retryable?.throttling === true;
}
