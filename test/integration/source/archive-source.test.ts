import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CodeCommitClient, GetBlobCommand } from '@aws-sdk/client-codecommit';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { TRANSFERS } from '../../../functions/lib/shared/aws-clients';
import { type S3Reader, s3Reader } from '../../../functions/lib/shared/s3-read';
import { type ArchiveInput, archiveCommit } from '../../../functions/lib/source/archive-source';
import { createCodeCommitClient } from '../../../functions/lib/source/codecommit-client';
import {
  type FakeRepository,
  fakeCodeCommit,
  mockCodeCommit,
  sampleRepository,
} from '../../support/fake-codecommit';
import { useMoto } from '../../support/moto';
import { readZip } from '../../support/zip-reader';

const MODES = { file: 0o100644, executable: 0o100755, symlink: 0o120777 } as const;
const BUCKET = 'switchyard-artifacts';
const MiB = 1024 * 1024;

/** The sample repository plus `count` incompressible files of `size` bytes: a tree whose zip needs several parts. */
function largeRepository(count: number, size: number): FakeRepository {
  const repo = sampleRepository();
  for (let i = 0; i < count; i += 1) repo.files[`assets/blob-${i}.bin`] = { content: randomBytes(size) };
  return repo;
}

/** The zip holds exactly the repository's files: paths in byte order, modes and contents. */
function expectTree(zip: Buffer, repo: FakeRepository): void {
  const actual = readZip(zip).map((e) => [e.path, e.mode, createHash('sha1').update(e.data).digest('hex')]);
  const expected = Object.entries(repo.files)
    .map(([path, file]) => [
      path,
      MODES[file.mode ?? 'file'],
      createHash('sha1').update(file.content).digest('hex'),
    ])
    .sort((a, b) => Buffer.compare(Buffer.from(String(a[0])), Buffer.from(String(b[0]))));
  expect(actual).toEqual(expected);
}

/** Commits the fake repository's files, modes and author date to a new git repository; returns its path and commit. */
function gitRepository(repo: FakeRepository): { dir: string; commitId: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-archive-'));
  const date = `${Math.floor(Date.parse(repo.author.date) / 1000)} +0000`;
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: repo.author.name,
    GIT_AUTHOR_EMAIL: repo.author.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: repo.author.name,
    GIT_COMMITTER_EMAIL: repo.author.email,
    GIT_COMMITTER_DATE: date,
  };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
  git('init', '--quiet', `--initial-branch=${repo.branch}`);
  for (const [path, file] of Object.entries(repo.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    if (file.mode === 'symlink') symlinkSync(String(file.content), join(dir, path));
    else writeFileSync(join(dir, path), file.content);
    if (file.mode === 'executable') chmodSync(join(dir, path), 0o755);
  }
  git('add', '--all');
  git('commit', '--quiet', '--message', repo.message);
  return { dir, commitId: git('rev-parse', 'HEAD') };
}

