/**
 * `switchyard invoke` as a user runs it against a running emulator: a subprocess of bin/switchyard.js with
 * AWS_ENDPOINT_URL set, the function bundled and called as `sam local invoke` would, JSON on stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createLocalStack } from '../../../../cli/local/local-stack';
import type { LocalStack } from '../../../../cli/local/state-machine';
import { loadTemplate } from '../../../../cli/local/template';
import { runSwitchyard } from '../../../support/cli';
import { loadEvent } from '../../../support/events';
import { useMoto } from '../../../support/moto';
import { deploymentRecords } from '../../../support/pipeline';

/** Values for the template parameters without a default, as environment variables (sam's env-vars format). */
const REQUIRED_VARIABLES = {
  REPOSITORY_NAME: 'switchyard-sample-app',
  CLUSTER_NAME: 'local',
  SERVICE_NAME: 'web',
  PRODUCTION_LISTENER_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2',
  TARGET_GROUP_A_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/1',
  TARGET_GROUP_B_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2',
  ECR_REPOSITORY_NAME: 'web',
  ECR_REPOSITORY_URI: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web',
  TASK_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/web-execution',
};

function run(args: string[], endpoint: string) {
  return runSwitchyard(['invoke', ...args], { ...process.env, AWS_ENDPOINT_URL: endpoint });
}

