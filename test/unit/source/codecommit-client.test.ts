import { SourceError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { archiveCommit } from '../../../functions/lib/source/archive-source';
import {
  type CodeCommitClientOptions,
  createCodeCommitClient,
} from '../../../functions/lib/source/codecommit-client';
import { type CodeCommitHttp, type Failure, serveCodeCommitHttp } from '../../support/codecommit-http';
import { type FakeRepository, sampleRepository } from '../../support/fake-codecommit';
import { fakeS3 } from '../../support/fake-s3-sender';
import { readZip } from '../../support/zip-reader';

// CodeCommit is a real client against a local HTTP server: aws-sdk-client-mock replaces `send`, so the
// SDK's retry middleware never runs under it. Only S3 is mocked here.
const MODES = { file: 0o100644, executable: 0o100755, symlink: 0o120777 } as const;
const BUCKET = 'artifacts';
/** The delay bases the SDK's standard strategy starts its backoff from. */
const THROTTLING_BASE_MS = 1000;
const TRANSIENT_BASE_MS = 50;

let s3 = fakeS3();
const THROTTLED: Failure = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };

let server: CodeCommitHttp;
/** What the SDK asked the backoff for: the retry count and the base it set for the error's kind. */
let backoffs: { retry: number; base: number }[];

async function start(repo: FakeRepository): Promise<void> {
  server = await serveCodeCommitHttp(repo);
}

