/**
 * Reads the zip artifacts the pipeline keeps in S3 (the source archive, the build artifact) into memory: they
 * hold a repository's small text files, and a size limit guards against an artifact too large for that.
 */
import { asTransient, InvalidInputError } from '../shared/errors';
import { getObject, type S3Reader } from '../shared/s3-read';
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
  s3: S3Reader,
  location: ArtifactLocation,
): Promise<Map<string, Buffer>> {
  const where = `s3://${location.bucket}/${location.key}${location.versionId ? ` (version ${location.versionId})` : ''}`;
  const out = await getObject(s3, location, { maxBytes: MAX_ARTIFACT_BYTES }).catch((error: unknown) => {
    // The size is known from Content-Length before the body is read, so a huge artifact costs nothing.
    if (error instanceof Error && error.name === 'BodyTooLargeError') {
      throw new InvalidInputError(
        `${where} is ${error.message}; keep build artifacts to the files the pipeline needs (imageDetail.json)`,
      );
    }
    throw asTransient(`GetObject ${where}`, error);
  });
  const entries = await readZipEntries(out.body);
  return new Map(entries.filter((entry) => entry.kind === 'file').map((entry) => [entry.path, entry.data]));
}
