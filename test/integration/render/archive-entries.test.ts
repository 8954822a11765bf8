/**
 * Render reads only the files it needs from the artifacts in S3, by ranged GetObjects against the emulator
 * (functions/lib/render/archive-entries.ts): the bytes fetched from a large archive stay a few KiB, the version
 * recorded is the one read, and an oversized, corrupt or empty object fails naming the object and the fix.
 */
import { randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalStack } from '../../../cli/local/local-stack';
import { MAX_FILE_BYTES, readArchiveFiles } from '../../../functions/lib/render/archive-entries';
import { InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { type S3Reader, s3Reader } from '../../../functions/lib/shared/s3-read';
import { zipToBuffer } from '../../../functions/lib/zip/write';
import { useMoto } from '../../support/moto';

const TASKDEF = '{"family": "web"}\n';
const APPSPEC = 'version: 0.0\n';

/** An S3 reader that records the Range of each GetObject it sends. */
function countingS3() {
  const reader = s3Reader();
  const ranges: string[] = [];
  const s3: S3Reader = {
    ...reader,
    send: (request, options) => {
      if (request.headers?.range) ranges.push(request.headers.range);
      return reader.send(request, options);
    },
  };
  return { s3, ranges };
}

describe('readArchiveFiles', () => {
  useMoto();
  const plain = s3Reader();
  const writer = new S3Client({});
  let bucket: string;

  beforeEach(async () => {
    bucket = (await createLocalStack({})).resources.ArtifactBucket as string;
  });

  async function put(key: string, body: Buffer) {
    const out = await writer.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { bucket, key, versionId: out.VersionId ?? null };
  }

  async function zipOf(files: Record<string, Buffer | string>) {
    const entries = Object.entries(files).map(([path, data]) => ({
      path,
      mode: 'file' as const,
      data: Buffer.from(data),
    }));
    return (await zipToBuffer(entries, { mtime: new Date('2026-12-01T00:00:00Z') })).zip;
  }

  it('reads two small files of a 24 MiB archive with a few KiB of ranged GetObjects', async () => {
    const zip = await zipOf({
      'taskdef.json': TASKDEF,
      'vendor/blob.bin': randomBytes(24 * 1024 * 1024),
      'appspec.yaml': APPSPEC,
    });
    const location = await put('source/big.zip', zip);
    const { s3, ranges } = countingS3();

    const read = await readArchiveFiles(
      s3,
      location,
      ['taskdef.json', 'appspec.yaml', 'absent.json'],
      'the source archive',
    );

    expect(Object.fromEntries([...read.files].map(([path, data]) => [path, data.toString()]))).toEqual({
      'taskdef.json': TASKDEF,
      'appspec.yaml': APPSPEC,
    });
    expect(read.size).toBe(zip.length);
    // The end (central directory and appspec.yaml), then the start, where taskdef.json is.
    expect(ranges).toEqual(['bytes=-16384', 'bytes=0-8191']);
    expect(read.fetched).toEqual({ requests: 2, bytes: 16 * 1024 + 8 * 1024 });
  });

  it('reads the version it is given, not the newest', async () => {
    const first = await put(
      'build/app/build.zip',
      await zipOf({ 'imageDetail.json': '{"ImageURI": "a:1"}' }),
    );
    await put('build/app/build.zip', await zipOf({ 'imageDetail.json': '{"ImageURI": "b:2"}' }));

    const read = await readArchiveFiles(plain, first, ['imageDetail.json'], 'the build output artifact');

    expect(read.files.get('imageDetail.json')?.toString()).toBe('{"ImageURI": "a:1"}');
  });

  it('reads a whole small archive in its first GetObject', async () => {
    const location = await put('source/small.zip', await zipOf({ 'taskdef.json': TASKDEF }));
    const { s3, ranges } = countingS3();

    const read = await readArchiveFiles(
      s3,
      { ...location, versionId: null },
      ['taskdef.json'],
      'the source archive',
    );

    expect(read.files.get('taskdef.json')?.toString()).toBe(TASKDEF);
    expect(ranges).toEqual(['bytes=-16384']);
  });

  it('refuses a file over the size Render reads, naming the archive, the file and the settings', async () => {
    const location = await put('source/large-taskdef.zip', await zipOf({ 'taskdef.json': 'x'.repeat(2048) }));

    const reading = readArchiveFiles(plain, location, ['taskdef.json'], 'the source archive', {
      maxFileBytes: 1024,
    });

    await expect(reading).rejects.toThrow(InvalidInputError);
    await expect(reading).rejects.toThrow(
      `the source archive s3://${bucket}/source/large-taskdef.zip (version ${location.versionId}): taskdef.json ` +
        'states 2048 bytes, over the 1024 bytes Render reads for one file (task definition template, AppSpec, ' +
        'imageDetail.json): check that TaskDefinitionTemplatePath, AppSpecTemplatePath and ImagePlaceholders name ' +
        'those files',
    );
    expect(MAX_FILE_BYTES).toBe(8 * 1024 * 1024);
  });

  it('names the object when it is not a zip archive, or empty', async () => {
    const text = await put('build/app/not.zip', Buffer.from('this is not a zip archive'));
    const empty = await put('build/app/empty.zip', Buffer.alloc(0));

    await expect(readArchiveFiles(plain, text, ['x'], 'the build output artifact')).rejects.toThrow(
      `the build output artifact s3://${bucket}/build/app/not.zip (version ${text.versionId}): cannot read the zip ` +
        'archive: no end of central directory record (not a zip archive, or truncated)',
    );
    await expect(readArchiveFiles(plain, empty, ['x'], 'the build output artifact')).rejects.toThrow(
      /build\/app\/empty\.zip .*: cannot read the zip archive: no end of central directory record/,
    );
  });

  it('fails rather than mix two archives when an unversioned object is replaced while it is read', async () => {
    const zip = await zipOf({ 'taskdef.json': TASKDEF, 'vendor/blob.bin': randomBytes(64 * 1024), z: 'z' });
    const location = { ...(await put('source/replaced.zip', zip)), versionId: null };
    const reader = s3Reader();
    // After the first GetObject (the end of the archive), another archive takes the key.
    let gets = 0;
    const s3: S3Reader = {
      ...reader,
      send: async (request, options) => {
        const out = await reader.send(request, options);
        gets += 1;
        if (gets === 1)
          await put('source/replaced.zip', await zipOf({ 'taskdef.json': '{"family": "other"}' }));
        return out;
      },
    };

    const reading = readArchiveFiles(s3, location, ['taskdef.json'], 'the source archive');
    await expect(reading).rejects.toThrow(TransientAwsError);
    await expect(reading).rejects.toThrow(
      /^the source archive s3:\/\/.*\/source\/replaced\.zip changed while it was read \(If-Match "[0-9a-f]+"\)$/,
    );
  });
});
