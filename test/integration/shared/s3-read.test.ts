/**
 * The S3 reads without the SDK client (functions/lib/shared/s3-read.ts) against the emulator: real signed
 * requests with the worker's credentials, ranged and versioned GETs, HEAD with user metadata, the error names the
 * callers and errors.ts's isTransient read, and S3's throttling and 500s retried (the emulator's fault control).
 */
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { faultCounts, setFaults } from '../../../cli/emulator/moto-faults';
import { isTransient } from '../../../functions/lib/shared/errors';
import { getObject, headObject, s3Reader } from '../../../functions/lib/shared/s3-read';
import { useMoto } from '../../support/moto';

const BUCKET = 'switchyard-s3-read';
const writer = new S3Client({});

async function put(key: string, body: string, metadata?: Record<string, string>) {
  const out = await writer.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: key,
      Body: body,
      ...(metadata ? { Metadata: metadata } : {}),
    }),
  );
  return { etag: out.ETag as string, versionId: out.VersionId as string };
}

async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('s3-read against the emulator', () => {
  const moto = useMoto();

  beforeEach(async () => {
    await writer.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await writer.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });

  afterEach(async () => {
    await setFaults(moto.endpoint, []);
  });

  it('reads a byte range and a suffix range, with the size, ETag and version of the object', async () => {
    const { etag, versionId } = await put('dir/a b+c (1)!.txt', '0123456789abcdef');
    const s3 = s3Reader();
    const object = { bucket: BUCKET, key: 'dir/a b+c (1)!.txt' };

    const middle = await getObject(s3, object, { range: 'bytes=2-5' });
    expect(middle.body.toString()).toBe('2345');
    expect(middle).toMatchObject({ contentLength: 4, contentRange: 'bytes 2-5/16', etag, versionId });

    const end = await getObject(s3, object, { range: 'bytes=-3' });
    expect(end.body.toString()).toBe('def');
    expect(end.contentRange).toBe('bytes 13-15/16');

    const whole = await getObject(s3, object, { ifMatch: etag });
    expect(whole.body.toString()).toBe('0123456789abcdef');
    expect(whole.contentRange).toBeUndefined();
  });

  it('reads the version asked for, and HEAD gives the user metadata', async () => {
    const first = await put('v.txt', 'first', { 'commit-id': 'abc', sha256: 'f'.repeat(64) });
    await put('v.txt', 'second');
    const s3 = s3Reader();
    const old = await getObject(s3, { bucket: BUCKET, key: 'v.txt', versionId: first.versionId });
    expect(old.body.toString()).toBe('first');
    const head = await headObject(s3, { bucket: BUCKET, key: 'v.txt', versionId: first.versionId });
    expect(head).toMatchObject({
      body: Buffer.alloc(0),
      contentLength: 5,
      etag: first.etag,
      versionId: first.versionId,
      metadata: { 'commit-id': 'abc', sha256: 'f'.repeat(64) },
    });
  });

  it('names a missing key NoSuchKey (GET) and NotFound (HEAD), a changed object PreconditionFailed, none transient', async () => {
    await put('here.txt', 'here');
    const s3 = s3Reader();
    const missing = await rejection(getObject(s3, { bucket: BUCKET, key: 'nowhere.txt' }));
    expect({ name: missing.name, status: missing.$metadata?.httpStatusCode }).toEqual({
      name: 'NoSuchKey',
      status: 404,
    });
    const head = await rejection(headObject(s3, { bucket: BUCKET, key: 'nowhere.txt' }));
    expect({ name: head.name, status: head.$metadata?.httpStatusCode }).toEqual({
      name: 'NotFound',
      status: 404,
    });
    const changed = await rejection(
      getObject(s3, { bucket: BUCKET, key: 'here.txt' }, { ifMatch: '"0000"' }),
    );
    expect(changed.name).toBe('PreconditionFailed');
    expect([missing, head, changed].some(isTransient)).toBe(false);
  });

  it('refuses a body larger than the caller reads, before reading it', async () => {
    await put('big.txt', 'x'.repeat(1000));
    const reading = getObject(s3Reader(), { bucket: BUCKET, key: 'big.txt' }, { maxBytes: 999 });
    await expect(reading).rejects.toThrow('1000 bytes, over the 999 bytes this step reads');
    await expect(reading).rejects.toMatchObject({ name: 'BodyTooLargeError' });
  });

  describe('with the SDK standard retry (three attempts)', () => {
    const saved = process.env.AWS_MAX_ATTEMPTS;
    beforeEach(() => {
      process.env.AWS_MAX_ATTEMPTS = '3';
    });
    afterEach(() => {
      process.env.AWS_MAX_ATTEMPTS = saved;
    });

    it.each([
      ['throttle', 'SlowDown', 503],
      ['500', 'InternalError', 500],
    ] as const)('tries a %s three times, then fails transient', async (error, name, status) => {
      await put('t.txt', 'throttled');
      await setFaults(moto.endpoint, [{ service: 's3', rate: 1, error }]);
      const failure = await rejection(getObject(s3Reader(), { bucket: BUCKET, key: 't.txt' }));
      expect({ name: failure.name, status: failure.$metadata?.httpStatusCode }).toEqual({ name, status });
      expect(isTransient(failure)).toBe(true);
      expect((await faultCounts(moto.endpoint)).total).toBe(3);
    });

    it('gets through when a later attempt is answered', async () => {
      await put('t.txt', 'throttled');
      // Seed 2 fails the first GET of the key and lets the second through (the draws depend only on the seed).
      await setFaults(moto.endpoint, [{ service: 's3', rate: 0.5, error: 'throttle' }], 2);
      const read = await getObject(s3Reader(), { bucket: BUCKET, key: 't.txt' });
      expect(read.body.toString()).toBe('throttled');
      const counts = await faultCounts(moto.endpoint);
      expect(counts.faults).toEqual([
        { service: 's3', operation: `GET /${BUCKET}/t.txt`, when: 'before', error: 'throttle', count: 1 },
      ]);
      expect(counts.calls).toEqual([{ service: 's3', operation: `GET /${BUCKET}/t.txt`, count: 2 }]);
    });
  });
});
