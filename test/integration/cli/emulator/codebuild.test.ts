/**
 * The emulator's CodeBuild with an executor: StartBuild clones the commit from the CodeCommit repository (a local
 * git repository the emulator serves) and runs its buildspec for real, and BatchGetBuilds reports what happened,
 * so StartBuild/CheckBuild are exercised end to end without AWS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { createLocalStack } from '../../../../cli/local/local-stack';
import type { LocalStack } from '../../../../cli/local/state-machine';
import { readZipArtifact } from '../../../../functions/lib/build/artifacts';
import { type BuildRef, checkBuild, getBuild, startBuild } from '../../../../functions/lib/build/codebuild';
import type { Deployment } from '../../../../functions/lib/record/deployments';
import { CODEBUILD, jsonClient } from '../../../../functions/lib/shared/aws-json';
import { s3Reader } from '../../../../functions/lib/shared/s3-read';
import type { BuildVariable } from '../../../../functions/lib/shared/settings';
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
  const reads = jsonClient(CODEBUILD);
  const s3 = new S3Client({});
  let stack: LocalStack;

  beforeEach(async () => {
    stack = await createLocalStack({});
    await moto.setBuildExecutor();
  });

  /** A git repository with this buildspec, served as the stack's CodeCommit repository; its commit's deployment. */
  async function commit(buildspec: string): Promise<Deployment> {
    const dir = mkdtempSync(join(tmpdir(), 'emulated-codecommit-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 't',
          GIT_AUTHOR_EMAIL: 't@e',
          GIT_COMMITTER_NAME: 't',
          GIT_COMMITTER_EMAIL: 't@e',
        },
      })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'buildspec.yml'), buildspec);
    writeFileSync(join(dir, 'taskdef.json'), '{}');
    git('add', '-A');
    git('commit', '-q', '-m', 'the commit to build');
    await moto.serveGitRepository({ name: stack.parameters.RepositoryName ?? '', path: dir });
    return { ...deployment, commitId: git('rev-parse', 'HEAD') };
  }

  async function start(buildspec: string, built?: Deployment, buildVariables?: BuildVariable[]) {
    const target = built ?? (await commit(buildspec));
    return startBuild(
      codebuild,
      { deployment: target },
      {
        projectName: stack.resources.BuildProject as string,
        artifactBucket: stack.resources.ArtifactBucket as string,
        pollSeconds: 1,
        timeoutMinutes: 5,
        buildVariables,
      },
    );
  }

  async function logLines(id: string): Promise<string[]> {
    const build = await getBuild(reads, id);
    const logs = await new CloudWatchLogsClient({}).send(
      new FilterLogEventsCommand({
        logGroupName: build.logs?.groupName,
        logStreamNames: [build.logs?.streamName ?? ''],
      }),
    );
    return logs.events?.map((event) => event.message ?? '') ?? [];
  }

  async function waitForEnd(ref: BuildRef) {
    for (let i = 0; i < 150; i += 1) {
      const check = await checkBuild(reads, ref, { region: 'us-east-1' });
      if (check.status !== 'IN_PROGRESS') return check;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`build ${ref.id} did not end`);
  }

  it('runs the buildspec with the commit variables and uploads the artifact where CodeBuild would', async () => {
    const built = await commit(BUILDSPEC_OK);
    const ref = await start(BUILDSPEC_OK, built);

    const done = await waitForEnd(ref);

    expect(done.status).toBe('SUCCEEDED');
    if (done.status !== 'SUCCEEDED') return;
    expect(done.artifact.key).toBe(
      `build/switchyard-sample-app/${built.commitId}/${ref.id.split(':')[1]}/build.zip`,
    );
    const files = await readZipArtifact(s3Reader(), done.artifact);
    expect(JSON.parse(files.get('imageDetail.json')?.toString() ?? '')).toEqual({
      ImageURI: `registry.local/app:${built.commitId.slice(0, 7)}`,
    });
    const build = await getBuild(reads, ref.id);
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
    expect(logs.events?.map((event) => event.message)).toContain(`building ${built.commitId} on main`);
  });

  it('gives the build the commit as CODEBUILD_RESOLVED_SOURCE_VERSION, as CodeBuild does for a CodeCommit source', async () => {
    const built = await commit(`version: 0.2
phases:
  build:
    commands:
      - test "$(git rev-parse HEAD)" = "$CODEBUILD_RESOLVED_SOURCE_VERSION"
      - printf '{"ImageURI":"registry.local/app:%s"}' "$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)" > imageDetail.json
artifacts:
  files: [imageDetail.json]
`);
    const ref = await start('', built);

    const done = await waitForEnd(ref);

    if (done.status !== 'SUCCEEDED') throw new Error(`the build ended ${done.status}`);
    const files = await readZipArtifact(s3Reader(), done.artifact);
    expect(JSON.parse(files.get('imageDetail.json')?.toString() ?? '')).toEqual({
      ImageURI: `registry.local/app:${built.commitId.slice(0, 7)}`,
    });
    const build = await getBuild(reads, ref.id);
    expect(build.sourceVersion).toBe(built.commitId);
    expect(build.resolvedSourceVersion).toBe(built.commitId);
  });

  it('leaves CODEBUILD_RESOLVED_SOURCE_VERSION unset for an S3 source, as CodeBuild does', async () => {
    const bucket = stack.resources.ArtifactBucket as string;
    const { zip } = await zipToBuffer(
      [
        {
          path: 'buildspec.yml',
          mode: 'file',
          data: Buffer.from(
            'version: 0.2\nphases:\n  build:\n    commands:\n      - "! env | grep -q \'^CODEBUILD_RESOLVED_SOURCE_VERSION=\'"\n',
          ),
        },
      ],
      { mtime: new Date('2026-11-26T12:00:00Z') },
    );
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'source/s3-source.zip', Body: zip }),
    );
    const { build } = await codebuild.send(
      new StartBuildCommand({
        projectName: stack.resources.BuildProject as string,
        sourceTypeOverride: 'S3',
        sourceLocationOverride: `${bucket}/source/s3-source.zip`,
        sourceVersion: put.VersionId,
      }),
    );
    const done = await waitForEnd({
      id: build?.id ?? '',
      startedAt: new Date().toISOString(),
      pollSeconds: 1,
      timeoutMinutes: 5,
    });
    expect(done.status).toBe('SUCCEEDED');
    expect((await getBuild(reads, build?.id ?? '')).resolvedSourceVersion).toBeUndefined();
  });

  it('fails DOWNLOAD_SOURCE when the commit is not in the repository, as CodeBuild does', async () => {
    const built = await commit(BUILDSPEC_OK);
    const ref = await start('', { ...built, commitId: 'f'.repeat(40) });

    await expect(waitForEnd(ref)).rejects.toThrow(
      /ended FAULT in phase DOWNLOAD_SOURCE: .*reference not found/,
    );
  });

  it('reports a failing command as CodeBuild does: FAILED in BUILD with the command and its exit status', async () => {
    const ref = await start(BUILDSPEC_FAILS);

    await expect(waitForEnd(ref)).rejects.toThrow(
      /ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: exit 3\. Reason: exit status 3/,
    );
  });

  it("resolves the build's Parameter Store and Secrets Manager variables from the emulator, and hides them in the log", async () => {
    await new SSMClient({}).send(
      new PutParameterCommand({ Name: '/app/db-password', Value: 'pa55-word', Type: 'SecureString' }),
    );
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: 'app/dockerhub',
        SecretString: JSON.stringify({ username: 'deploy-bot', token: 'tok-123456' }),
      }),
    );
    const built = await commit(`version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /app/db-password
  secrets-manager:
    HUB_USER: app/dockerhub:username
phases:
  build:
    commands:
      - echo "db=$DB_PASSWORD user=$HUB_USER token=$HUB_TOKEN"
      - printf '{"db":"%s","user":"%s","token":"%s"}' "$DB_PASSWORD" "$HUB_USER" "$HUB_TOKEN" > seen.json
      - printf '{"ImageURI":"registry.local/app:%s"}' "$SHORT_COMMIT" > imageDetail.json
artifacts:
  files: [imageDetail.json, seen.json]
`);
    const ref = await start('', built, [
      { name: 'HUB_TOKEN', value: 'app/dockerhub:token:AWSCURRENT', type: 'SECRETS_MANAGER' },
    ]);

    const done = await waitForEnd(ref);

    if (done.status !== 'SUCCEEDED') throw new Error(`the build ended ${done.status}`);
    const files = await readZipArtifact(s3Reader(), done.artifact);
    expect(JSON.parse(files.get('seen.json')?.toString() ?? '')).toEqual({
      db: 'pa55-word',
      user: 'deploy-bot',
      token: 'tok-123456',
    });
    const log = await logLines(ref.id);
    expect(log).toContain('db=*** user=*** token=***');
    for (const secret of ['pa55-word', 'deploy-bot', 'tok-123456'])
      expect(log.join('\n')).not.toContain(secret);
  });

  it('fails DOWNLOAD_SOURCE as CodeBuild does when a parameter is not in the emulator, naming the variable', async () => {
    const ref = await start(`version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /app/missing
phases:
  build:
    commands:
      - echo never
`);

    await expect(waitForEnd(ref)).rejects.toThrow(
      /ended FAILED in phase DOWNLOAD_SOURCE: Decrypted Variables Error: parameter does not exist: \/app\/missing \(variable DB_PASSWORD of buildspec\.yml env\.parameter-store/,
    );
    expect(await logLines(ref.id)).not.toContain('never');
  });

  it('fails DOWNLOAD_SOURCE when a secret lacks the JSON key the reference names', async () => {
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'app/registry', SecretString: JSON.stringify({ username: 'bot' }) }),
    );
    const built = await commit('version: 0.2\nphases:\n  build:\n    commands:\n      - echo never\n');
    const ref = await start('', built, [
      { name: 'REGISTRY_TOKEN', value: 'app/registry:token', type: 'SECRETS_MANAGER' },
    ]);

    await expect(waitForEnd(ref)).rejects.toThrow(
      /ended FAILED in phase DOWNLOAD_SOURCE: Secrets Manager Error: secret app\/registry has no JSON key "token" \(its keys: username\) \(variable REGISTRY_TOKEN of the project, reference "app\/registry:token"\)/,
    );
  });

  it('stops a running build on StopBuild', async () => {
    const ref = await start('version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n');
    for (let i = 0; i < 50 && (await getBuild(reads, ref.id)).currentPhase !== 'BUILD'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    await codebuild.send(new StopBuildCommand({ id: ref.id }));

    const stopped = await getBuild(reads, ref.id);
    expect(stopped.buildStatus).toBe('STOPPED');
    await expect(waitForEnd(ref)).rejects.toThrow(/ended STOPPED/);
  });
});
