/**
 * The README's `switchyard invoke` example, run exactly as written against the stack `switchyard local --keep`
 * leaves running, with the environment it prints exported, as a person does in a second shell; and
 * events/env.json names that stack's resources.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { BatchGetBuildsCommand, BatchGetProjectsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DescribeTableCommand, DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { runSwitchyard } from '../support/cli';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/switchyard.js');

/** The README's `npx switchyard invoke` line, its trailing comment dropped, as the words a shell passes. */
function readmeInvokeExample(): string[] {
  const line = readFileSync(join(ROOT, 'README.md'), 'utf8')
    .split('\n')
    .find((text) => text.startsWith('npx switchyard invoke '));
  if (!line) throw new Error('README.md has no line starting with `npx switchyard invoke`');
  const words = (line.split(' #')[0] ?? '').trim().split(/\s+/);
  // Only plain words: a quote or a shell expansion would need a shell to read it as the README means it.
  expect(words.filter((word) => /["'$`\\*?]/.test(word))).toEqual([]);
  return words;
}

/** The process environment of this shell, AWS settings removed: the exports of the kept stack go on top. */
function shellWithout(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_')) delete env[name];
  return env;
}

/** Starts `switchyard local --keep`; resolves with what it told to export once it keeps the emulator running. */
function keepLocalStack(): { child: ChildProcess; exports: Promise<Record<string, string>> } {
  const child = spawn(process.execPath, [BIN, 'local', '--keep'], { cwd: ROOT, env: shellWithout() });
  let stdout = '';
  const exports = new Promise<Record<string, string>>((resolvePromise, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!stdout.includes('press Ctrl-C to stop the emulator')) return;
      const pairs = [...stdout.matchAll(/^ {2}export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]);
      resolvePromise(Object.fromEntries(pairs) as Record<string, string>);
    });
    child.stderr?.resume();
    child.on('close', (code) => reject(new Error(`switchyard local --keep exited (${code}):\n${stdout}`)));
  });
  return { child, exports };
}

/** An SDK client's settings from the exported environment, as the AWS CLI in that shell would take them. */
function sdkConfig(exported: Record<string, string>) {
  return {
    endpoint: exported.AWS_ENDPOINT_URL,
    region: exported.AWS_REGION,
    credentials: {
      accessKeyId: exported.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: exported.AWS_SECRET_ACCESS_KEY ?? '',
    },
  };
}

