/**
 * One signed AWS request without an SDK client, for the functions whose bundle a whole client would double for one
 * or two calls (the S3 reads of Render and CheckBuild, Reconcile's asynchronous Invoke):
 * - Signature Version 4 with @smithy/signature-v4 and the credentials Lambda puts in the environment
 *   (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-signed-request-examples.html,
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime);
 * - the timeouts of aws-clients.ts's settings, through the SDK's own @smithy/node-http-handler;
 * - the SDK's standard retry: throttling, 5xx, timeouts and reset connections tried again up to the settings'
 *   attempts (AWS_MAX_ATTEMPTS when set), with full-jitter exponential backoff
 *   (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html);
 * - an error named by the service's error code, as an SDK client would name it, so errors.ts's isTransient and the
 *   callers read it the same way;
 * - the endpoint of AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL when set, as every SDK client reads them
 *   (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fromEnv } from '@aws-sdk/credential-provider-env';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import type { SourceData } from '@smithy/types';
import { API_CALLS, type ClientSettings, clientConfig } from './aws-clients';
import { ConfigurationError } from './errors';
import { errorOf, isRetryable, isThrottle } from './signed-request-errors';

export { AwsCallError } from './signed-request-errors';

/** The service a request goes to. */
export interface AwsService {
  /** The SigV4 signing name: `s3`, `lambda`. */
  signingName: string;
  /** The service's part of AWS_ENDPOINT_URL_<SERVICE>: `S3`, `LAMBDA`. */
  endpointId: string;
  /** S3 alone signs the path as it is sent (no second URI encoding). */
  singleEncodedPath?: boolean;
}

/** A request before it is signed; `path` is already URI-encoded. */
export interface AwsRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** The service's host in AWS (`lambda.us-east-1.amazonaws.com`); a configured endpoint replaces it. */
  hostname: string;
  path: string;
  /** With a configured endpoint, the part of the AWS host that goes in front of the path instead (S3's bucket). */
  pathPrefix?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

/** A response of status 2xx (3xx and above are thrown as AwsCallError). */
export interface AwsResponse {
  statusCode: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: Buffer;
}

/** How a response is read. */
export interface SendOptions {
  /** A larger body is refused (BodyTooLargeError) and not retried. */
  maxBodyBytes?: number;
  /**
   * S3's copy and CompleteMultipartUpload may answer 200 with an <Error> body: read it as that error (and retry it
   * when it is transient). https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
   */
  errorIn200?: boolean;
  /**
   * Called before each attempt after the first: an answer it gives ends the call as that answer, without sending
   * again (RegisterTaskDefinition finds what a lost attempt registered, render/register.ts).
   */
  beforeRetry?: () => Promise<AwsResponse | undefined>;
  /**
   * Ends the call, wherever it is (an attempt in flight, a backoff), with an error named AbortError, which is never
   * retried: as the SDK's `send(command, {abortSignal})` does (RunHooks' budget for a synchronous Invoke).
   */
  abortSignal?: AbortSignal;
}

/** Sends a request to one service, signed, with retries; tests may wrap it to watch or change the requests. */
export interface AwsSender {
  region: string;
  send(request: AwsRequest, options?: SendOptions): Promise<AwsResponse>;
}

/** SigV4's hash, with node:crypto (the SDK's @smithy/hash-node does the same). */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** The body is larger than the caller reads: never retried. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError' as const;
}

/** The endpoint configured for the service (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL), if any. */
export function configuredEndpoint(service: AwsService): URL | undefined {
  const value = process.env[`AWS_ENDPOINT_URL_${service.endpointId}`] || process.env.AWS_ENDPOINT_URL;
  return value ? new URL(value) : undefined;
}

/** The DNS suffix of the Region's partition (the China Regions have their own). */
export function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
}

