/**
 * The state machine end to end with the real handlers, from events/push.json: Prepare, ArchiveSource, the build
 * (the emulator runs the buildspec with the local build runner), RenderTaskDefinition, and the record.
 * Everything is the moto server: CodeCommit reads and the build's source come from a git repository the emulator
 * serves (test/support/git-codecommit.ts), so commit ids are real.
 */

import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetObjectCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalStack, type RunResult, runPipeline } from '../../cli/local/state-machine';
import { readForward } from '../../functions/lib/deploy/listener';
import { loadEvent } from '../support/events';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, production, pushOf } from '../support/pipeline';
import { readZip } from '../support/zip-reader';

const MODES = { file: 0o100644, executable: 0o100755, symlink: 0o120777 } as const;

/** States of the poll loops: how many polls a build or a pause takes is not the point. */
const LOOP_STATES = new Set([
  'WaitForBuild',
  'PollBuild',
  'CheckBuild',
  'IsBuildDone',
  'WaitForLock',
  'AcquireLock',
  'IsLockAcquired',
  'WaitForGreenHealth',
  'WaitForGreen',
  'CheckGreen',
  'IsGreenReady',
  'WaitInPause',
  'PauseWaited',
  'CheckPause',
  'IsPauseOver',
  'WaitInBake',
  'BakeWaited',
  'CheckBake',
  'IsBakeOver',
]);

/** The states visited, with each poll loop folded to one pass. */
function path(run: RunResult): string[] {
  const folded: string[] = [];
  let seen = new Set<string>();
  for (const state of run.statesVisited) {
    if (!LOOP_STATES.has(state)) seen = new Set();
    else if (seen.has(state)) continue;
    else seen.add(state);
    folded.push(state);
  }
  return folded;
}

const THROUGH_RENDER = [
  'Prepare',
  'IsDuplicate',
  'ArchiveSource',
  'StartBuild',
  'WaitForBuild',
  'CheckBuild',
  'IsBuildDone',
  'RenderTaskDefinition',
];

const DEPLOYED = [
  ...THROUGH_RENDER,
  'AcquireLock',
  'IsLockAcquired',
  'InitializeGreen',
  'BeforeInstallHooks',
  'CreateGreen',
  'AfterInstallHooks',
  'WaitForGreenHealth',
  'CheckGreen',
  'IsGreenReady',
  'AllowTestTraffic',
  'AfterAllowTestTrafficHooks',
  'BeforeAllowTrafficHooks',
  'StartTrafficShift',
  'ShiftTraffic',
  'IsShiftDone',
  'AfterAllowTrafficHooks',
  'WaitInBake',
  'BakeWaited',
  'CheckBake',
  'IsBakeOver',
  'Finalize',
  'RecordSuccess',
  'Done',
];

