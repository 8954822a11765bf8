import { CodeCommitClient } from '@aws-sdk/client-codecommit';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalStack } from '../../cli/local-stack';
import { DeploymentsTable } from '../../functions/lib/deployments';
import { type PrepareInput, prepare } from '../../functions/lib/prepare';
import { recordResult } from '../../functions/lib/record-result';
import { loadEvent } from '../support/events';
import { mockCodeCommit, sampleRepository } from '../support/fake-codecommit';
import { useMoto } from '../support/moto';

const pipeline = { repository: 'switchyard-sample-app', branch: 'main' };
const repo = sampleRepository();

function execution(name: string, input: unknown): PrepareInput {
  return {
    input,
    execution: {
      id: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${name}`,
      name,
      startTime: new Date().toISOString(),
    },
  };
}

const push = () => {
  const event = loadEvent<{ detail: Record<string, unknown> }>('push');
  return { ...event, detail: { ...event.detail, commitId: repo.commitId } };
};

describe('Prepare against the deployments table', () => {
  useMoto();
  let table: DeploymentsTable;
  let deps: Parameters<typeof prepare>[1];
  let codecommit: ReturnType<typeof mockCodeCommit>;

  beforeEach(async () => {
    const stack = await createLocalStack({});
    table = new DeploymentsTable(new DynamoDBClient({}), stack.resources.DeploymentsTable as string);
    codecommit = mockCodeCommit(repo);
    deps = { codecommit: new CodeCommitClient({}), table, pipeline };
  });
  afterEach(() => codecommit.restore());

  it('claims a new commit and opens a RUNNING record', async () => {
    const out = await prepare(execution('e1', push()), deps);

    expect(out).toMatchObject({
      action: 'deploy',
      deployment: { id: 'e1', commitId: repo.commitId, trigger: 'push' },
    });
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toMatchObject({
      deploymentId: 'e1',
      status: 'RUNNING',
    });
  });

  it('skips a commit that another execution is deploying, naming it', async () => {
    await prepare(execution('e1', push()), deps);

    const out = await prepare(execution('e2', push()), deps);

    expect(out.action).toBe('skip');
    expect(out).toMatchObject({
      reason: expect.stringMatching(/is being deployed by deployment e1 \(RUNNING/),
    });
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toMatchObject({ deploymentId: 'e1' });
  });

  it('lets exactly one of two simultaneous executions for one commit go on', async () => {
    const outcomes = await Promise.all(
      ['a', 'b', 'c', 'd'].map((name) => prepare(execution(name, push()), deps)),
    );

    expect(outcomes.filter((o) => o.action === 'deploy')).toHaveLength(1);
    expect(outcomes.filter((o) => o.action === 'skip')).toHaveLength(3);
  });

  it('is idempotent when the same execution retries Prepare', async () => {
    const first = await prepare(execution('e1', push()), deps);
    const retried = await prepare(execution('e1', push()), deps);

    expect(first.action).toBe('deploy');
    expect(retried.action).toBe('deploy');
  });

  it('runs a commit again after a failed deployment, without force', async () => {
    const first = await prepare(execution('e1', push()), deps);
    await recordResult(
      { deployment: first.deployment, status: 'FAILED', error: { Error: 'SourceError', Cause: 'missing' } },
      table,
    );

    const again = await prepare(execution('e2', push()), deps);

    expect(again.action).toBe('deploy');
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toMatchObject({ deploymentId: 'e2' });
  });

  it('deploys a deployed commit again only with force', async () => {
    const first = await prepare(execution('e1', push()), deps);
    await recordResult({ deployment: first.deployment, status: 'SUCCEEDED' }, table);

    const skipped = await prepare(execution('e2', { commitId: repo.commitId }), deps);
    const forced = await prepare(execution('e3', { commitId: repo.commitId, force: true }), deps);

    expect(skipped).toMatchObject({
      action: 'skip',
      reason: expect.stringMatching(/was deployed by deployment e1/),
    });
    expect(forced).toMatchObject({ action: 'deploy', deployment: { force: true, trigger: 'manual' } });
  });

  it('does not let an older run that ends overwrite the claim of a newer forced run', async () => {
    const older = await prepare(execution('old', push()), deps);
    await prepare(execution('new', { commitId: repo.commitId, force: true }), deps);

    await recordResult(
      { deployment: older.deployment, status: 'FAILED', error: { Error: 'X', Cause: 'y' } },
      table,
    );

    expect(await table.getClaim(pipeline.repository, repo.commitId)).toMatchObject({
      deploymentId: 'new',
      status: 'RUNNING',
    });
  });

  it('deploys the head of the branch for a manual input without a commit', async () => {
    const out = await prepare(execution('manual', loadEvent('manual')), deps);

    expect(out).toMatchObject({
      action: 'deploy',
      deployment: { commitId: repo.commitId, trigger: 'manual' },
    });
  });
});