describe('archiveCommit against moto S3 (CodeCommit mocked)', () => {
  useMoto();
  const s3 = new S3Client({});
  let codecommit: ReturnType<typeof mockCodeCommit> | undefined;

  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });
  const archive = (repo: FakeRepository, overrides: Partial<ArchiveInput> = {}) => {
    codecommit ??= mockCodeCommit(repo);
    return archiveCommit({
      codecommit: new CodeCommitClient({}),
      s3: s3Reader(TRANSFERS),
      bucket: BUCKET,
      repository: repo.name,
      commitId: repo.commitId,
      ...overrides,
    });
  };
  const download = async (key: string, versionId?: string) => {
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, VersionId: versionId }));
    return {
      body: Buffer.from((await object.Body?.transformToByteArray()) ?? []),
      metadata: object.Metadata,
    };
  };
  const versions = async () =>
    (await s3.send(new ListObjectVersionsCommand({ Bucket: BUCKET }))).Versions ?? [];
  afterEach(() => {
    codecommit?.restore();
    codecommit = undefined;
  });

  it('stores a zip of exactly the tree, with sha256, file count and commit id as metadata', async () => {
    const repo = sampleRepository();

    const result = await archive(repo);

    const { body, metadata } = await download(result.key, result.versionId ?? undefined);
    expectTree(body, repo);
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(result).toMatchObject({ sha256, bytes: body.length, files: 9, reused: false });
    expect(result.versionId).toEqual(expect.any(String));
    expect(metadata).toEqual({ sha256, files: '9', 'commit-id': repo.commitId });
  });

  it('reuses the stored artifact on a second run: same version, no new upload', async () => {
    const repo = sampleRepository();
    const first = await archive(repo);

    const second = await archive(repo);

    expect(second).toEqual({ ...first, reused: true });
    expect(await versions()).toHaveLength(1);
  });

  it('uploads a large tree in parts, then adds the sha256 by copying the object onto itself', async () => {
    const repo = largeRepository(3, 4 * MiB);

    const result = await archive(repo, { tuning: { partSize: 5 * MiB } });

    const [latest, uploaded] = await versions();
    expect(uploaded?.ETag).toMatch(/-3"$/);
    expect(latest?.VersionId).toBe(result.versionId);
    const { body, metadata } = await download(result.key);
    expectTree(body, repo);
    expect(metadata).toEqual({
      sha256: createHash('sha256').update(body).digest('hex'),
      files: String(Object.keys(repo.files).length),
      'commit-id': repo.commitId,
    });
    expect(await archive(repo)).toMatchObject({ reused: true, versionId: result.versionId });
  });

  it('copies with UploadPartCopy when the archive is over the CopyObject limit (lowered here)', async () => {
    const repo = largeRepository(3, 4 * MiB);

    const result = await archive(repo, { tuning: { partSize: 5 * MiB, copyLimit: 5 * MiB } });

    const { body, metadata } = await download(result.key);
    expectTree(body, repo);
    expect(metadata?.sha256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(await versions()).toHaveLength(2);
  });

  it('aborts the multipart upload when a file late in the tree is over 6 MB: no object, no parts left', async () => {
    const repo = largeRepository(4, 4 * MiB);
    repo.files['zz-late/too-big.bin'] = { content: Buffer.alloc(6 * MiB + 1, 7) };
    const calls: string[] = [];
    let partUploaded: () => void = () => undefined;
    const firstPart = new Promise<void>((resolve) => {
      partUploaded = resolve;
    });
    // The operation of each S3 request the archive sends, once it is answered.
    const reader = s3Reader(TRANSFERS);
    const recording: S3Reader = {
      ...reader,
      send: async (request, options) => {
        const output = await reader.send(request, options);
        const query = request.query ?? {};
        const operation =
          request.method === 'POST'
            ? 'uploads' in query
              ? 'CreateMultipartUpload'
              : 'CompleteMultipartUpload'
            : request.method === 'DELETE'
              ? 'AbortMultipartUpload'
              : request.method === 'PUT' && 'partNumber' in query
                ? 'UploadPart'
                : `${request.method}`;
        calls.push(operation);
        if (operation === 'UploadPart') partUploaded();
        return output;
      },
    };
    // The big blob is answered only once a part is in S3, so the failure surely comes mid-upload.
    const fake = fakeCodeCommit(repo);
    codecommit = mockCodeCommit(repo);
    codecommit.on(GetBlobCommand).callsFake(async (input: { blobId?: string }) => {
      if ((fake.blobs.get(input.blobId ?? '')?.length ?? 0) > 6 * MiB) await firstPart;
      return fake.getBlob(input);
    });

    const failure = archive(repo, { s3: recording, tuning: { partSize: 5 * MiB } });

    await expect(failure).rejects.toThrow(/file "zz-late\/too-big\.bin" .* it is 6291457 bytes, over/);
    expect(calls).toEqual(
      expect.arrayContaining(['CreateMultipartUpload', 'UploadPart', 'AbortMultipartUpload']),
    );
    expect(calls).not.toContain('CompleteMultipartUpload');
    expect(await versions()).toHaveLength(0);
    expect((await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET }))).Uploads ?? []).toHaveLength(
      0,
    );
  });
});

describe('archiveCommit from a git repository the emulator serves as CodeCommit, into moto S3', () => {
  const moto = useMoto();
  const s3 = new S3Client({});
  let served: { dir: string; commitId: string } | undefined;

  beforeEach(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  afterEach(() => {
    if (served) rmSync(served.dir, { recursive: true, force: true });
    served = undefined;
  });

  it("reads the tree over the wire with the handler's client and zips the same bytes as from the API mock", async () => {
    const repo = sampleRepository();
    served = gitRepository(repo);
    await moto.serveGitRepository({ name: repo.name, path: served.dir });

    const result = await archiveCommit({
      codecommit: createCodeCommitClient(),
      s3: s3Reader(TRANSFERS),
      bucket: BUCKET,
      repository: repo.name,
      commitId: served.commitId,
    });

    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: result.key }));
    const zip = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
    expectTree(zip, repo);
    expect(result).toMatchObject({
      key: `source/${repo.name}/${served.commitId}.zip`,
      sha256: createHash('sha256').update(zip).digest('hex'),
      files: Object.keys(repo.files).length,
      commit: { id: served.commitId, author: repo.author.name, timestamp: '2026-11-20T10:00:00.000Z' },
      reused: false,
      warnings: [],
    });
    // The same tree and commit date through the mocked API: an archive does not depend on where it was read.
    const mocked = mockCodeCommit(repo);
    try {
      const fromMock = await archiveCommit({
        codecommit: new CodeCommitClient({}),
        s3: s3Reader(TRANSFERS),
        bucket: BUCKET,
        repository: repo.name,
        commitId: repo.commitId,
      });
      expect(fromMock.sha256).toBe(result.sha256);
    } finally {
      mocked.restore();
    }
  });
});