describe('the pipeline, end to end through the state machine', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const s3 = new S3Client({});
  const ecs = new ECSClient({});
  const elbv2 = new ElasticLoadBalancingV2Client({});
  let stack: LocalStack & { target?: BlueGreenFixture };
  let target: BlueGreenFixture;

  beforeEach(async () => {
    stack = await createLocalStack({ target: { containerName: 'web', containerPort: 8080 } });
    target = stack.target as BlueGreenFixture;
    await moto.setBuildExecutor();
  });

  const run = (input: unknown, executionName: string) =>
    runPipeline({ input, stack, executionName, waitMs: () => 20 });

  it('archives the pushed commit, builds it, registers its task definition and moves production to it', async () => {
    const [repo] = await serve(sampleRepository());

    const result = await run(pushOf(repo.commitId), 'push-1');

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(path(result)).toEqual(DEPLOYED);
    const output = result.output as {
      source: { bucket: string; key: string; versionId: string; files: number };
      buildResult: { image: unknown };
      render: { taskDefinitionArn: string; appspec: unknown };
    };

    // The source archive holds exactly the tree: paths, bytes and modes.
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: output.source.bucket,
        Key: output.source.key,
        VersionId: output.source.versionId,
      }),
    );
    const bytes = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    const actual = Object.fromEntries(
      readZip(bytes).map((e) => [e.path, { mode: e.mode, data: e.data.toString('utf8') }]),
    );
    expect(actual).toEqual(
      Object.fromEntries(
        Object.entries(repo.files).map(([p, f]) => [
          p,
          { mode: MODES[f.mode ?? 'file'], data: Buffer.from(f.content).toString('utf8') },
        ]),
      ),
    );
    expect(object.Metadata).toMatchObject({ 'commit-id': repo.commitId, files: String(output.source.files) });

    // The build cloned the pushed commit and ran its buildspec, which wrote the image input for the placeholder.
    const [build] = await moto.listRecordedBuilds();
    expect(build?.overrides).toMatchObject({ sourceVersion: repo.commitId });
    expect(build?.buildStatus).toBe('SUCCEEDED');
    const image = `public.ecr.aws/nginx/nginx:${repo.commitId.slice(0, 7)}`;
    expect(output.buildResult.image).toEqual({
      details: [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json', imageUri: image }],
    });

    // The registered revision carries that image, in the image field and in the environment value.
    const { taskDefinition } = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: output.render.taskDefinitionArn }),
    );
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({
      image,
      environment: [{ name: 'IMAGE', value: image }],
    });
    expect(output.render.appspec).toEqual({ containerName: 'web', containerPort: 8080, hooks: {} });

    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({
      status: 'SUCCEEDED',
      commitId: repo.commitId,
      trigger: 'push',
      deploymentId: 'push-1',
      taskDefinitionArn: output.render.taskDefinitionArn,
      build: { image: { details: [{ imageUri: image }] } },
      steps: [{ greenPercent: 100 }],
    });

    // Production: all traffic on the other target group, served by exactly one task set, the new revision.
    expect(await production(target)).toEqual({
      weights: { [target.targetGroups.green]: 100, [target.targetGroups.blue]: 0 },
      primary: output.render.taskDefinitionArn,
      taskSets: 1,
    });
    const test = await readForward(elbv2, target.testListenerArn);
    expect(test.targetGroups.find((group) => group.weight === 100)?.arn).toBe(target.targetGroups.green);
  });

  it('ends a second execution for the same commit at once, with no new artifact, build or record', async () => {
    const [repo] = await serve(sampleRepository());
    await run(pushOf(repo.commitId), 'push-1');

    const again = await run(pushOf(repo.commitId), 'push-1-redelivered');

    expect(again).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(again.statesVisited).toEqual(['Prepare', 'IsDuplicate', 'AlreadyHandled']);
    expect((again.output as { reason: string }).reason).toMatch(
      /was deployed by deployment push-1 \(SUCCEEDED/,
    );
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: stack.resources.ArtifactBucket, Prefix: 'source/' }),
    );
    expect(versions.Versions).toHaveLength(1);
    expect(await moto.listRecordedBuilds()).toHaveLength(1);
    expect(await deploymentRecords(stack)).toHaveLength(1);
  });

  it('deploys the same commit again with force, reusing its archive and its registered revision', async () => {
    const [repo] = await serve(sampleRepository());
    const first = await run(pushOf(repo.commitId), 'push-1');

    const forced = await run({ commitId: repo.commitId, force: true }, 'forced');

    expect(forced).toMatchObject({ status: 'SUCCEEDED', error: null });
    const out = (r: RunResult) =>
      r.output as {
        source: { versionId: string; reused: boolean };
        render: { taskDefinitionArn: string; reused: boolean };
      };
    expect(out(forced).source).toMatchObject({ versionId: out(first).source.versionId, reused: true });
    expect(out(forced).render).toMatchObject({
      taskDefinitionArn: out(first).render.taskDefinitionArn,
      reused: true,
    });
    expect((await deploymentRecords(stack)).map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('fails with SourceError and records FAILED when taskdef.json is missing; the commit may run again', async () => {
    const withoutTaskdef = sampleRepository();
    delete withoutTaskdef.files['taskdef.json'];
    const withTaskdef = { ...sampleRepository(), message: 'Add the task definition' };
    const [broken, fixed] = await serve(withoutTaskdef, withTaskdef);

    const result = await run(pushOf(broken.commitId), 'broken');

    const failedInSource = ['Prepare', 'IsDuplicate', 'ArchiveSource', 'RecordFailure', 'Failed'];
    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('SourceError');
    expect(result.error?.cause).toMatch(/taskdef\.json/);
    expect(result.statesVisited).toEqual(failedInSource);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'SourceError' } });
    expect(await moto.listRecordedBuilds()).toHaveLength(0);

    // A FAILED commit is no duplicate: it runs again (a commit's tree never changes, so it fails the same way).
    const again = await run(pushOf(broken.commitId), 'broken-again');
    expect(again.statesVisited).toEqual(failedInSource);
    expect(again.error?.name).toBe('SourceError');
    expect((await deploymentRecords(stack)).map((r) => r.status)).toEqual(['FAILED', 'FAILED']);

    const retried = await run(pushOf(fixed.commitId), 'retried');
    expect(retried).toMatchObject({ status: 'SUCCEEDED', error: null });
  });

  it('fails with BuildFailedError, naming the phase and the command, when the build fails', async () => {
    const red = sampleRepository();
    red.files['scripts/build.sh'] = {
      content: '#!/bin/sh\necho "tests failed" >&2\nexit 2\n',
      mode: 'executable',
    };
    const [repo] = await serve(red);

    const result = await run(pushOf(repo.commitId), 'red-build');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('BuildFailedError');
    expect(result.error?.cause).toMatch(
      /ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: \.\/scripts\/build\.sh\. Reason: exit status 2; logs: https:/,
    );
    // The build may be seen running once or more before it fails.
    expect(path(result).slice(0, 6)).toEqual(THROUGH_RENDER.slice(0, 6));
    expect(result.statesVisited.slice(-3)).toEqual(['CheckBuild', 'RecordFailure', 'Failed']);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'BuildFailedError' } });
  });

  it('fails with InvalidInputError and registers nothing when the AppSpec names an unknown container', async () => {
    const unknownContainer = sampleRepository();
    unknownContainer.files['appspec.yaml'] = {
      content: String(unknownContainer.files['appspec.yaml']?.content).replace(
        'ContainerName: web',
        'ContainerName: api',
      ),
    };
    const [repo] = await serve(unknownContainer);

    const result = await run(pushOf(repo.commitId), 'bad-appspec');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toMatch(/appspec\.yaml.*api/);
    expect(path(result)).toEqual([...THROUGH_RENDER, 'RecordFailure', 'Failed']);
    const families = await ecs
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))
      .catch((e: Error) => e);
    expect(families).toBeInstanceOf(Error);
  });

  it('stops the build and closes the record when the execution is aborted', async () => {
    const slow = sampleRepository();
    slow.files['scripts/build.sh'] = { content: '#!/bin/sh\nsleep 60\n', mode: 'executable' };
    const [repo] = await serve(slow);
    const result = await abortWhen(
      { input: pushOf(repo.commitId), stack, executionName: 'aborted', waitMs: () => 50 },
      // Step Functions waits for the build in WaitForBuild (.sync): the stop comes while it runs.
      (event) => event.type === 'state-entered' && event.state === 'WaitForBuild',
    );

    expect(result.status).toBe('ABORTED');
    const [build] = await moto.listRecordedBuilds();
    expect(build?.buildStatus).toBe('STOPPED');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'ExecutionAborted' } });
    expect(record?.error.message).toMatch(/was stopped/);
  });

  it('rejects an input it does not understand before any side effect', async () => {
    await serve(sampleRepository());

    const result = await run(loadEvent('push-tag'), 'tag');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.statesVisited).toEqual(['Prepare']);
    expect(await deploymentRecords(stack)).toHaveLength(0);
  });
});
