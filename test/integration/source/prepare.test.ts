import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeregisterTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { createLocalStack } from '../../../cli/local/local-stack';
import { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { recordResult } from '../../../functions/lib/record/record-result';
import { CODECOMMIT, ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { type PrepareInput, prepare } from '../../../functions/lib/source/prepare';
import { handler } from '../../../functions/prepare/handler';
import { loadEvent } from '../../support/events';
import { type FakeRepository, sampleRepository } from '../../support/fake-codecommit';
import { useGitCodeCommit } from '../../support/git-codecommit';
import { useMoto } from '../../support/moto';

const pipeline = { repository: 'switchyard-sample-app', branch: 'main' };
// The sample repository as the emulator serves it (GetBranch, GetCommit), with git's own commit id.
let repo: FakeRepository = sampleRepository();

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
  const serve = useGitCodeCommit(useMoto());
  let table: DeploymentsTable;
  let deps: Parameters<typeof prepare>[1];

  beforeEach(async () => {
    const stack = await createLocalStack({});
    table = new DeploymentsTable(new DynamoDBClient({}), stack.resources.DeploymentsTable as string);
    [repo] = await serve(sampleRepository());
    deps = { codecommit: jsonClient(CODECOMMIT), ecs: jsonClient(ECS), table, pipeline };
  });

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

  describe('manual redeploys', () => {
    const appspec = { containerName: 'web', containerPort: 8080, hooks: {} };
    const ecs = new ECSClient({});
    const register = async () =>
      (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family: 'web',
            containerDefinitions: [{ name: 'web', image: 'nginx', memory: 128 }],
            tags: [{ key: 'switchyard:commit', value: 'c'.repeat(40) }],
          }),
        )
      ).taskDefinition?.taskDefinitionArn as string;
    const succeeded = async (name: string, taskDefinitionArn: string) => {
      const { deployment } = await prepare(execution(name, { commitId: name.padEnd(40, '0'), force: true }), {
        ...deps,
      });
      await recordResult(
        { deployment, status: 'SUCCEEDED', render: { taskDefinitionArn, appspec } } as never,
        table,
      );
    };

    it('rolls back to the task definition that was live before the current one', async () => {
      await succeeded('a0', 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await succeeded('b0', 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2');

      const out = await prepare(execution('rollback-1', { rollback: true }), deps);

      expect(out).toMatchObject({
        action: 'redeploy',
        deployment: { trigger: 'rollback', commitId: 'a0'.padEnd(40, '0') },
        render: { taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1', appspec },
        source: null,
        buildResult: null,
      });
    });

    it('says there is nothing to roll back to without an earlier revision', async () => {
      await expect(prepare(execution('rollback-1', { rollback: true }), deps)).rejects.toThrow(
        /has no successful deployment yet/,
      );
      await succeeded('a0', 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1');
      await expect(prepare(execution('rollback-2', { rollback: true }), deps)).rejects.toThrow(
        /nothing to roll back to/,
      );
    });

    it('deploys a given ACTIVE task definition with the last AppSpec settings, and refuses an inactive one', async () => {
      const arn = await register();
      await succeeded('a0', 'arn:aws:ecs:us-east-1:123456789012:task-definition/other:1');

      const out = await prepare(execution('given', { taskDefinitionArn: arn }), deps);
      expect(out).toMatchObject({
        action: 'redeploy',
        render: { taskDefinitionArn: arn, appspec },
        deployment: { commitId: 'c'.repeat(40) },
      });

      await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
      await expect(prepare(execution('inactive', { taskDefinitionArn: arn }), deps)).rejects.toThrow(
        /is INACTIVE/,
      );
      await expect(prepare(execution('bad', { taskDefinitionArn: 'web:1' }), deps)).rejects.toThrow(
        /exactly \{"taskDefinitionArn"/,
      );
    });
  });
});

describe('the Prepare handler', () => {
  useMoto();
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses a bad repository setting before it claims anything', async () => {
    const stack = await createLocalStack({});
    const tableName = stack.resources.DeploymentsTable as string;
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      REPOSITORY_NAME: pipeline.repository,
      BRANCH_NAME: pipeline.branch,
      IMAGE_PLACEHOLDERS: 'IMAGE1_NAME=/etc/imageDetail.json',
    });

    await expect(handler(execution('bad-setting', push()))).rejects.toThrow(
      /stack parameter ImagePlaceholders is "IMAGE1_NAME=\/etc\/imageDetail.json": the file of IMAGE1_NAME: give a path relative/,
    );
    const table = new DeploymentsTable(new DynamoDBClient({}), tableName);
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toBeUndefined();
  });

  it('refuses a bad workload-scope parameter before it claims anything, not at Render after the build', async () => {
    const stack = await createLocalStack({});
    const tableName = stack.resources.DeploymentsTable as string;
    Object.assign(process.env, {
      TABLE_NAME: tableName,
      REPOSITORY_NAME: pipeline.repository,
      BRANCH_NAME: pipeline.branch,
      ALLOW_PUBLIC_IP: 'maybe',
    });

    await expect(handler(execution('bad-scope', push()))).rejects.toThrow(/AllowPublicIp/);
    const table = new DeploymentsTable(new DynamoDBClient({}), tableName);
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toBeUndefined();
  });

  it('refuses a manual pause timeout out of range, and manual pauses that outgrow the history, before any claim', async () => {
    const stack = await createLocalStack({});
    const tableName = stack.resources.DeploymentsTable as string;
    const waits = {
      TABLE_NAME: tableName,
      REPOSITORY_NAME: pipeline.repository,
      BRANCH_NAME: pipeline.branch,
      TRAFFIC_STRATEGY: JSON.stringify([
        { greenPercent: 10, pause: 'manual' },
        { greenPercent: 50, pause: 'manual' },
        { greenPercent: 100 },
      ]),
      TERMINATION_WAIT_MINUTES: '2880',
      GREEN_HEALTH_TIMEOUT_MINUTES: '10',
      BUILD_POLL_SECONDS: '15',
      BUILD_TIMEOUT_MINUTES: '30',
    };
    Object.assign(process.env, { ...waits, MANUAL_PAUSE_TIMEOUT_MINUTES: '0' });
    await expect(handler(execution('bad-timeout', push()))).rejects.toThrow(
      /MANUAL_PAUSE_TIMEOUT_MINUTES is "0"; expected a whole number of minutes from 1 to 4320 \(the stack's ManualPauseTimeoutMinutes parameter\)/,
    );
    Object.assign(process.env, { MANUAL_PAUSE_TIMEOUT_MINUTES: '4320' });
    await expect(handler(execution('too-long', push()))).rejects.toThrow(
      /counting its 2 manual pauses at ManualPauseTimeoutMinutes \(4320\)/,
    );
    const table = new DeploymentsTable(new DynamoDBClient({}), tableName);
    expect(await table.getClaim(pipeline.repository, repo.commitId)).toBeUndefined();
  });
});
