/**
 * `sam build` then `sam local invoke`, emulated: every function is bundled from its BuildProperties and the bundle
 * is invoked in a fresh process with its events/ sample, against the moto server. CodeCommit is served by the
 * emulator from a real git repository (the bundles carry their own SDK, out of aws-sdk-client-mock's reach).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokeBundle, lambdaEnvironment } from '../../../../cli/local/invoke';
import { createLocalStack } from '../../../../cli/local/local-stack';
import { type LocalStack, localResolveContext } from '../../../../cli/local/pipeline-definition';
import { type BuiltFunction, samBuild } from '../../../../cli/local/sam-build';
import { loadTemplate, resolveValue } from '../../../../cli/local/template';
import { loadEvent } from '../../../support/events';
import { SAMPLE_APPSPEC, SAMPLE_BUILDSPEC, SAMPLE_TASKDEF } from '../../../support/fake-codecommit';
import { useMoto } from '../../../support/moto';
import { deploymentRecords } from '../../../support/pipeline';
import { readZip } from '../../../support/zip-reader';

function gitRepository(dir: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Ada Lovelace');
  git('config', 'user.email', 'ada@example.com');
  writeFileSync(join(dir, 'buildspec.yml'), SAMPLE_BUILDSPEC.replace('./scripts/build.sh', './build.sh'));
  writeFileSync(join(dir, 'taskdef.json'), SAMPLE_TASKDEF);
  writeFileSync(join(dir, 'appspec.yaml'), SAMPLE_APPSPEC);
  writeFileSync(join(dir, 'build.sh'), '#!/bin/sh\necho build\n');
  chmodSync(join(dir, 'build.sh'), 0o755);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'server.js'), 'console.log("ok")\n');
  symlinkSync('src/server.js', join(dir, 'main.js'));
  git('add', '-A');
  git('commit', '-q', '-m', 'Sample');
  return git('rev-parse', 'HEAD');
}

describe('each function bundled as `sam build` does and invoked with its events/ sample', () => {
  const moto = useMoto();
  const template = loadTemplate();
  let outDir: string;
  let repoDir: string;
  let built: Map<string, BuiltFunction>;
  let stack: LocalStack;
  let commitId: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'switchyard-build-'));
    repoDir = mkdtempSync(join(tmpdir(), 'switchyard-repo-'));
    commitId = gitRepository(repoDir);
    built = new Map((await samBuild({ outDir })).map((fn) => [fn.logicalId, fn]));
  });
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
    rmSync(repoDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    stack = await createLocalStack({ target: { containerName: 'web', containerPort: 8080 } });
    await moto.serveGitRepository({ name: 'switchyard-sample-app', path: repoDir });
  });

  /** The sample event, moved to the commit of the test repository (a git commit id cannot be chosen). */
  function sample(name: string): Record<string, unknown> {
    const text = JSON.stringify(loadEvent(name)).replaceAll(
      loadEvent<{ detail: { commitId: string } }>('push').detail.commitId,
      commitId,
    );
    return JSON.parse(text) as Record<string, unknown>;
  }

  function invoke(logicalId: string, event: unknown) {
    const fn = built.get(logicalId);
    if (!fn) throw new Error(`${logicalId} was not built`);
    const ctx = localResolveContext(template, stack);
    return invokeBundle({
      bundle: fn.bundle,
      handlerExport: fn.handlerExport,
      functionName: `${stack.name}-${logicalId}`,
      event,
      timeoutSeconds: fn.function.timeoutSeconds,
      env: lambdaEnvironment({
        functionName: `${stack.name}-${logicalId}`,
        memorySize: fn.function.memorySize,
        variables: resolveValue(fn.function.environment, ctx) as Record<string, unknown>,
      }),
    });
  }

  it('builds one bundle per function of the template, each self-contained', () => {
    const declared = Object.entries(template.Resources)
      .filter(([, resource]) => resource.Type === 'AWS::Serverless::Function')
      .map(([id]) => id);
    expect([...built.keys()].sort()).toEqual(declared.sort());
    for (const fn of built.values()) {
      expect(fn.bundle).toMatch(/\/handler\.js$/);
      // Only Node's own modules are left to require at run time: the SDK and our code are inside. The S3
      // client's SigV4a signer tries the optional CRT package in a try/catch; it is never needed here.
      const required = [...readFileSync(fn.bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map(
        (m) => m[1],
      );
      const optional = new Set(['@aws-sdk/signature-v4-crt']);
      const external = required.filter(
        (name = '') => !name.startsWith('node:') && !builtinModules.includes(name) && !optional.has(name),
      );
      expect(external).toEqual([]);
    }
  });

  it('PrepareFunction claims the pushed commit from events/prepare.json', async () => {
    const out = await invoke('PrepareFunction', sample('prepare'));

    expect(out).toMatchObject({
      ok: true,
      result: { action: 'deploy', deployment: { commitId, trigger: 'push' } },
    });
  });

  it('ArchiveSourceFunction archives the commit of events/archive-source.json from git through the emulator', async () => {
    const out = await invoke('ArchiveSourceFunction', sample('archive-source'));

    expect(out.ok).toBe(true);
    const result = (out as { result: { bucket: string; key: string; files: number } }).result;
    expect(result).toMatchObject({
      files: 6,
      reused: false,
      commit: { id: commitId, author: 'Ada Lovelace' },
    });
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const object = await new S3Client({}).send(
      new GetObjectCommand({ Bucket: result.bucket, Key: result.key }),
    );
    const entries = readZip(
      Buffer.from(
        await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      ),
    );
    expect(Object.fromEntries(entries.map((e) => [e.path, e.mode.toString(8)]))).toEqual({
      'appspec.yaml': '100644',
      'build.sh': '100755',
      'buildspec.yml': '100644',
      'main.js': '120777',
      'src/server.js': '100644',
      'taskdef.json': '100644',
    });
  });

  it('StartBuild, CheckBuild and RenderTaskDefinition take the archive through a real build to a registered revision', async () => {
    await moto.setBuildExecutor();
    const archived = await invoke('ArchiveSourceFunction', sample('archive-source'));
    expect(archived.ok).toBe(true);
    const source = (archived as { result: unknown }).result;

    const started = await invoke('StartBuildFunction', { ...sample('start-build'), source });
    expect(started).toMatchObject({ ok: true, result: { pollSeconds: 15, timeoutMinutes: 30 } });
    const build = (started as { result: { id: string } }).result;

    let checked = await invoke('CheckBuildFunction', { ...sample('check-build'), build });
    for (
      let i = 0;
      i < 100 && checked.ok && (checked.result as { status: string }).status === 'IN_PROGRESS';
      i += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      checked = await invoke('CheckBuildFunction', { ...sample('check-build'), build });
    }
    expect(checked).toMatchObject({
      ok: true,
      result: {
        status: 'SUCCEEDED',
        image: {
          details: [
            {
              placeholder: 'IMAGE1_NAME',
              file: 'imageDetail.json',
              imageUri: `public.ecr.aws/nginx/nginx:${commitId.slice(0, 7)}`,
            },
          ],
        },
      },
    });

    const rendered = await invoke('RenderTaskDefinitionFunction', {
      ...sample('render-task-definition'),
      source,
      buildResult: (checked as { result: unknown }).result,
    });
    expect(rendered).toMatchObject({
      ok: true,
      result: {
        taskDefinitionArn: expect.stringMatching(/:task-definition\/web:1$/),
        reused: false,
        appspec: { containerName: 'web', containerPort: 8080 },
      },
    });
  });

  it('CleanUpFunction closes the record of the aborted execution of events/clean-up.json and stops its build', async () => {
    await moto.scriptBuildOutcomes(stack.resources.BuildProject as string, [
      { status: 'SUCCEEDED', inProgressPolls: 100 },
    ]);
    expect((await invoke('PrepareFunction', sample('prepare'))).ok).toBe(true);
    const started = await invoke('StartBuildFunction', sample('start-build'));
    expect(started.ok).toBe(true);

    const out = await invoke('CleanUpFunction', sample('clean-up'));

    const buildId = (started as { result: { id: string } }).result.id;
    expect(out).toMatchObject({
      ok: true,
      result: { deploymentId: 'sample-exec', action: 'closed', stoppedBuild: buildId },
    });
    const [build] = await moto.listRecordedBuilds();
    expect(build?.buildStatus).toBe('STOPPED');
    const again = await invoke('CleanUpFunction', sample('clean-up'));
    expect(again).toMatchObject({ ok: true, result: { action: 'already-ended', stoppedBuild: null } });
  });

  /** Prepare's deployment and a registered revision: what the deploy functions start from. */
  async function deployable() {
    const prepared = await invoke('PrepareFunction', sample('prepare'));
    const deployment = (prepared as { result: { deployment: Record<string, unknown> } }).result.deployment;
    const { ECSClient, RegisterTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
    const registered = await new ECSClient({}).send(
      new RegisterTaskDefinitionCommand({
        ...(JSON.parse(SAMPLE_TASKDEF) as object),
        family: 'web',
        containerDefinitions: [
          {
            name: 'web',
            image: 'public.ecr.aws/nginx/nginx:1',
            memory: 512,
            portMappings: [{ containerPort: 8080 }],
          },
        ],
      } as never),
    );
    const render = {
      ...(sample('create-green').render as object),
      taskDefinitionArn: registered.taskDefinition?.taskDefinitionArn,
    };
    return { deployment, render };
  }

  async function result<T>(logicalId: string, event: unknown): Promise<T> {
    const out = await invoke(logicalId, event);
    if (!out.ok)
      throw new Error(`${logicalId}: ${out.error.errorType}: ${out.error.errorMessage}\n${out.log}`);
    return out.result as T;
  }

  it('the deploy functions take a revision from the lock to a finalized service, each from its events/ sample', async () => {
    const { deployment, render } = await deployable();

    expect(await result('AcquireLockFunction', { ...sample('acquire-lock'), deployment })).toMatchObject({
      status: 'ACQUIRED',
    });
    expect(
      await result('RunHooksFunction', { ...sample('run-hooks'), deployment, render, hook: 'BeforeInstall' }),
    ).toMatchObject({ invoked: [] });
    const green = await result<{ greenTargetGroupArn: string }>('CreateGreenFunction', {
      ...sample('create-green'),
      deployment,
      render,
    });
    let check = await result<{ ready: boolean }>('CheckGreenFunction', {
      ...sample('check-green'),
      deployment,
      green,
    });
    for (let i = 0; i < 20 && !check.ready; i += 1)
      check = await result('CheckGreenFunction', { deployment, green });
    expect(check.ready).toBe(true);
    expect(
      await result('AllowTestTrafficFunction', { ...sample('allow-test-traffic'), deployment, green }),
    ).toMatchObject({
      observedWeights: { [green.greenTargetGroupArn]: 100 },
    });
    const traffic = await result<{ done: boolean; pause: unknown }>('ShiftTrafficFunction', {
      ...sample('shift-traffic'),
      deployment,
      green,
      step: 0,
    });
    expect(traffic).toMatchObject({ done: true, greenPercent: 100 });
    expect(
      await result('CheckPauseFunction', {
        ...sample('check-pause'),
        deployment,
        green,
        pause: traffic.pause,
        waitedSeconds: 300,
      }),
    ).toMatchObject({ status: 'CONTINUE' });
    expect(
      await result('FinalizeFunction', { ...sample('finalize'), deployment, render, green, traffic }),
    ).toMatchObject({
      primaryTaskSetArn: expect.stringContaining(':task-set/'),
    });
  });

  it('RollbackFunction puts production back from the middle of a shift, from events/rollback.json', async () => {
    const { deployment, render } = await deployable();
    // CreateGreen and ShiftTraffic change the service only while the deployment holds its lock (the fence).
    expect(await result('AcquireLockFunction', { ...sample('acquire-lock'), deployment })).toMatchObject({
      status: 'ACQUIRED',
    });
    const green = await result<{ liveTargetGroupArn: string }>('CreateGreenFunction', { deployment, render });
    await result('ShiftTrafficFunction', { deployment, green, step: 0 });

    const out = await result('RollbackFunction', { ...sample('rollback'), deployment, render, green });

    expect(out).toMatchObject({ productionWeights: { [green.liveTargetGroupArn]: 100 } });
  });

  it('RecordResultFunction records the failure of events/record-result.json', async () => {
    const prepared = await invoke('PrepareFunction', sample('prepare'));
    expect(prepared.ok).toBe(true);
    const deployment = (prepared as { result: { deployment: unknown } }).result.deployment;

    const out = await invoke('RecordResultFunction', { ...sample('record-result'), deployment });

    expect(out).toMatchObject({ ok: true, result: { status: 'FAILED', error: { name: 'SourceError' } } });
    expect(await deploymentRecords(stack)).toEqual([expect.objectContaining({ status: 'FAILED', commitId })]);
  });

  it('reports a handler error as Lambda does: type, message, trace', async () => {
    const out = await invoke('PrepareFunction', {
      input: { commit: 'x' },
      execution: { id: 'a', name: 'b', startTime: 'c' },
    });

    expect(out.ok).toBe(false);
    expect(out).toMatchObject({
      error: {
        errorType: 'InvalidInputError',
        errorMessage: expect.stringMatching(/unknown field\(s\) commit/),
      },
    });
  });
});
