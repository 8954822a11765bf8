import { createHash } from 'node:crypto';
import {
  CodeCommitClient,
  FileTooLargeException,
  GetBlobCommand,
  GetCommitCommand,
  GetFolderCommand,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { SourceError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { type ArchiveInput, archiveCommit } from '../../../functions/lib/source/archive-source';
import { type FakeRepository, fakeCodeCommit, sampleRepository } from '../../support/fake-codecommit';
import { fakeS3, type RecordedPut } from '../../support/fake-s3-sender';
import { readZip } from '../../support/zip-reader';

const MODES = { file: 0o100644, executable: 0o100755, symlink: 0o120777 } as const;
const BUCKET = 'artifacts';

const codecommitMock = mockClient(CodeCommitClient);
let s3 = fakeS3();

/** Answers CodeCommit calls from the fake repository; tests override single commands on top. */
function serve(repo: FakeRepository) {
  const fake = fakeCodeCommit(repo);
  codecommitMock.on(GetCommitCommand).callsFake(fake.getCommit);
  codecommitMock.on(GetFolderCommand).callsFake(fake.getFolder);
  codecommitMock.on(GetBlobCommand).callsFake(fake.getBlob);
  return fake;
}

function archive(repo: FakeRepository, overrides: Partial<ArchiveInput> = {}) {
  return archiveCommit({
    codecommit: new CodeCommitClient({}),
    s3: s3.s3,
    bucket: BUCKET,
    repository: repo.name,
    commitId: repo.commitId,
    ...overrides,
  });
}

/** A throttle as the SDK throws it once its retry middleware has given up (aws-sdk-client-mock skips that middleware). */
const throttledAfter = (attempts: number) =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { attempts } });
const uploadedBody = () => s3.puts()[0] as RecordedPut;
const s3Writes = () => s3.writes();

beforeEach(() => {
  codecommitMock.reset();
  s3 = fakeS3();
});

