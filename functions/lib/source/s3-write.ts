/**
 * The S3 writes of ArchiveSource without @aws-sdk/client-s3 and lib-storage, on the signed requests of
 * shared/signed-request.ts (the same sender as shared/s3-read.ts): PutObject, a multipart upload's four calls, and
 * the copies that add the sha256 to the object's metadata. Each body is a Buffer, so a retried attempt resends it
 * whole; its SHA-256 is signed (x-amz-content-sha256), which S3 checks against the bytes it receives
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html).
 * API reference: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html, API_CreateMultipartUpload.html,
 * API_UploadPart.html, API_UploadPartCopy.html, API_CompleteMultipartUpload.html, API_AbortMultipartUpload.html,
 * API_CopyObject.html (a copy or a completion may answer 200 with an <Error>: read as that error).
 */

import { type S3ObjectRef, type S3Reader, s3Request } from '../shared/s3-read';
import type { AwsResponse } from '../shared/signed-request';

/** The S3 sender of ArchiveSource (s3Reader(TRANSFERS)). */
export type S3Writer = S3Reader;

/** An object's content type and user metadata, fixed when it is written. */
export interface ObjectHeaders {
  contentType: string;
  metadata: Record<string, string>;
}

/** A part of a multipart upload, as CompleteMultipartUpload lists it. */
export interface UploadedPart {
  partNumber: number;
  etag: string;
}

function headersOf(object: ObjectHeaders): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': object.contentType };
  for (const [name, value] of Object.entries(object.metadata))
    headers[`x-amz-meta-${name.toLowerCase()}`] = value;
  return headers;
}

function xmlText(body: Buffer, tag: string): string | undefined {
  const raw = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(body.toString('utf8'))?.[1];
  return raw
    ?.replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const versionOf = (response: AwsResponse) => response.headers['x-amz-version-id'];

/** The x-amz-copy-source of an object: bucket and URL-encoded key, with its version when it has one. */
export function copySource(object: S3ObjectRef): string {
  const key = object.key.split('/').map(encodeURIComponent).join('/');
  return `${object.bucket}/${key}${object.versionId ? `?versionId=${encodeURIComponent(object.versionId)}` : ''}`;
}

/** PutObject of a whole body; returns the new version id (none when the bucket is unversioned). */
export async function putObject(
  s3: S3Writer,
  object: S3ObjectRef,
  body: Buffer,
  headers: ObjectHeaders,
): Promise<string | undefined> {
  return versionOf(await s3.send({ ...s3Request(s3, 'PUT', object, headersOf(headers)), body }));
}

/** CreateMultipartUpload; returns the upload id. */
export async function createMultipartUpload(
  s3: S3Writer,
  object: S3ObjectRef,
  headers: ObjectHeaders,
): Promise<string> {
  const response = await s3.send(s3Request(s3, 'POST', object, headersOf(headers), { uploads: '' }));
  const uploadId = xmlText(response.body, 'UploadId');
  if (!uploadId) throw new Error(`S3 CreateMultipartUpload answered without an UploadId: ${response.body}`);
  return uploadId;
}

/** UploadPart; returns the part's ETag. */
export async function uploadPart(
  s3: S3Writer,
  object: S3ObjectRef,
  part: { uploadId: string; partNumber: number; body: Buffer },
): Promise<string> {
  const query = { partNumber: String(part.partNumber), uploadId: part.uploadId };
  const response = await s3.send({ ...s3Request(s3, 'PUT', object, {}, query), body: part.body });
  const etag = response.headers.etag;
  if (!etag) throw new Error(`S3 UploadPart ${part.partNumber} answered without an ETag`);
  return etag;
}

/** UploadPartCopy of `range` (`bytes=0-99`) of `source`; returns the part's ETag. */
export async function uploadPartCopy(
  s3: S3Writer,
  object: S3ObjectRef,
  part: { uploadId: string; partNumber: number; source: string; range: string },
): Promise<string> {
  const query = { partNumber: String(part.partNumber), uploadId: part.uploadId };
  const headers = { 'x-amz-copy-source': part.source, 'x-amz-copy-source-range': part.range };
  const response = await s3.send(s3Request(s3, 'PUT', object, headers, query), { errorIn200: true });
  const etag = xmlText(response.body, 'ETag');
  if (!etag)
    throw new Error(`S3 UploadPartCopy ${part.partNumber} answered without an ETag: ${response.body}`);
  return etag;
}

/** CompleteMultipartUpload of `parts` (in part order); returns the new version id. */
export async function completeMultipartUpload(
  s3: S3Writer,
  object: S3ObjectRef,
  uploadId: string,
  parts: UploadedPart[],
): Promise<string | undefined> {
  const listed = [...parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((p) => `<Part><PartNumber>${p.partNumber}</PartNumber><ETag>${escapeXml(p.etag)}</ETag></Part>`);
  const body = `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${listed.join('')}</CompleteMultipartUpload>`;
  const request = s3Request(s3, 'POST', object, { 'content-type': 'application/xml' }, { uploadId });
  return versionOf(await s3.send({ ...request, body }, { errorIn200: true }));
}

/** AbortMultipartUpload: S3 drops the parts uploaded so far. */
export async function abortMultipartUpload(
  s3: S3Writer,
  object: S3ObjectRef,
  uploadId: string,
): Promise<void> {
  await s3.send(s3Request(s3, 'DELETE', object, {}, { uploadId }));
}

/**
 * CopyObject of `source` onto `object` with new metadata (MetadataDirective REPLACE) and a full-object CRC32
 * checksum; returns the new version id.
 */
export async function copyObject(
  s3: S3Writer,
  object: S3ObjectRef,
  source: string,
  headers: ObjectHeaders,
): Promise<string | undefined> {
  const request = s3Request(s3, 'PUT', object, {
    ...headersOf(headers),
    'x-amz-copy-source': source,
    'x-amz-metadata-directive': 'REPLACE',
    'x-amz-checksum-algorithm': 'CRC32',
  });
  return versionOf(await s3.send(request, { errorIn200: true }));
}