describe('events/ samples against the stack `switchyard local --keep` keeps', () => {
  let local: ReturnType<typeof keepLocalStack>;
  let exported: Record<string, string>;
  let shell: NodeJS.ProcessEnv;

  /** The kept stack's latest deployment record of the sample app (the one `switchyard local --keep` ran). */
  async function latestRecord(): Promise<Record<string, unknown>> {
    const dynamodb = new DynamoDBClient(sdkConfig(exported));
    try {
      const { Items = [] } = await dynamodb.send(
        new QueryCommand({
          TableName: 'switchyard-deployments',
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'DEPLOYMENT#switchyard-sample-app' } },
          ScanIndexForward: false,
          Limit: 1,
        }),
      );
      return unmarshall(Items[0] ?? {});
    } finally {
      dynamodb.destroy();
    }
  }

  beforeAll(async () => {
    local = keepLocalStack();
    exported = await local.exports;
    shell = { ...shellWithout(), ...exported };
  }, 120_000);
  afterAll(async () => {
    const { child } = local;
    if (child.exitCode !== null) return;
    const closed = new Promise((done) => child.on('close', done));
    child.kill('SIGINT'); // its Ctrl-C: stops the emulator it keeps
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await closed;
    clearTimeout(timer);
  }, 30_000);

  it('prints the environment a second shell exports', () => {
    expect(Object.keys(exported).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_DEFAULT_REGION',
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
    ]);
  });

  it('runs the README example as written: StartBuild starts a build in the kept stack’s CodeBuild project', async () => {
    const [npx, switchyard, ...args] = readmeInvokeExample();
    expect([npx, switchyard]).toEqual(['npx', 'switchyard']);

    const out = await runSwitchyard(args, shell);

    expect(out.stderr).toMatch(/^START StartBuildFunction Version: \$LATEST$/m);
    expect(out.status).toBe(0);
    const started = JSON.parse(out.stdout) as { id: string; pollSeconds: number; errorType?: string };
    expect(started).toMatchObject({ id: expect.stringMatching(/^switchyard-build:/), pollSeconds: 15 });
    // The sample's placeholder deployment became the kept stack's deployment, and it says so.
    const latest = await latestRecord();
    expect(out.stderr).toContain(
      `events/start-build.json: sample-exec is the samples' placeholder, so it runs with the stack's latest deployment ${latest.deploymentId}`,
    );
    // The build is the kept stack's: its CodeBuild has it, of the deployed commit.
    const codebuild = new CodeBuildClient(sdkConfig(exported));
    try {
      const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [started.id] }));
      expect(builds?.map((b) => [b.projectName, b.sourceVersion])).toEqual([
        ['switchyard-build', latest.commitId],
      ]);
    } finally {
      codebuild.destroy();
    }
  });

  it('events/env.json names the kept stack’s table, bucket, build project, service and alarm', async () => {
    const { Parameters: v } = JSON.parse(readFileSync(join(ROOT, 'events/env.json'), 'utf8')) as {
      Parameters: Record<string, string>;
    };
    const config = sdkConfig(exported);
    const dynamodb = new DynamoDBClient(config);
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    const codebuild = new CodeBuildClient(config);
    const ecs = new ECSClient(config);
    const cloudwatch = new CloudWatchClient(config);
    try {
      await dynamodb.send(new DescribeTableCommand({ TableName: v.TABLE_NAME }));
      await s3.send(new HeadBucketCommand({ Bucket: v.ARTIFACT_BUCKET }));
      const { projects } = await codebuild.send(
        new BatchGetProjectsCommand({ names: [v.BUILD_PROJECT_NAME ?? ''] }),
      );
      expect(projects?.map((p) => p.name)).toEqual([v.BUILD_PROJECT_NAME]);
      const { services } = await ecs.send(
        new DescribeServicesCommand({ cluster: v.CLUSTER_NAME, services: [v.SERVICE_NAME ?? ''] }),
      );
      expect(services?.map((s) => s.status)).toEqual(['ACTIVE']);
      const { MetricAlarms } = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: (v.ALARM_NAMES ?? '').split(',') }),
      );
      expect(MetricAlarms?.map((a) => a.AlarmName)).toEqual([v.ALARM_NAMES]);
    } finally {
      for (const client of [dynamodb, s3, codebuild, ecs, cloudwatch]) client.destroy();
    }
  });

  it('runs every events/ sample with the kept stack’s deployment: each does what that state does once the deployment has ended', async () => {
    const latest = await latestRecord();
    expect(latest.status).toBe('SUCCEEDED');
    const source = latest.source as { key: string };
    const fenced = {
      errorType: 'DeploymentFencedError',
      errorMessage: expect.stringContaining(`deployment ${latest.deploymentId} already ended (SUCCEEDED)`),
    };
    // In this order: the ones that only read or repeat what the deployment did first, the ones that change the
    // stack last. Each is what the function answers in AWS for the same input; none "finds no record".
    const outcomes: [string, string, unknown][] = [
      // A push of the deployed commit again: Prepare drops it as a duplicate, naming the deployment that has it.
      [
        'PrepareFunction',
        'prepare',
        {
          action: 'skip',
          reason: expect.stringContaining(`was deployed by deployment ${latest.deploymentId}`),
        },
      ],
      ['ArchiveSourceFunction', 'archive-source', { key: source.key, reused: true }],
      [
        'StartBuildFunction',
        'start-build',
        { request: expect.objectContaining({ SourceVersion: latest.commitId }) },
      ],
      ['CheckBuildFunction', 'check-build', { status: 'SUCCEEDED' }],
      [
        'RenderTaskDefinitionFunction',
        'render-task-definition',
        { taskDefinitionArn: latest.taskDefinitionArn, reused: true },
      ],
      ['CheckGreenFunction', 'check-green', { ready: true }],
      [
        'RunHooksFunction',
        'run-hooks',
        { hook: 'AfterAllowTestTraffic', invoked: [expect.objectContaining({ status: 'Succeeded' })] },
      ],
      ['CheckPauseFunction', 'check-pause', { status: 'WAIT' }],
      // The alarm's event names no deployment: none is in a pause, so nothing is woken.
      ['WakePauseFunction', 'wake-pause', { deploymentId: null, woken: false }],
      ['CreateGreenFunction', 'create-green', fenced],
      ['AllowTestTrafficFunction', 'allow-test-traffic', fenced],
      ['ShiftTrafficFunction', 'shift-traffic', fenced],
      ['FinalizeFunction', 'finalize', fenced],
      ['CleanUpFunction', 'clean-up', { deploymentId: latest.deploymentId, action: 'already-ended' }],
      [
        'ReconcileFunction',
        'reconcile',
        { head: expect.objectContaining({ commitId: latest.commitId, action: 'handled' }) },
      ],
      // Sent by hand for a deployment that ended, these would move the listeners, hold the service's lock or rewrite
      // the history: each refuses, and the stack and the record stay as the deployment left them.
      ['RollbackFunction', 'rollback', fenced],
      ['AcquireLockFunction', 'acquire-lock', fenced],
      [
        'RecordResultFunction',
        'record-result',
        {
          errorType: 'InvalidInputError',
          errorMessage: `deployment ${latest.deploymentId} already ended (SUCCEEDED): a final record is not rewritten with FAILED`,
        },
      ],
    ];
    const seen: Record<string, unknown> = {};
    for (const [fn, sample] of outcomes) {
      const out = await runSwitchyard(
        ['invoke', fn, '-e', `events/${sample}.json`, '-n', 'events/env.json'],
        shell,
      );
      expect([sample, out.status]).toEqual([sample, 0]);
      seen[sample] = JSON.parse(out.stdout.trim().split('\n').pop() ?? '');
      expect([sample, out.stdout]).not.toEqual([
        sample,
        expect.stringMatching(/no record|NotFound|no-record/i),
      ]);
    }
    expect(seen).toEqual(
      Object.fromEntries(
        outcomes.map(([, sample, outcome]) => [sample, expect.objectContaining(outcome as object)]),
      ),
    );
    // Nothing the samples sent changed how the deployment ended.
    expect(await latestRecord()).toMatchObject({ status: 'SUCCEEDED', deploymentId: latest.deploymentId });
  }, 180_000);
});
