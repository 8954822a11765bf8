/**
 * examples/: the target infrastructure passes cfn-lint and agrees with the sample app; the sample app's taskdef.json,
 * appspec.yaml and buildspec.yml pass Switchyard's own checks; the buildspec runs under the local build runner
 * (no Docker: the fallback image; a fake Docker: the ECR path); the smoke-test hook answers as documented.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parseBuildspec } from '../../cli/build/buildspec';
import { type EnvironmentVariable, runBuild } from '../../cli/build/runner';
import { type CfnValue, loadTemplate } from '../../cli/local/template';
import { hookOutcome } from '../../functions/lib/deploy/hook-outcome';
import { hookExecutionId } from '../../functions/lib/deploy/hooks';
import { parseAppSpec } from '../../functions/lib/render/appspec';
import { renderTaskDefinition } from '../../functions/lib/render/task-definition';
import { readZip } from '../support/zip-reader';

const ROOT = resolve(__dirname, '../..');
const EXAMPLES = join(ROOT, 'examples');
const APP = join(EXAMPLES, 'sample-app');
const INFRASTRUCTURE = join(EXAMPLES, 'infrastructure.yaml');
const HOOK = join(APP, 'hooks/smoke-test/index.js');
const FALLBACK_IMAGE = 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine';
const HOOK_NAME = 'CodeDeployHook_switchyard_sample_smoke_test';
const COMMIT = '7f3c2a9e5b1d4c8f6a0e2b9d3c7f1a5e8b4d6c02';
const ECR_URI = '123456789012.dkr.ecr.us-east-1.amazonaws.com/switchyard-sample';

const read = (path: string) => readFileSync(path, 'utf8');
const infrastructure = loadTemplate(INFRASTRUCTURE);
const switchyard = loadTemplate();
const temporary: string[] = [];

function resource(id: string): Record<string, CfnValue> {
  const found = infrastructure.Resources[id]?.Properties;
  if (!found) throw new Error(`examples/infrastructure.yaml has no resource ${id} with Properties`);
  return found;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('examples/infrastructure.yaml', () => {
  it('passes cfn-lint with no output', () => {
    const out = spawnSync('cfn-lint', [INFRASTRUCTURE], { cwd: ROOT, encoding: 'utf8' });
    if (out.error) throw new Error(`cfn-lint could not start (${out.error.message}); see .ci/run`);
    expect({ status: out.status, output: out.stdout + out.stderr }).toEqual({ status: 0, output: '' });
  });

  it('outputs every value the Switchyard stack takes from the target, and the ALB URL', () => {
    const outputs = Object.keys(infrastructure.Outputs ?? {});
    const targetParameters = [
      'ClusterName',
      'ServiceName',
      'ProductionListenerArn',
      'TestListenerArn',
      'TargetGroupAArn',
      'TargetGroupBArn',
      'EcrRepositoryName',
      'TaskExecutionRoleArn',
    ];
    for (const name of targetParameters) expect(switchyard.Parameters).toHaveProperty(name);
    expect(outputs).toEqual(expect.arrayContaining([...targetParameters, 'LoadBalancerUrl']));
  });

  it("keeps the ECR repository's tags immutable: a tag always names the image it was pushed with", () => {
    expect(resource('Repository')).toMatchObject({ ImageTagMutability: 'IMMUTABLE' });
  });

  it('runs an EXTERNAL service of two tasks whose first task set is primary on target group A', () => {
    expect(resource('Service')).toMatchObject({
      DeploymentController: { Type: 'EXTERNAL' },
      DesiredCount: 2,
    });
    expect(resource('InitialTaskSet')).toMatchObject({
      LoadBalancers: [{ ContainerName: 'web', TargetGroupArn: { Ref: 'TargetGroupA' } }],
      Scale: { Unit: 'PERCENT', Value: 100 },
    });
    expect(resource('InitialPrimaryTaskSet').TaskSetId).toEqual({ 'Fn::GetAtt': ['InitialTaskSet', 'Id'] });
    for (const [id, port] of [
      ['ProductionListener', 80],
      ['TestListener', 8080],
    ] as const) {
      expect(resource(id)).toMatchObject({
        Port: port,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroupA' } }],
      });
    }
    for (const id of ['TargetGroupA', 'TargetGroupB']) {
      expect(resource(id)).toMatchObject({ TargetType: 'ip', HealthCheckPath: '/health' });
    }
  });

  it('inlines the smoke-test hook verbatim, under the name appspec.yaml gives and the hook prefix allows', () => {
    const fn = resource('SmokeTestFunction');
    expect(fn).toMatchObject({ FunctionName: HOOK_NAME, Runtime: 'nodejs22.x', Handler: 'index.handler' });
    const code = (fn.Code as { ZipFile: string }).ZipFile;
    expect(code).toBe(read(HOOK));
    // CloudFormation takes at most 4096 characters of inline code.
    expect(code.length).toBeLessThanOrEqual(4096);
    expect(HOOK_NAME.startsWith(String(switchyard.Parameters?.HookFunctionPrefix?.Default))).toBe(true);
  });

  it('names what taskdef.json refers to with its default AppName and container port', () => {
    const taskdef = JSON.parse(read(join(APP, 'taskdef.json')));
    const defaults = infrastructure.Parameters ?? {};
    expect(taskdef.family).toBe(defaults.AppName?.Default);
    expect(taskdef.executionRoleArn).toMatch(new RegExp(`:role/${defaults.AppName?.Default}-execution$`));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    expect(resource('TaskExecutionRole').RoleName).toEqual({ 'Fn::Sub': '${AppName}-execution' });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
    expect(resource('TaskLogGroup').LogGroupName).toEqual({ 'Fn::Sub': '/ecs/${AppName}' });
    expect(taskdef.containerDefinitions[0].logConfiguration.options['awslogs-group']).toBe(
      `/ecs/${defaults.AppName?.Default}`,
    );
    expect(taskdef.containerDefinitions[0].portMappings[0].containerPort).toBe(
      defaults.ContainerPort?.Default,
    );
  });
});

describe('examples/sample-app passes Switchyard checks', () => {
  const taskdefText = read(join(APP, 'taskdef.json'));
  const rendered = renderTaskDefinition({
    taskdefText,
    taskdefFile: 'taskdef.json',
    imageDetails: [
      {
        name: 'IMAGE1_NAME',
        file: 'imageDetail.json',
        text: JSON.stringify({ ImageURI: `${ECR_URI}:7f3c2a9` }),
      },
    ],
  });

  it('taskdef.json renders with the image of imageDetail.json', () => {
    expect(rendered).toMatchObject({
      family: 'switchyard-sample',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'web', image: `${ECR_URI}:7f3c2a9`, memory: 512 }],
    });
  });

  it('appspec.yaml names the container, its port and the smoke-test hook', () => {
    expect(parseAppSpec(read(join(APP, 'appspec.yaml')), 'appspec.yaml', rendered)).toEqual({
      containerName: 'web',
      containerPort: 8080,
      hooks: { AfterAllowTestTraffic: [HOOK_NAME] },
    });
  });

  it('buildspec.yml parses with no warning and has imageDetail.json as its artifact', () => {
    const { buildspec, warnings } = parseBuildspec(read(join(APP, 'buildspec.yml')));
    expect(warnings).toEqual([]);
    expect(buildspec.artifacts?.files).toEqual(['imageDetail.json']);
  });
});

describe('examples/sample-app/buildspec.yml under the local build runner', () => {
  const s3Mock = mockClient(S3Client);
  beforeEach(() => {
    s3Mock.reset();
    s3Mock.on(PutObjectCommand).resolves({});
  });

  /** PATH without any directory that holds a docker command: a machine with no Docker. */
  const pathWithoutDocker = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => {
      try {
        accessSync(join(dir, 'docker'), constants.X_OK);
        return false;
      } catch {
        return true;
      }
    })
    .join(delimiter);

  /** A bin directory of shell scripts standing in for docker and aws; each logs its arguments to calls.log. */
  function fakeTools(tools: Record<string, string>): { path: string; calls: () => string[] } {
    const dir = tempDir('switchyard-fake-tools-');
    const log = join(dir, 'calls.log');
    writeFileSync(log, '');
    for (const [name, body] of Object.entries(tools)) {
      const file = join(dir, name);
      writeFileSync(file, `#!/bin/sh\necho "${name} $*" >> '${log}'\n${body}\n`);
      chmodSync(file, 0o755);
    }
    return {
      path: `${dir}${delimiter}${pathWithoutDocker}`,
      calls: () => read(log).split('\n').filter(Boolean),
    };
  }

  const project: EnvironmentVariable[] = [
    { name: 'AWS_ACCOUNT_ID', value: '123456789012' },
    { name: 'AWS_DEFAULT_REGION', value: 'us-east-1' },
    { name: 'IMAGE_REPO_NAME', value: 'switchyard-sample' },
    { name: 'ECR_REPOSITORY_URI', value: ECR_URI },
  ];
  const startBuild: EnvironmentVariable[] = [
    { name: 'COMMIT_ID', value: COMMIT },
    { name: 'SHORT_COMMIT', value: COMMIT.slice(0, 7) },
    { name: 'BRANCH', value: 'main' },
    { name: 'REPOSITORY', value: 'switchyard-sample-app' },
    { name: 'EXECUTION_ID', value: 'sample-exec' },
  ];

  async function build(path: string, extra: EnvironmentVariable[] = []) {
    const lines: string[] = [];
    const result = await runBuild({
      projectName: 'switchyard-build',
      source: { directory: APP },
      baseEnv: { PATH: path },
      environmentVariables: [...project, ...extra],
      environmentVariablesOverride: startBuild,
      artifacts: {
        bucket: 'artifacts',
        path: 'build',
        namespaceType: 'BUILD_ID',
        name: 'build.zip',
        packaging: 'ZIP',
      },
      s3: new S3Client({}),
      onLog: (line) => lines.push(line),
    });
    temporary.push(result.workDir);
    const uploads = s3Mock
      .commandCalls(PutObjectCommand)
      .map((call) => call.args[0].input as PutObjectCommandInput);
    const artifact = uploads[0]
      ? Object.fromEntries(readZip(uploads[0].Body as Buffer).map((e) => [e.path, e.data.toString('utf8')]))
      : null;
    return { result, log: lines.join('\n'), artifact };
  }

  it('writes imageDetail.json for the public fallback image where there is no docker command, and says so', async () => {
    const { result, log, artifact } = await build(pathWithoutDocker);

    expect(result.status).toBe('SUCCEEDED');
    expect(log).toMatch(
      /NO DOCKER: no image is built or pushed; imageDetail\.json will name the public image/,
    );
    expect(Object.keys(artifact ?? {})).toEqual(['imageDetail.json']);
    expect(JSON.parse(artifact?.['imageDetail.json'] ?? '')).toEqual({ ImageURI: FALLBACK_IMAGE });
  });

  it('falls back too when the docker command is there but its daemon does not answer', async () => {
    const tools = fakeTools({ docker: 'exit 1', aws: 'exit 1' });

    const { result, artifact } = await build(tools.path);

    expect(result.status).toBe('SUCCEEDED');
    expect(tools.calls()).toEqual(['docker info']);
    expect(JSON.parse(artifact?.['imageDetail.json'] ?? '')).toEqual({ ImageURI: FALLBACK_IMAGE });
  });

  it('fails instead when IMAGE_FALLBACK is never', async () => {
    const { result, log, artifact } = await build(pathWithoutDocker, [
      { name: 'IMAGE_FALLBACK', value: 'never' },
    ]);

    expect(result.status).toBe('FAILED');
    expect(log).toMatch(/Docker is not available .* IMAGE_FALLBACK is never/);
    expect(artifact).toBeNull();
  });

  it('with Docker, logs in to ECR, builds and pushes $ECR_REPOSITORY_URI:<short commit>-<build number> and names it', async () => {
    const tools = fakeTools({ docker: 'exit 0', aws: 'echo token' });

    const { result, artifact } = await build(tools.path);

    expect(result.status).toBe('SUCCEEDED');
    // Unique per build (the example repository's tags are IMMUTABLE): the local runner's first build is number 1.
    const image = `${ECR_URI}:${COMMIT.slice(0, 7)}-1`;
    const calls = tools.calls();
    // `aws ecr get-login-password | docker login` run at once: their order in the log is the scheduler's.
    expect(calls.slice(0, 1)).toEqual(['docker info']);
    expect(calls.slice(1, 3).sort()).toEqual([
      'aws ecr get-login-password --region us-east-1',
      'docker login --username AWS --password-stdin 123456789012.dkr.ecr.us-east-1.amazonaws.com',
    ]);
    expect(calls.slice(3)).toEqual([
      `docker build --build-arg APP_VERSION=${COMMIT.slice(0, 7)} --tag ${image} .`,
      `docker push ${image}`,
    ]);
    expect(JSON.parse(artifact?.['imageDetail.json'] ?? '')).toEqual({ ImageURI: image });
  });

  it('fails when the image build fails, and pushes nothing', async () => {
    const tools = fakeTools({ docker: '[ "$1" = build ] && exit 1; exit 0', aws: 'echo token' });

    const { result } = await build(tools.path);

    expect(result.status).toBe('FAILED');
    expect(tools.calls().filter((call) => call.startsWith('docker push'))).toEqual([]);
  });
});