describe('archiveCommit', () => {
  it('zips exactly the tree: nested folders, an executable, a symlink, unicode names, an empty file', async () => {
    const repo = sampleRepository();
    serve(repo);

    const result = await archive(repo);

    const put = uploadedBody();
    const body = put.Body as Buffer;
    const entries = readZip(body).map((e) => [e.path, e.mode, e.data.toString('utf8')]);
    const expected = Object.entries(repo.files)
      .map(([path, file]) => [path, MODES[file.mode ?? 'file'], Buffer.from(file.content).toString('utf8')])
      .sort((a, b) => Buffer.compare(Buffer.from(String(a[0])), Buffer.from(String(b[0]))));
    expect(entries).toEqual(expected);
    const sha256 = createHash('sha256').update(body).digest('hex');
    expect(put).toMatchObject({
      Bucket: BUCKET,
      Key: `source/${repo.name}/${repo.commitId}.zip`,
      ContentType: 'application/zip',
      Metadata: { sha256, files: String(expected.length), 'commit-id': repo.commitId },
    });
    expect(result).toEqual({
      bucket: BUCKET,
      key: `source/${repo.name}/${repo.commitId}.zip`,
      versionId: 'v1',
      sha256,
      files: expected.length,
      bytes: body.length,
      commit: {
        id: repo.commitId,
        author: 'Ada Lovelace',
        message: repo.message,
        timestamp: '2026-11-20T10:00:00.000Z',
      },
      reused: false,
      warnings: [],
    });
  });

  it('gives the same bytes and sha256 every time for the same commit', async () => {
    const repo = sampleRepository();
    serve(repo);
    const first = await archive(repo);
    const firstBody = uploadedBody().Body as Buffer;
    s3.requests.length = 0;

    const second = await archive(repo, { concurrency: 1 });

    expect(second.sha256).toBe(first.sha256);
    expect((uploadedBody().Body as Buffer).equals(firstBody)).toBe(true);
  });

  it('checks the files where the settings say, and not those the build writes', async () => {
    const repo = sampleRepository();
    repo.files['ci/buildspec.yml'] = repo.files['buildspec.yml'] ?? { content: '' };
    delete repo.files['buildspec.yml'];
    delete repo.files['taskdef.json'];
    serve(repo);
    const layout = {
      buildspecPath: 'ci/buildspec.yml',
      taskDefinition: { path: 'taskdef.json', origin: 'BUILD' as const },
      appSpec: { path: 'appspec.yaml', origin: 'SOURCE' as const },
    };

    await expect(archive(repo, { layout })).resolves.toMatchObject({ reused: false });
    await expect(archive(repo, { layout: { ...layout, buildspecPath: 'buildspec.yml' } })).rejects.toThrow(
      /lacks buildspec\.yml \(stack parameter BuildspecPath\); the root holds: .*ci\//,
    );
  });

  it.each([
    ['buildspec.yml', /lacks buildspec\.yml \(stack parameter BuildspecPath\)/],
    ['taskdef.json', /lacks taskdef\.json \(stack parameter TaskDefinitionTemplatePath\)/],
    [
      'appspec.yaml',
      /lacks appspec\.yaml or appspec\.yml or appspec\.json \(stack parameter AppSpecTemplatePath\)/,
    ],
  ])(
    'fails with a SourceError before any S3 write when %s is missing, listing the root',
    async (missing, message) => {
      const repo = sampleRepository();
      delete repo.files[missing];
      serve(repo);

      const failure = archive(repo);

      await expect(failure).rejects.toThrow(SourceError);
      await expect(failure).rejects.toThrow(message);
      await expect(failure).rejects.toThrow(/the root holds: .*current, .*docs\/, .*scripts\/, src\//);
      expect(codecommitMock.commandCalls(GetBlobCommand)).toHaveLength(0);
      expect(s3Writes()).toBe(0);
    },
  );

  it.each(['appspec.json', 'appspec.yml'])('accepts %s instead of appspec.yaml', async (name) => {
    const repo = sampleRepository();
    repo.files[name] = { content: 'version: 0.0\n' };
    delete repo.files['appspec.yaml'];
    serve(repo);

    await expect(archive(repo)).resolves.toMatchObject({ reused: false });
  });

  it('names a file CodeCommit refuses as over 6 MB (FileTooLargeException), before any S3 write', async () => {
    const repo = sampleRepository();
    repo.files['assets/model.bin'] = { content: 'stand-in for a big file' };
    const fake = serve(repo);
    codecommitMock.on(GetBlobCommand).callsFake((input: { blobId?: string }) => {
      if (fake.blobs.get(input.blobId ?? '')?.toString() === 'stand-in for a big file') {
        throw new FileTooLargeException({ message: 'The file exceeds the size limit', $metadata: {} });
      }
      return fake.getBlob(input);
    });

    const failure = archive(repo);

    await expect(failure).rejects.toThrow(SourceError);
    await expect(failure).rejects.toThrow(
      /file "assets\/model\.bin" .* larger than the 6291456 bytes \(6 MB\) that CodeCommit GetBlob returns/,
    );
    expect(s3Writes()).toBe(0);
  });

  it('names a blob over 6 MB with its size when CodeCommit returns it anyway', async () => {
    const repo = sampleRepository();
    repo.files['big.bin'] = { content: Buffer.alloc(6 * 1024 * 1024 + 1) };
    serve(repo);

    await expect(archive(repo)).rejects.toThrow(
      /file "big\.bin" .* it is 6291457 bytes, over the 6291456 bytes \(6 MB\)/,
    );
    expect(s3Writes()).toBe(0);
  });

  // The retries themselves run in the SDK's middleware: test/unit/source/codecommit-client.test.ts.
  it("turns a throttle that outlasted the client's retries into a TransientAwsError naming the call", async () => {
    const repo = sampleRepository();
    serve(repo);
    codecommitMock.on(GetBlobCommand).rejects(throttledAfter(6));

    const failure = archive(repo);

    await expect(failure).rejects.toThrow(TransientAwsError);
    await expect(failure).rejects.toThrow(
      /GetBlob of ".*" .* still failed after 6 attempts \(last: ThrottlingException: Rate exceeded\)/,
    );
    const blobIds = codecommitMock.commandCalls(GetBlobCommand).map((call) => call.args[0].input.blobId);
    expect(new Set(blobIds).size).toBe(blobIds.length);
    expect(s3Writes()).toBe(0);
  });

  it('reuses the artifact already stored for the commit and reads no tree', async () => {
    const repo = sampleRepository();
    serve(repo);
    s3.head = {
      versionId: 'v0',
      contentLength: 1234,
      metadata: { 'commit-id': repo.commitId, sha256: 'ab'.repeat(32), files: '9' },
    };

    const result = await archive(repo);

    expect(result).toMatchObject({
      versionId: 'v0',
      sha256: 'ab'.repeat(32),
      files: 9,
      bytes: 1234,
      reused: true,
    });
    expect(codecommitMock.commandCalls(GetFolderCommand)).toHaveLength(0);
    expect(s3Writes()).toBe(0);
  });

  it('rebuilds when the object at the key lacks the sha256 (an upload that never finished)', async () => {
    const repo = sampleRepository();
    serve(repo);
    s3.head = { versionId: 'v0', metadata: { 'commit-id': repo.commitId, files: '9' } };

    const result = await archive(repo);

    expect(result).toMatchObject({ versionId: 'v1', reused: false });
  });

  it('leaves submodules out with a warning that says why', async () => {
    const repo = sampleRepository();
    const fake = serve(repo);
    codecommitMock.on(GetFolderCommand).callsFake((input: { folderPath?: string }) => {
      const folder = fake.getFolder(input);
      if (input.folderPath !== '/') return folder;
      return {
        ...folder,
        subModules: [{ commitId: 'c'.repeat(40), absolutePath: 'vendor/lib', relativePath: 'lib' }],
      };
    });

    const result = await archive(repo);

    expect(result.files).toBe(Object.keys(repo.files).length);
    expect(result.warnings).toEqual([
      expect.stringMatching(/^submodule "vendor\/lib" is not in the archive: the CodeCommit API cannot read/),
    ]);
  });

  it('says which commit does not exist', async () => {
    const repo = sampleRepository();
    serve(repo);

    await expect(archive(repo, { commitId: 'f'.repeat(40) })).rejects.toThrow(
      `commit ${'f'.repeat(40)} does not exist in CodeCommit repository "${repo.name}"`,
    );
  });
});