/** The ArchiveSource client as production builds it, pointed at the local server; its backoff records and waits 0 ms. */
function client(options: Pick<CodeCommitClientOptions, 'maxAttempts'>) {
  // This test's record: calls a failed test left running must not land in the next test's.
  const record = backoffs;
  let base = 0;
  return createCodeCommitClient({
    ...options,
    config: {
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    backoff: {
      setDelayBase: (delay) => {
        base = delay;
      },
      computeNextBackoffDelay: (retry) => {
        record.push({ retry, base });
        return 0;
      },
    },
  });
}

function archive(repo: FakeRepository, options: { maxAttempts?: number; commitId?: string } = {}) {
  return archiveCommit({
    codecommit: client({ maxAttempts: options.maxAttempts }),
    s3: s3.s3,
    bucket: BUCKET,
    repository: repo.name,
    commitId: options.commitId ?? repo.commitId,
  });
}

const calls = (operation: string) => server.attempts.filter((a) => a.operation === operation);
/** The most GetBlob requests the server received for any one blob. */
const mostAttemptsOfABlob = () => {
  const perBlob = new Map<unknown, number>();
  for (const { input } of calls('GetBlob')) perBlob.set(input.blobId, (perBlob.get(input.blobId) ?? 0) + 1);
  return Math.max(...perBlob.values());
};
const uploadedZip = () => {
  const [put] = s3.puts();
  return put?.Body as Buffer;
};
const s3Writes = () => s3.writes();
const fileCount = (repo: FakeRepository) => Object.keys(repo.files).length;
/** The sample repository's folders: the root, src, src/lib, src/lib/deep, src/lib/deep/nested, docs, scripts. */
const FOLDERS = 7;

function expectWholeTree(zip: Buffer, repo: FakeRepository) {
  const entries = readZip(zip).map((e) => [e.path, e.mode, e.data.toString('utf8')]);
  const expected = Object.entries(repo.files)
    .map(([path, file]) => [path, MODES[file.mode ?? 'file'], Buffer.from(file.content).toString('utf8')])
    .sort((a, b) => Buffer.compare(Buffer.from(String(a[0])), Buffer.from(String(b[0]))));
  expect(entries).toEqual(expected);
}

beforeEach(() => {
  backoffs = [];
  s3 = fakeS3();
});
afterEach(() => server?.close());

describe('the CodeCommit client of ArchiveSource, through the SDK retry middleware', () => {
  it('retries throttled GetCommit, GetFolder and GetBlob calls with the throttling backoff, then succeeds', async () => {
    const repo = sampleRepository();
    await start(repo);
    server.fail('GetCommit', THROTTLED, 1);
    server.fail('GetFolder', THROTTLED, 1);
    server.fail('GetBlob', THROTTLED, 2);

    const result = await archive(repo, { maxAttempts: 4 });

    expect(result.files).toBe(fileCount(repo));
    expectWholeTree(uploadedZip(), repo);
    expect(calls('GetCommit')).toHaveLength(2);
    expect(calls('GetFolder')).toHaveLength(FOLDERS + 1);
    expect(calls('GetBlob')).toHaveLength(fileCount(repo) + 2);
    expect(backoffs).toHaveLength(4);
    expect(backoffs.every(({ base }) => base === THROTTLING_BASE_MS)).toBe(true);
    expect(calls('GetCommit').map((a) => a.sdkRequest)).toEqual(['attempt=1; max=4', 'attempt=2; max=4']);
  });

  it.each<[string, Failure, number]>([
    ['ThrottlingException (400)', THROTTLED, THROTTLING_BASE_MS],
    ['TooManyRequestsException (400)', { status: 400, type: 'TooManyRequestsException' }, THROTTLING_BASE_MS],
    ['HTTP 429 without an error type', { status: 429 }, THROTTLING_BASE_MS],
    [
      'ServiceUnavailableException (503)',
      { status: 503, type: 'ServiceUnavailableException' },
      TRANSIENT_BASE_MS,
    ],
    ['InternalFailure (500)', { status: 500, type: 'InternalFailure' }, TRANSIENT_BASE_MS],
    ['HTTP 502 without an error type', { status: 502 }, TRANSIENT_BASE_MS],
    ['HTTP 504 without an error type', { status: 504 }, TRANSIENT_BASE_MS],
  ])('retries a GetBlob that fails with %s and archives the whole tree', async (_kind, failure, base) => {
    const repo = sampleRepository();
    await start(repo);
    server.fail('GetBlob', failure, 2);

    const result = await archive(repo);

    expect(result.files).toBe(fileCount(repo));
    expectWholeTree(uploadedZip(), repo);
    expect(calls('GetBlob')).toHaveLength(fileCount(repo) + 2);
    expect(backoffs).toEqual([
      { retry: 0, base },
      { retry: expect.any(Number), base },
    ]);
  });

  it('gives up with a TransientAwsError after the last attempt when throttling never stops', async () => {
    const repo = sampleRepository();
    await start(repo);
    server.fail('GetBlob', THROTTLED);

    const failure = archive(repo, { maxAttempts: 4 });

    await expect(failure).rejects.toThrow(TransientAwsError);
    await expect(failure).rejects.toThrow(
      /GetBlob of ".*" .* still failed after 4 attempts \(last: ThrottlingException: Rate exceeded\)/,
    );
    expect(mostAttemptsOfABlob()).toBe(4);
    expect(s3Writes()).toBe(0);
  });

  it.each<[string, Failure, string]>([
    ['HTTP 429 without an error type', { status: 429 }, 'Unknown: Rate exceeded'],
    ['HTTP 502 without an error type', { status: 502, message: 'Bad Gateway' }, 'Unknown: Bad Gateway'],
    [
      'ServiceUnavailableException (503)',
      { status: 503, type: 'ServiceUnavailableException', message: 'Try later' },
      'ServiceUnavailableException: Try later',
    ],
  ])('ends a GetFolder that keeps failing with %s in a TransientAwsError', async (_kind, failure, last) => {
    const repo = sampleRepository();
    await start(repo);
    server.fail('GetFolder', failure);

    const failed = archive(repo, { maxAttempts: 3 });

    await expect(failed).rejects.toThrow(TransientAwsError);
    await expect(failed).rejects.toThrow(
      `CodeCommit GetFolder "/" of ${repo.name}@${repo.commitId} still failed after 3 attempts (last: ${last})`,
    );
    expect(calls('GetFolder')).toHaveLength(3);
    expect(s3Writes()).toBe(0);
  });

  it('makes six attempts by default, as the ArchiveSource handler builds it', async () => {
    const repo = sampleRepository();
    await start(repo);
    server.fail('GetCommit', THROTTLED);

    const failure = archive(repo);

    await expect(failure).rejects.toThrow(
      new RegExp(`GetCommit ${repo.commitId} in ${repo.name} still failed after 6 attempts`),
    );
    expect(calls('GetCommit').map((a) => a.sdkRequest)).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => `attempt=${n}; max=6`),
    );
    expect(backoffs.map(({ retry }) => retry)).toEqual([0, 1, 2, 3, 4]);
  });

  it('does not retry what a retry cannot fix: an unknown commit, a file over the GetBlob limit', async () => {
    const repo = sampleRepository();
    await start(repo);

    await expect(archive(repo, { commitId: 'f'.repeat(40) })).rejects.toThrow(
      `commit ${'f'.repeat(40)} does not exist in CodeCommit repository "${repo.name}"`,
    );
    expect(calls('GetCommit')).toHaveLength(1);

    server.fail('GetBlob', {
      status: 400,
      type: 'FileTooLargeException',
      message: 'The file exceeds the size limit',
    });
    await expect(archive(repo)).rejects.toThrow(SourceError);
    expect(mostAttemptsOfABlob()).toBe(1);
    expect(backoffs).toEqual([]);
    expect(s3Writes()).toBe(0);
  });
});
