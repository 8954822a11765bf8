/**
 * The emulator's CodeBuild with an executor: StartBuild runs the buildspec of the archived source for real, and
 * BatchGetBuilds reports what happened, so StartBuild/CheckBuild are exercised end to end without AWS.
 */

import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalStack } from '../../../../cli/local/local-stack';
import type { LocalStack } from '../../../../cli/local/state-machine';
import { readZipArtifact } from '../../../../functions/lib/build/artifacts';
import { type BuildRef, checkBuild, getBuild, startBuild } from '../../../../functions/lib/build/codebuild';
import type { Deployment } from '../../../../functions/lib/record/deployments';
import { zipToBuffer } from '../../../../functions/lib/zip/write';
import { loadEvent } from '../../../support/events';
import { useMoto } from '../../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('start-build');

const BUILDSPEC_OK = `version: 0.2
phases:
  build:
    commands:
      - echo "building $COMMIT_ID on $BRANCH"
      - printf '{"ImageURI":"registry.local/app:%s"}' "$SHORT_COMMIT" > imageDetail.json
artifacts:
  files:
    - imageDetail.json
`;

const BUILDSPEC_FAILS = `version: 0.2
phases:
  build:
    commands:
      - echo compiling
      - exit 3
    finally:
      - echo cleaning up
artifacts:
  files: ['**/*']
`;

describe('the emulator runs builds with the local build runner', () => {
  const moto = useMoto();
  const codebuild = new CodeBuildClient({});
  const s3 = new S3Client({});
  let stack: LocalStack;

  beforeEach(async () => {
    stack = await createLocalStack({});
    await moto.setBuildExecutor();
  });

  async function start(buildspec: string) {
    const { zip } = await zipToBuffer(
      [
        { path: 'buildspec.yml', mode: 'file', data: Buffer.from(buildspec) },
        { path: 'taskdef.json', mode: 'file', data: Buffer.from('{}') },
      ],
      { mtime: new Date('2026-11-26T12:00:00Z') },
    );
    const bucket = stack.resources.ArtifactBucket as string;
    const key = `source/switchyard-sample-app/${deployment.commitId}.zip`;
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip }));
    return startBuild(
      codebuild,
      { deployment, source: { bucket, key, versionId: put.VersionId ?? null } },
      {
        projectName: stack.resources.BuildProject as string,
        artifactBucket: bucket,
        pollSeconds: 1,
        timeoutMinutes: 5,
      },
    );
  }

  async function waitForEnd(ref: BuildRef) {
    for (let i = 0; i < 150; i += 1) {
      const check = await checkBuild(codebuild, ref, { region: 'us-east-1' });
      if (check.status !== 'IN_PROGRESS') return check;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`build ${ref.id} did not end`);
  }

  it('runs the buildspec with the commit variables and uploads the artifact where CodeBuild would', async () => {
    const ref = await start(BUILDSPEC_OK);

    const done = await waitForEnd(ref);

    expect(done.status).toBe('SUCCEEDED');
    if (done.status !== 'SUCCEEDED') return;
    expect(done.artifact.key).toBe(
      `build/switchyard-sample-app/${deployment.commitId}/${ref.id.split(':')[1]}/build.zip`,
    );
    const files = await readZipArtifact(s3, done.artifact);
    expect(JSON.parse(files.get('imageDetail.json')?.toString() ?? '')).toEqual({
      ImageURI: `registry.local/app:${deployment.commitId.slice(0, 7)}`,
    });
    const build = await getBuild(codebuild, ref.id);
    expect(build.phases?.map((phase) => phase.phaseType)).toEqual(
      expect.arrayContaining([
        'DOWNLOAD_SOURCE',
        'INSTALL',
        'PRE_BUILD',
        'BUILD',
        'POST_BUILD',
        'UPLOAD_ARTIFACTS',
        'COMPLETED',
      ]),
    );
    const logs = await new CloudWatchLogsClient({}).send(
      new FilterLogEventsCommand({
        logGroupName: build.logs?.groupName,
        logStreamNames: [build.logs?.streamName ?? ''],
      }),
    );
    expect(logs.events?.map((event) => event.message)).toContain(`building ${deployment.commitId} on main`);
  });

  it('reports a failing command as CodeBuild does: FAILED in BUILD with the command and its exit status', async () => {
    const ref = await start(BUILDSPEC_FAILS);

    await expect(waitForEnd(ref)).rejects.toThrow(
      /ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: exit 3\. Reason: exit status 3/,
    );
  });

  it('stops a running build on StopBuild', async () => {
    const ref = await start('version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n');
    for (let i = 0; i < 50 && (await getBuild(codebuild, ref.id)).currentPhase !== 'BUILD'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await codebuild.send(new StopBuildCommand({ id: ref.id }));

    const stopped = await getBuild(codebuild, ref.id);
    expect(stopped.buildStatus).toBe('STOPPED');
    await expect(waitForEnd(ref)).rejects.toThrow(/ended STOPPED/);
  });
});
