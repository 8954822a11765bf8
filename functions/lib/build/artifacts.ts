/**
 * Reads the zip artifacts the pipeline keeps in S3 (the source archive, the build artifact) into memory: they
 * hold a repository's small text files, and a size limit guards against an artifact too large for that.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { asTransient, InvalidInputError } from '../shared/errors';
import { readZipEntries } from '../zip/read';

/** Where an artifact is. */
export interface ArtifactLocation {
  bucket: string;
  key: string;
  versionId?: string | null;
}

/** The largest artifact read into memory (the function has 512 MB). */
export const MAX_ARTIFACT_BYTES = 128 * 1024 * 1024;

/** Downloads a zip artifact and returns its files (path → content); directories and symlinks are left out. */
export async function readZipArtifact(
  s3: S3Client,
  location: ArtifactLocation,
): Promise<Map<string, Buffer>> {
  const where = `s3://${location.bucket}/${location.key}${location.versionId ? ` (version ${location.versionId})` : ''}`;
  const out = await s3
    .send(
      new GetObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        ...(location.versionId ? { VersionId: location.versionId } : {}),
      }),
    )
    .catch((error: unknown) => {
      throw asTransient(`GetObject ${where}`, error);
    });
  if ((out.ContentLength ?? 0) > MAX_ARTIFACT_BYTES) {
    throw new InvalidInputError(
      `${where} is ${out.ContentLength} bytes, over the ${MAX_ARTIFACT_BYTES} bytes this step reads; keep build artifacts to the files the pipeline needs (imageDetail.json)`,
    );
  }
  const body = out.Body as { transformToByteArray(): Promise<Uint8Array> } | undefined;
  if (!body) throw new InvalidInputError(`${where} has no body`);
  const entries = await readZipEntries(Buffer.from(await body.transformToByteArray()));
  return new Map(entries.filter((entry) => entry.kind === 'file').map((entry) => [entry.path, entry.data]));
}