describe('switchyard invoke', () => {
  const moto = useMoto();
  let dir: string;
  let stack: LocalStack;

  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-invoke-test-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    stack = await createLocalStack({});
  });

  /** A deployment record of the sample app in the stack's table, as Prepare writes it (the rest from the sample). */
  async function putRecord(fields: Record<string, unknown>): Promise<void> {
    const sample = loadEvent<{ deployment: Record<string, unknown> }>('acquire-lock').deployment;
    const item = { ...sample, ...fields };
    const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint });
    try {
      await dynamodb.send(
        new PutItemCommand({
          TableName: String(stack.resources.DeploymentsTable),
          Item: marshall(
            {
              ...item,
              id: undefined,
              pk: 'DEPLOYMENT#switchyard-sample-app',
              sk: `${item.startedAt}#${item.deploymentId}`,
            },
            { removeUndefinedValues: true },
          ),
        }),
      );
    } finally {
      dynamodb.destroy();
    }
  }

  it('runs PrepareFunction with events/prepare.json and the env-vars file, printing its result on stdout', async () => {
    const envVars = file('env.json', {
      // For every function, as sam reads "Parameters"; the function's own entry wins over it.
      Parameters: { ...REQUIRED_VARIABLES, TABLE_NAME: 'no-such-table' },
      PrepareFunction: { TABLE_NAME: stack.resources.DeploymentsTable, NOT_IN_TEMPLATE: 'x' },
    });

    const out = await run(
      ['PrepareFunction', '--event', 'events/prepare.json', '--env-vars', envVars],
      moto.endpoint,
    );

    expect(out.stderr).toMatch(/START PrepareFunction/);
    // sam sets only the variables the template declares for the function.
    expect(out.stderr).toMatch(
      /PrepareFunction\.NOT_IN_TEMPLATE is not an environment variable of PrepareFunction/,
    );
    expect(out.status).toBe(0);
    const commitId = loadEvent<{ input: { detail: { commitId: string } } }>('prepare').input.detail.commitId;
    expect(JSON.parse(out.stdout)).toMatchObject({
      action: 'deploy',
      deployment: { commitId, trigger: 'push', repository: 'switchyard-sample-app' },
    });
    expect(await deploymentRecords(stack)).toEqual([expect.objectContaining({ commitId })]);
  });

  it('runs every function of the template with its events/ sample, each reaching its own code', async () => {
    // The samples' deployment sample-exec stands for the stack's latest one: here a record of that same
    // deployment, so each sample runs as written.
    const sample = loadEvent<{ deployment: Record<string, unknown> }>('acquire-lock').deployment;
    await putRecord({ ...sample, deploymentId: sample.id, status: 'RUNNING' });
    const functions = Object.entries(loadTemplate().Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([id]) => id);
    const kebab = (id: string) =>
      id
        .replace(/Function$/, '')
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .toLowerCase();
    const envVars = file('all.json', {
      Parameters: {
        ...REQUIRED_VARIABLES,
        TABLE_NAME: stack.resources.DeploymentsTable,
        ARTIFACT_BUCKET: stack.resources.ArtifactBucket,
        BUILD_PROJECT_NAME: stack.resources.BuildProject,
      },
    });

    const invoke = async (id: string) => ({
      id,
      run: await run([id, '--event', `events/${kebab(id)}.json`, '--env-vars', envVars], moto.endpoint),
    });
    // The two that end the deployment go last, one after the other: an ended deployment's AcquireLock or Rollback
    // is refused (record/fence.ts), and a final record is not rewritten (CleanUp then finds it ended).
    const ending = ['RecordResultFunction', 'CleanUpFunction'];
    const runs = await Promise.all(functions.filter((id) => !ending.includes(id)).map(invoke));
    for (const id of ending) runs.push(await invoke(id));

    for (const { id, run: out } of runs) {
      // sam's contract: exit 0 once the function ran; its result, or its error, is the last line of stdout.
      expect({ id, status: out.status }).toEqual({ id, status: 0 });
      const printed = JSON.parse(out.stdout.trim().split('\n').pop() ?? 'null') as {
        errorType?: string;
        errorMessage?: string;
      } | null;
      // An error, if any, comes from the function's own code (a named error about the sample's missing
      // resources), never from loading the bundle.
      expect({ id, errorType: printed?.errorType ?? 'none' }).not.toMatchObject({
        errorType: expect.stringMatching(/^Runtime\./),
      });
      expect(printed?.errorMessage ?? '').not.toMatch(
        /Cannot find module|is not a function|Unexpected token/,
      );
    }
    // These samples need nothing but the table: they succeed.
    const succeeded = runs.filter(({ run: out }) => !out.stdout.includes('"errorType"')).map(({ id }) => id);
    expect(succeeded).toEqual(
      expect.arrayContaining([
        'PrepareFunction',
        'AcquireLockFunction',
        'RecordResultFunction',
        'CleanUpFunction',
      ]),
    );
  });

  it('refuses a sample of the placeholder deployment before invoking when the stack has no deployment yet', async () => {
    const envVars = file('empty.json', {
      Parameters: { ...REQUIRED_VARIABLES, TABLE_NAME: stack.resources.DeploymentsTable },
    });

    const out = await run(['FinalizeFunction', '-e', 'events/finalize.json', '-n', envVars], moto.endpoint);

    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(
      `events/finalize.json names the sample deployment sample-exec, which stands for the stack's latest deployment, and table ${stack.resources.DeploymentsTable} holds no deployment of switchyard-sample-app yet: run a deployment first (npx switchyard local --keep`,
    );
    expect(out.stderr).not.toMatch(/START FinalizeFunction/);
  });

  it('puts the latest deployment in place of the placeholder, and says so', async () => {
    await putRecord({
      deploymentId: 'older',
      commitId: 'a'.repeat(40),
      startedAt: '2026-12-01T10:00:00.000Z',
      status: 'SUCCEEDED',
    });
    await putRecord({
      deploymentId: 'latest',
      commitId: 'b'.repeat(40),
      startedAt: '2026-12-02T10:00:00.000Z',
      executionId: 'arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:latest',
      // Still running: the sample's FAILED ends it (an ended record would be refused, final-record.test.ts).
      status: 'RUNNING',
    });
    const envVars = file('latest.json', {
      Parameters: { ...REQUIRED_VARIABLES, TABLE_NAME: stack.resources.DeploymentsTable },
    });

    const out = await run(
      ['RecordResultFunction', '-e', 'events/record-result.json', '-n', envVars],
      moto.endpoint,
    );

    expect(out.status).toBe(0);
    expect(out.stderr).toContain(
      `events/record-result.json: sample-exec is the samples' placeholder, so it runs with the stack's latest deployment latest (RUNNING, commit bbbbbbb) from table ${stack.resources.DeploymentsTable}`,
    );
    const records = await deploymentRecords(stack);
    expect(records.map((r) => [r.deploymentId, r.status])).toEqual(
      expect.arrayContaining([
        ['latest', 'FAILED'],
        ['older', 'SUCCEEDED'],
      ]),
    );
    expect(records.map((r) => r.deploymentId)).not.toContain('sample-exec');
  });

  it('leaves the placeholder as it is when --env-vars names no table (the template’s Ref is no table name)', async () => {
    const envVars = file('no-table.json', { Parameters: REQUIRED_VARIABLES });

    const out = await run(
      ['RecordResultFunction', '-e', 'events/record-result.json', '-n', envVars],
      moto.endpoint,
    );

    expect(out.status).toBe(0);
    expect(out.stderr).toMatch(/START RecordResultFunction/);
    expect(out.stderr).not.toMatch(/placeholder/);
  });

  it('takes template parameters from --parameter-overrides', async () => {
    const envVars = file('table.json', { Parameters: { TABLE_NAME: stack.resources.DeploymentsTable } });
    const overrides = [
      'RepositoryName=switchyard-sample-app ClusterName=local ServiceName=web EcrRepositoryName=web',
      `ProductionListenerArn=${REQUIRED_VARIABLES.PRODUCTION_LISTENER_ARN}`,
      `ParameterKey=TargetGroupAArn,ParameterValue=${REQUIRED_VARIABLES.TARGET_GROUP_A_ARN}`,
      `TargetGroupBArn=${REQUIRED_VARIABLES.TARGET_GROUP_B_ARN}`,
      `TaskExecutionRoleArn=${REQUIRED_VARIABLES.TASK_EXECUTION_ROLE_ARN}`,
    ].flatMap((spec) => ['--parameter-overrides', spec]);

    const out = await run(
      ['PrepareFunction', '-e', 'events/prepare.json', '-n', envVars, ...overrides],
      moto.endpoint,
    );

    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ action: 'deploy' });
  });

  it('prints an error the function throws as sam does, on stdout, and exits 0 as sam does', async () => {
    const envVars = file('env-bad.json', {
      Parameters: { ...REQUIRED_VARIABLES, TABLE_NAME: stack.resources.DeploymentsTable },
    });
    const event = file('bad-event.json', {
      input: { commit: 'x' },
      execution: { id: 'a', name: 'b', startTime: 'c' },
    });

    const out = await run(['PrepareFunction', '--event', event, '--env-vars', envVars], moto.endpoint);

    expect(out.status).toBe(0);
    const error = JSON.parse(out.stdout) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(error)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(error).toMatchObject({
      errorType: 'InvalidInputError',
      errorMessage: expect.stringMatching(/unknown field\(s\) commit/),
    });
    expect(error.trace.length).toBeGreaterThan(0);
  });

  it('refuses an unknown function and lists those of the template', async () => {
    const out = await run(['NoSuchFunction', '--event', 'events/prepare.json'], moto.endpoint);

    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/Function NoSuchFunction not found\. Possible options in your template: /);
    expect(out.stderr).toMatch(/PrepareFunction, ArchiveSourceFunction/);
  });

  it('names a parameter without default that the environment needs, and the env-vars key that sets it', async () => {
    const out = await run(['PrepareFunction', '--event', 'events/prepare.json'], moto.endpoint);

    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/ClusterName \(for CLUSTER_NAME\)/);
    expect(out.stderr).toMatch(/--parameter-overrides/);
    expect(out.stderr).toMatch(/\{"Parameters": \{"REPOSITORY_NAME": "<value>"\}\}/);
  });

  it('refuses an event file that is not JSON', async () => {
    const out = await run(['PrepareFunction', '--event', file('event.txt', 'not json')], moto.endpoint);

    expect(out.status).toBe(1);
    expect(out.stderr).toMatch(/--event .*event\.txt: not valid JSON/);
  });
});
