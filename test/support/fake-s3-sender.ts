/**
 * An S3 that answers the signed requests of functions/lib/shared/s3-read.ts and functions/lib/source/s3-write.ts in
 * memory, for unit tests of ArchiveSource: HeadObject answers `head` (404 NotFound when unset), every write
 * succeeds with version "v1", and each request is recorded.
 */

import type { S3Reader } from '../../functions/lib/shared/s3-read';
import type { AwsRequest, AwsResponse } from '../../functions/lib/shared/signed-request';
import { AwsCallError } from '../../functions/lib/shared/signed-request';

/** A PutObject as the test reads it (the SDK input's names). */
export interface RecordedPut {
  Bucket: string;
  Key: string;
  Body: Buffer;
  ContentType: string | undefined;
  Metadata: Record<string, string>;
}

export interface FakeS3 {
  s3: S3Reader;
  requests: AwsRequest[];
  /** HeadObject's answer; unset: 404 NotFound, as S3 answers for a missing key. */
  head?: { versionId?: string; contentLength?: number; metadata: Record<string, string> };
  /** The PutObject requests of whole objects, in order. */
  puts(): RecordedPut[];
  /** Objects written: PutObject and CreateMultipartUpload requests. */
  writes(): number;
}

function metadataOf(headers: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('x-amz-meta-'))
      .map(([name, value]) => [name.slice('x-amz-meta-'.length), value]),
  );
}

/** A fresh in-memory S3. */
export function fakeS3(): FakeS3 {
  const fake: FakeS3 = {
    requests: [],
    s3: {
      region: 'us-east-1',
      send: async (request): Promise<AwsResponse> => {
        fake.requests.push(request);
        const ok = (headers: Record<string, string> = {}, body = '') => ({
          statusCode: 200,
          headers,
          body: Buffer.from(body),
        });
        if (request.method === 'HEAD') {
          if (!fake.head) throw new AwsCallError('NotFound', 'HTTP 404', 404);
          return ok({
            ...(fake.head.versionId ? { 'x-amz-version-id': fake.head.versionId } : {}),
            'content-length': String(fake.head.contentLength ?? 0),
            ...Object.fromEntries(Object.entries(fake.head.metadata).map(([k, v]) => [`x-amz-meta-${k}`, v])),
          });
        }
        if (request.method === 'POST' && 'uploads' in (request.query ?? {}))
          return ok(
            {},
            '<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
          );
        if (request.method === 'PUT' && 'partNumber' in (request.query ?? {})) return ok({ etag: '"part"' });
        return ok({ 'x-amz-version-id': 'v1', etag: '"object"' });
      },
    },
    puts: () =>
      fake.requests
        .filter(
          (r) =>
            r.method === 'PUT' && !('partNumber' in (r.query ?? {})) && !r.headers?.['x-amz-copy-source'],
        )
        .map((r) => ({
          Bucket: r.hostname.split('.')[0] ?? '',
          Key: decodeURIComponent(r.path.slice(1)),
          Body: Buffer.from(r.body ?? ''),
          ContentType: r.headers?.['content-type'],
          Metadata: metadataOf(r.headers),
        })),
    writes: () =>
      fake.puts().length +
      fake.requests.filter((r) => r.method === 'POST' && 'uploads' in (r.query ?? {})).length,
  };
  return fake;
}