/** A sender for `service` in the function's Region (AWS_REGION), with the timeouts and attempts of `settings`. */
export function awsSender(service: AwsService, settings: ClientSettings = API_CALLS): AwsSender {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || '';
  const config = clientConfig(settings);
  const http = new NodeHttpHandler(config.requestHandler);
  const signer = new SignatureV4({
    credentials: fromEnv(),
    region,
    service: service.signingName,
    sha256: Sha256,
    uriEscapePath: !service.singleEncodedPath,
    applyChecksum: true,
  });
  const endpoint = configuredEndpoint(service);

  const once = async (
    request: AwsRequest,
    maxBodyBytes: number,
    errorIn200: boolean,
    abortSignal: AbortSignal | undefined,
  ): Promise<AwsResponse> => {
    const target = endpoint
      ? {
          protocol: endpoint.protocol,
          hostname: endpoint.hostname,
          port: endpoint.port ? Number(endpoint.port) : undefined,
          path: `${endpoint.pathname.replace(/\/$/, '')}${request.pathPrefix ?? ''}${request.path}`,
        }
      : { protocol: 'https:', hostname: request.hostname, port: undefined, path: request.path };
    const host = target.port ? `${target.hostname}:${target.port}` : target.hostname;
    const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
    const unsigned = new HttpRequest({
      ...target,
      method: request.method,
      query: request.query ?? {},
      headers: {
        ...request.headers,
        host,
        ...(body ? { 'content-length': String(body.length) } : {}),
      },
      ...(body ? { body } : {}),
    });
    const signed = await signer.sign(unsigned);
    const { response } = await http.handle(signed as HttpRequest, abortSignal ? { abortSignal } : {});
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) headers[name.toLowerCase()] = String(value);
    const stream = response.body as IncomingMessage | undefined;
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const length = Number(headers['content-length']);
    if (ok && request.method !== 'HEAD' && length > maxBodyBytes) {
      stream?.destroy();
      throw new BodyTooLargeError(`${length} bytes, over the ${maxBodyBytes} bytes this step reads`);
    }
    const bytes = request.method === 'HEAD' ? Buffer.alloc(0) : await readBody(stream, maxBodyBytes);
    if (!ok || (errorIn200 && /^(<\?xml[^>]*>)?\s*<Error>/.test(bytes.toString('utf8', 0, 200)))) {
      throw errorOf(response.statusCode, headers, bytes);
    }
    return { statusCode: response.statusCode, headers, body: bytes };
  };

  return {
    region,
    async send(request, options = {}) {
      if (!region) {
        throw new ConfigurationError(
          `AWS_REGION is not set: Lambda sets it for every function; to run a handler elsewhere, set AWS_REGION (a ${service.signingName} call)`,
        );
      }
      const maxBodyBytes = options.maxBodyBytes ?? Number.MAX_SAFE_INTEGER;
      const { abortSignal } = options;
      for (let attempt = 1; ; attempt++) {
        try {
          if (abortSignal?.aborted) throw abortError();
          const instead = attempt > 1 ? await options.beforeRetry?.() : undefined;
          if (instead) return instead;
          return await once(request, maxBodyBytes, options.errorIn200 === true, abortSignal);
        } catch (error) {
          if (!isRetryable(error) || attempt >= config.maxAttempts) throw error;
          // Full jitter: a random wait up to 2^attempt times the base, which is longer after throttling.
          const base = isThrottle(error) ? 500 : 100;
          const cap = Math.min(20_000, base * 2 ** (attempt - 1));
          await backoff(Math.random() * cap, abortSignal);
        }
      }
    },
  };
}

/** What an aborted call throws, named as the SDK names it. */
function abortError(): Error {
  return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
}

/** The wait before a retry, cut short by an abort (the next attempt then throws AbortError). */
function backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The response body, refused beyond `maxBytes` (a body without a Content-Length is counted as it comes). */
async function readBody(stream: IncomingMessage | undefined, maxBytes: number): Promise<Buffer> {
  if (!stream) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new BodyTooLargeError(`over the ${maxBytes} bytes this step reads`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
