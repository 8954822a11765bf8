/**
 * S3 reads without @aws-sdk/client-s3 (its XML serde, checksums and S3 Express signing are most of a bundle that
 * only reads): GetObject, whole or by byte range, and HeadObject, signed and retried by signed-request.ts.
 * Errors keep the S3 codes the SDK would give them (NoSuchKey, AccessDenied, PreconditionFailed, InvalidRange;
 * NotFound and Forbidden for a HEAD, which has no body), with the HTTP status in `$metadata`.
 * - Addressing: virtual-hosted in AWS (`bucket.s3.region.amazonaws.com`), path-style on a configured endpoint (the
 *   emulator): https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
 * - GetObject's Range, If-Match and versionId, and the Content-Range and ETag of the answer:
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * - HeadObject (the user metadata comes as x-amz-meta-* headers): https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
 */
import { API_CALLS, type ClientSettings } from './aws-clients';
import { type AwsRequest, type AwsSender, awsSender, dnsSuffix } from './signed-request';

/** The S3 sender a handler creates once and passes to the reads. */
export type S3Reader = AwsSender;

/** The object a read is about. */
export interface S3ObjectRef {
  bucket: string;
  key: string;
  versionId?: string | null;
}

/** What a GetObject or HeadObject answered; `body` is empty for a HEAD. */
export interface S3ObjectRead {
  body: Buffer;
  /** The bytes of this answer (of the range, for a ranged read). */
  contentLength: number;
  /** `bytes 0-99/1234` for a ranged read. */
  contentRange?: string;
  etag?: string;
  versionId?: string;
  /** The user metadata (x-amz-meta-*), keys without the prefix. */
  metadata: Record<string, string>;
}

/** The S3 reader of a handler: `s3Reader()` for small ranged reads, `s3Reader(TRANSFERS)` for whole artifacts. */
export function s3Reader(settings: ClientSettings = API_CALLS): S3Reader {
  return awsSender({ signingName: 's3', endpointId: 'S3', singleEncodedPath: true }, settings);
}

/** S3's encoding of a key in a path: every byte but the unreserved ones and `/`. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((part) =>
      encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    )
    .join('/');
}

/** A bucket name that can be a DNS label under HTTPS (no dots: the certificate covers one level). */
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

/** The request of an S3 operation on `object` (its versionId, if any, added to `query`). */
export function s3Request(
  s3: S3Reader,
  method: AwsRequest['method'],
  object: S3ObjectRef,
  headers: Record<string, string>,
  query: Record<string, string> = {},
): AwsRequest {
  const host = `s3.${s3.region}.${dnsSuffix(s3.region)}`;
  const key = `/${encodeKey(object.key)}`;
  const virtual = VIRTUAL_HOSTABLE.test(object.bucket);
  return {
    method,
    hostname: virtual ? `${object.bucket}.${host}` : host,
    // A configured endpoint (the emulator) is addressed path-style: the bucket goes in front of the key.
    ...(virtual ? { pathPrefix: `/${object.bucket}` } : {}),
    path: virtual ? key : `/${object.bucket}${key}`,
    query: { ...query, ...(object.versionId ? { versionId: object.versionId } : {}) },
    headers,
  };
}

/** The object's headers as S3ObjectRead. */
export function objectRead(headers: Record<string, string>, body: Buffer): S3ObjectRead {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return {
    body,
    contentLength: Number(headers['content-length'] ?? body.length),
    ...(headers['content-range'] ? { contentRange: headers['content-range'] } : {}),
    ...(headers.etag ? { etag: headers.etag } : {}),
    ...(headers['x-amz-version-id'] ? { versionId: headers['x-amz-version-id'] } : {}),
    metadata,
  };
}

/**
 * GetObject: the whole object, or `range` (`bytes=0-99`, `bytes=-16384`); `ifMatch` fails with PreconditionFailed
 * when the object's ETag is another. A body over `maxBytes` is refused with BodyTooLargeError before it is read.
 */
export async function getObject(
  s3: S3Reader,
  object: S3ObjectRef,
  options: { range?: string; ifMatch?: string; maxBytes?: number } = {},
): Promise<S3ObjectRead> {
  const headers: Record<string, string> = {
    ...(options.range ? { range: options.range } : {}),
    ...(options.ifMatch ? { 'if-match': options.ifMatch } : {}),
  };
  const response = await s3.send(s3Request(s3, 'GET', object, headers), {
    ...(options.maxBytes !== undefined ? { maxBodyBytes: options.maxBytes } : {}),
  });
  return objectRead(response.headers, response.body);
}

/** HeadObject: the object's size, ETag, version and user metadata; a missing key throws NotFound (404). */
export async function headObject(s3: S3Reader, object: S3ObjectRef): Promise<S3ObjectRead> {
  const response = await s3.send(s3Request(s3, 'HEAD', object, {}));
  return objectRead(response.headers, response.body);
}
