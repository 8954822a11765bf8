import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalStack } from '../../cli/local-stack';
import { type LocalStack, runPipeline } from '../../cli/runner';
import { loadEvent } from '../support/events';
import { mockCodeCommit, sampleRepository } from '../support/fake-codecommit';
import { useMoto } from '../support/moto';
import { readZip } from '../support/zip-reader';

const MODES = { file: 0o100644, executable: 0o100755, symlink: 0o120777 } as const;

function pushOf(commitId: string) {
  const push = loadEvent<{ detail: Record<string, unknown> }>('push');
  return { ...push, detail: { ...push.detail, commitId } };
}

describe('the source stage, end to end through the state machine', () => {
  useMoto();
  const s3 = new S3Client({});
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  let stack: LocalStack;
  let codecommit: ReturnType<typeof mockCodeCommit> | undefined;

  beforeEach(async () => {
    stack = await createLocalStack({
      parameters: {
        ClusterName: 'local',
        ServiceName: 'web',
        ProductionListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2',
        TargetGroupAArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/1',
        TargetGroupBArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2',
        EcrRepositoryName: 'web',
        TaskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
        TaskExecutionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
      },
    });
  });
  afterEach(() => codecommit?.restore());

  const history = async () =>
    (
      await doc.send(
        new QueryCommand({
          TableName: stack.resources.DeploymentsTable,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': 'DEPLOYMENT#switchyard-sample-app' },
        }),
      )
    ).Items ?? [];

  it('archives the pushed commit into S3 with exactly its tree: paths, bytes and modes', async () => {
    const repo = sampleRepository();
    codecommit = mockCodeCommit(repo);

    const run = await runPipeline({ input: pushOf(repo.commitId), stack, executionName: 'push-1' });

    expect(run.error).toBeNull();
    expect(run.status).toBe('SUCCEEDED');
    expect(run.statesVisited).toEqual(['Prepare', 'IsDuplicate', 'ArchiveSource', 'RecordSuccess', 'Done']);
    const source = (
      run.output as { source: { bucket: string; key: string; versionId: string; files: number } }
    ).source;
    expect(source.files).toBe(Object.keys(repo.files).length);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
    );
    const entries = readZip(
      Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
    );
    const actual = Object.fromEntries(
      entries.map((e) => [e.path, { mode: e.mode, data: e.data.toString('utf8') }]),
    );
    const expected = Object.fromEntries(
      Object.entries(repo.files).map(([path, file]) => [
        path,
        { mode: MODES[file.mode ?? 'file'], data: Buffer.from(file.content).toString('utf8') },
      ]),
    );
    expect(actual).toEqual(expected);
    expect(object.Metadata).toMatchObject({ 'commit-id': repo.commitId, files: String(source.files) });

    const [record] = await history();
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      commitId: repo.commitId,
      trigger: 'push',
      deploymentId: 'push-1',
    });
  });

  it('ends a second execution for the same commit at once, with no new artifact and no new record', async () => {
    const repo = sampleRepository();
    codecommit = mockCodeCommit(repo);
    await runPipeline({ input: pushOf(repo.commitId), stack, executionName: 'push-1' });

    const again = await runPipeline({
      input: pushOf(repo.commitId),
      stack,
      executionName: 'push-1-redelivered',
    });

    expect(again).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(again.statesVisited).toEqual(['Prepare', 'IsDuplicate', 'AlreadyHandled']);
    expect((again.output as { reason: string }).reason).toMatch(
      /was deployed by deployment push-1 \(SUCCEEDED/,
    );
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: stack.resources.ArtifactBucket }));
    expect(versions.Versions).toHaveLength(1);
    expect(await history()).toHaveLength(1);
  });

  it('deploys the same commit again when the input says force, reusing its artifact', async () => {
    const repo = sampleRepository();
    codecommit = mockCodeCommit(repo);
    const first = await runPipeline({ input: pushOf(repo.commitId), stack, executionName: 'push-1' });

    const forced = await runPipeline({
      input: { commitId: repo.commitId, force: true },
      stack,
      executionName: 'forced',
    });

    expect(forced.statesVisited).toContain('ArchiveSource');
    const firstSource = (first.output as { source: { versionId: string } }).source;
    expect((forced.output as { source: { versionId: string; reused: boolean } }).source).toMatchObject({
      versionId: firstSource.versionId,
      reused: true,
    });
    expect((await history()).map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('fails with SourceError, records FAILED, and lets the commit run again once fixed', async () => {
    const broken = sampleRepository();
    delete broken.files['taskdef.json'];
    codecommit = mockCodeCommit(broken);

    const run = await runPipeline({ input: pushOf(broken.commitId), stack, executionName: 'broken' });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('SourceError');
    expect(run.error?.cause).toMatch(/taskdef\.json/);
    expect(run.statesVisited).toEqual(['Prepare', 'IsDuplicate', 'ArchiveSource', 'RecordFailure', 'Failed']);
    const [record] = await history();
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'SourceError' } });
    expect(record?.error.message).toMatch(/taskdef\.json/);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: stack.resources.ArtifactBucket }));
    expect(versions.Versions ?? []).toHaveLength(0);

    codecommit.restore();
    codecommit = mockCodeCommit(sampleRepository());
    const retried = await runPipeline({ input: pushOf(broken.commitId), stack, executionName: 'fixed' });
    expect(retried).toMatchObject({ status: 'SUCCEEDED', error: null });
  });

  it('rejects an input it does not understand before any side effect', async () => {
    const run = await runPipeline({ input: loadEvent('push-tag'), stack, executionName: 'tag' });

    expect(run.status).toBe('FAILED');
    expect(run.error?.name).toBe('InvalidInputError');
    expect(run.statesVisited).toEqual(['Prepare']);
    expect(await history()).toHaveLength(0);
  });
});