describe('the smoke-test hook', () => {
  type Outcome = { status: string; reason?: string; note?: string; url?: string };
  const { handler } = require(HOOK) as { handler: (event: unknown) => Promise<Outcome> };
  const EVENT = {
    deploymentId: 'sample-exec',
    hook: 'AfterAllowTestTraffic',
    commitId: COMMIT,
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/switchyard-sample:2',
    greenTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2',
    testListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/3',
    DeploymentId: 'sample-exec',
    LifecycleEventHookExecutionId: hookExecutionId('sample-exec', 'AfterAllowTestTraffic', HOOK_NAME),
  };
  /** How RunHooks reads an answer of the hook. */
  const judged = (outcome: Outcome) =>
    hookOutcome({ payload: JSON.stringify(outcome), logTail: '' }, EVENT.LifecycleEventHookExecutionId);
  const saved = { endpoint: process.env.AWS_ENDPOINT_URL, testUrl: process.env.TEST_URL };
  let server: Server;
  let base: string;
  let healthStatus = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/health' ? healthStatus : 404;
      response.end(response.statusCode === 200 ? 'ok' : 'unhealthy');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((done) => server.close(done));
  });
  beforeEach(() => {
    healthStatus = 200;
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.TEST_URL;
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    for (const [name, value] of [
      ['AWS_ENDPOINT_URL', saved.endpoint],
      ['TEST_URL', saved.testUrl],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('succeeds when GET /health through TEST_URL answers 200', async () => {
    process.env.TEST_URL = base;
    await expect(handler(EVENT)).resolves.toEqual({
      status: 'Succeeded',
      url: `${base}/health`,
      statusCode: 200,
    });
  });

  it('answers {"status": "Succeeded"} explicitly when it passes (RunHooks passes nothing else), Failed otherwise', async () => {
    process.env.TEST_URL = base;
    expect(judged(await handler(EVENT))).toEqual({ passed: true, by: 'answer' });
    healthStatus = 503;
    expect(judged(await handler(EVENT))).toEqual({
      passed: false,
      reason: `answered status "Failed": GET ${base}/health answered 503 (expected 200): unhealthy`,
    });
  });

  it('fails with the status and body when /health does not answer 200', async () => {
    process.env.TEST_URL = base;
    healthStatus = 503;
    await expect(handler(EVENT)).resolves.toEqual({
      status: 'Failed',
      reason: `GET ${base}/health answered 503 (expected 200): unhealthy`,
    });
  });

  it('fails when nothing listens at TEST_URL', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((done) => closed.close(done));
    process.env.TEST_URL = url;
    await expect(handler(EVENT)).resolves.toEqual({
      status: 'Failed',
      reason: `GET ${url}/health failed: ECONNREFUSED`,
    });
  });

  it('fails outside an emulator when TEST_URL is not set', async () => {
    await expect(handler(EVENT)).resolves.toMatchObject({
      status: 'Failed',
      reason: expect.stringMatching(/^TEST_URL is not set/),
    });
  });

  it('in an emulator, succeeds with a note that nothing was checked', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:5000';
    process.env.TEST_URL = 'http://switchyard-sample.elb.local:8080';
    await expect(handler(EVENT)).resolves.toEqual({
      status: 'Succeeded',
      note: expect.stringMatching(/running in an emulator .*\/health was not checked/),
    });
  });

  it('in an emulator, calls the testUrl the event gives', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:5000';
    healthStatus = 500;
    await expect(handler({ ...EVENT, testUrl: base })).resolves.toMatchObject({ status: 'Failed' });
  });

  it('answers what the event simulates, without calling anything', async () => {
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:5000';
    await expect(handler({ ...EVENT, simulate: 'Failed' })).resolves.toEqual({
      status: 'Failed',
      reason: 'simulated: the event asked for Failed; nothing was called',
    });
    await expect(handler({ ...EVENT, simulate: 'Succeeded' })).resolves.toMatchObject({
      status: 'Succeeded',
    });
  });
});
