import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type Build,
  buildToken,
  checkBuild,
  failureOf,
  getBuild,
  logsUrl,
  startBuild,
  stopBuild,
} from '../../../functions/lib/build/codebuild';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { CODEBUILD } from '../../../functions/lib/shared/aws-json';
import { BuildFailedError, BuildTimeoutError, InvalidInputError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';
import { type FakeJsonService, fakeJsonService, serviceError } from '../../support/fake-json-service';

const { deployment } = loadEvent<{ deployment: Deployment }>('start-build');
const settings = {
  projectName: 'switchyard-build',
  artifactBucket: 'artifacts',
  pollSeconds: 15,
  timeoutMinutes: 30,
};
const ref = {
  id: 'switchyard-build:1234',
  startedAt: '2026-11-26T12:00:00.000Z',
  pollSeconds: 15,
  timeoutMinutes: 30,
};
const codebuild = mockClient(CodeBuildClient);
const client = new CodeBuildClient({});
// BatchGetBuilds and StopBuild are JSON calls (shared/aws-json.ts): answered by a fake CodeBuild.
let reads: FakeJsonService;
const answerBuilds = (...builds: Build[]) => {
  reads.handlers.BatchGetBuilds = () => ({ builds });
};

beforeEach(() => {
  codebuild.reset();
  reads = fakeJsonService(CODEBUILD, { StopBuild: () => ({}) });
});

describe('startBuild', () => {
  it("builds the exact commit from the project's CodeCommit source, with the commit variables, a per-commit artifact and a token", async () => {
    codebuild
      .on(StartBuildCommand)
      .resolves({ build: { id: 'switchyard-build:1', startTime: new Date('2026-11-26T12:00:05Z') } });

    const out = await startBuild(client, { deployment }, settings);

    expect(out).toMatchObject({
      id: 'switchyard-build:1',
      startedAt: '2026-11-26T12:00:05.000Z',
      pollSeconds: 15,
      timeoutMinutes: 30,
    });
    const input = codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(input).toEqual({
      projectName: 'switchyard-build',
      sourceVersion: deployment.commitId,
      environmentVariablesOverride: [
        { name: 'COMMIT_ID', value: deployment.commitId, type: 'PLAINTEXT' },
        { name: 'SHORT_COMMIT', value: deployment.commitId.slice(0, 7), type: 'PLAINTEXT' },
        { name: 'BRANCH', value: 'main', type: 'PLAINTEXT' },
        { name: 'REPOSITORY', value: 'switchyard-sample-app', type: 'PLAINTEXT' },
        { name: 'EXECUTION_ID', value: deployment.executionId, type: 'PLAINTEXT' },
      ],
      artifactsOverride: {
        type: 'S3',
        location: 'artifacts',
        path: `build/switchyard-sample-app/${deployment.commitId}`,
        namespaceType: 'BUILD_ID',
        name: 'build.zip',
        packaging: 'ZIP',
      },
      timeoutInMinutesOverride: 30,
      idempotencyToken: buildToken(deployment),
      buildspecOverride: 'buildspec.yml',
    });
  });

  it("names the buildspec path and passes the team's variables, which win over the commit variables", async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'switchyard-build:2' } });

    await startBuild(
      client,
      { deployment },
      {
        ...settings,
        buildspecPath: 'codedeploy/buildspec.yml',
        buildVariables: [
          { name: 'BRANCH', value: 'release', type: 'PLAINTEXT' },
          { name: 'TOKEN', value: '/app/token', type: 'PARAMETER_STORE' },
          { name: 'DB_PASSWORD', value: 'prod/db:password', type: 'SECRETS_MANAGER' },
        ],
      },
    );

    const input = codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(input?.buildspecOverride).toBe('codedeploy/buildspec.yml');
    expect(input?.environmentVariablesOverride?.map((v) => [v.name, v.value, v.type])).toEqual([
      ['COMMIT_ID', deployment.commitId, 'PLAINTEXT'],
      ['SHORT_COMMIT', deployment.commitId.slice(0, 7), 'PLAINTEXT'],
      ['REPOSITORY', 'switchyard-sample-app', 'PLAINTEXT'],
      ['EXECUTION_ID', deployment.executionId, 'PLAINTEXT'],
      ['BRANCH', 'release', 'PLAINTEXT'],
      ['TOKEN', '/app/token', 'PARAMETER_STORE'],
      ['DB_PASSWORD', 'prod/db:password', 'SECRETS_MANAGER'],
    ]);
  });

  it("names the project's buildspec.yml when the path is the default, and hands the same request to WaitForBuild", async () => {
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'switchyard-build:3' } });
    const ref = await startBuild(client, { deployment }, { ...settings, buildspecPath: 'buildspec.yml' });
    const input = codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input;
    expect(input?.buildspecOverride).toBe('buildspec.yml');
    // Step Functions' PascalCase, every parameter as sent (the idempotencyToken returns this same build).
    expect(ref.request).toMatchObject({
      ProjectName: input?.projectName,
      BuildspecOverride: 'buildspec.yml',
      IdempotencyToken: input?.idempotencyToken,
      TimeoutInMinutesOverride: input?.timeoutInMinutesOverride,
      ArtifactsOverride: { Type: 'S3', NamespaceType: 'BUILD_ID' },
    });
    expect(ref.request?.EnvironmentVariablesOverride).toHaveLength(
      input?.environmentVariablesOverride?.length ?? -1,
    );
  });

  it('derives the same token for a retry of the same deployment, and another for another deployment', () => {
    expect(buildToken(deployment)).toBe(buildToken({ ...deployment }));
    expect(buildToken(deployment)).not.toBe(buildToken({ ...deployment, id: 'another-execution' }));
  });

  it('says what it expects when the commit is missing or not a commit id', async () => {
    for (const commitId of [undefined, 'main', deployment.commitId.slice(0, 7)]) {
      await expect(
        startBuild(client, { deployment: { ...deployment, commitId: commitId as never } }, settings),
      ).rejects.toThrow(/StartBuild expects \{"deployment": \{"commitId": <40 hex digits>/);
    }
    expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
  });
});

describe('checkBuild', () => {
  const now = new Date('2026-11-26T12:05:00Z');

  it('reports a running build with its phase', async () => {
    answerBuilds({ id: ref.id, buildStatus: 'IN_PROGRESS', currentPhase: 'BUILD' });

    await expect(checkBuild(reads.client, ref, { region: 'us-east-1', now })).resolves.toEqual({
      status: 'IN_PROGRESS',
      phase: 'BUILD',
      elapsedSeconds: 300,
    });
    expect(reads.inputs('BatchGetBuilds')).toEqual([{ ids: [ref.id] }]);
    expect(reads.inputs('StopBuild')).toHaveLength(0);
  });

  it('stops a build that runs past the timeout and fails with BuildTimeoutError', async () => {
    answerBuilds({ id: ref.id, buildStatus: 'IN_PROGRESS', currentPhase: 'BUILD' });

    const late = new Date('2026-11-26T12:31:00Z');
    await expect(checkBuild(reads.client, ref, { region: 'us-east-1', now: late })).rejects.toThrow(
      BuildTimeoutError,
    );
    expect(reads.inputs('StopBuild')).toEqual([{ id: ref.id }]);
  });

  it('fails with the failed phase, its context and the log link', async () => {
    answerBuilds({
      id: ref.id,
      buildStatus: 'FAILED',
      phases: [
        { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
        {
          phaseType: 'BUILD',
          phaseStatus: 'FAILED',
          contexts: [
            {
              statusCode: 'COMMAND_EXECUTION_ERROR',
              message: 'Error while executing command: make. Reason: exit status 2',
            },
          ],
        },
        { phaseType: 'POST_BUILD', phaseStatus: 'SUCCEEDED' },
        { phaseType: 'COMPLETED' },
      ],
      logs: {
        deepLink: 'https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=g;stream=s',
      },
    });

    const failure = checkBuild(reads.client, ref, { region: 'us-east-1', now });
    await expect(failure).rejects.toThrow(BuildFailedError);
    await expect(failure).rejects.toThrow(
      'build switchyard-build:1234 ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2; logs: https://console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEvent:group=g;stream=s',
    );
  });

  it.each(['FAULT', 'STOPPED', 'TIMED_OUT'] as const)(
    'fails with BuildFailedError for a %s build',
    async (status) => {
      answerBuilds({ id: ref.id, buildStatus: status, currentPhase: 'PROVISIONING' });

      await expect(checkBuild(reads.client, ref, { region: 'us-east-1', now })).rejects.toThrow(
        new RegExp(`ended ${status} in phase PROVISIONING: no context message; logs: none`),
      );
    },
  );

  it('returns the artifact location of a build that succeeded', async () => {
    answerBuilds({
      id: ref.id,
      buildStatus: 'SUCCEEDED',
      artifacts: { location: 'arn:aws:s3:::artifacts/build/app/c/1234/build.zip' },
    });

    await expect(checkBuild(reads.client, ref, { region: 'us-east-1', now })).resolves.toEqual({
      status: 'SUCCEEDED',
      artifact: { bucket: 'artifacts', key: 'build/app/c/1234/build.zip' },
      logsUrl: null,
    });
  });
});

describe('getBuild and stopBuild', () => {
  it('names the build CodeBuild does not know', async () => {
    reads.handlers.BatchGetBuilds = () => ({ builds: [], buildsNotFound: [ref.id] });

    const read = getBuild(reads.client, ref.id);
    await expect(read).rejects.toThrow(InvalidInputError);
    await expect(read).rejects.toThrow(`CodeBuild has no build ${ref.id} (${ref.id})`);
  });

  it('leaves a build that already ended (InvalidInputException) and passes any other error on', async () => {
    reads.handlers.StopBuild = () => {
      throw serviceError('InvalidInputException', 400, 'Build is already complete');
    };
    await expect(stopBuild(reads.client, ref.id)).resolves.toBeUndefined();

    reads.handlers.StopBuild = () => {
      throw serviceError('AccessDeniedException', 400);
    };
    await expect(stopBuild(reads.client, ref.id)).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(reads.inputs('StopBuild')).toEqual([{ id: ref.id }, { id: ref.id }]);
  });
});

describe('logsUrl and failureOf', () => {
  it('builds a CloudWatch console link from the group and stream when there is no deep link', () => {
    expect(logsUrl({ logs: { groupName: '/aws/codebuild/p', streamName: 'a/b' } }, 'eu-west-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fcodebuild$252Fp/log-events/a$252Fb',
    );
  });

  it('names the first phase that did not succeed', () => {
    expect(
      failureOf({
        phases: [
          { phaseType: 'PRE_BUILD', phaseStatus: 'SUCCEEDED' },
          {
            phaseType: 'BUILD',
            phaseStatus: 'TIMED_OUT',
            contexts: [{ statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out.' }],
          },
        ],
      }),
    ).toEqual({ phase: 'BUILD', context: 'BUILD_TIMED_OUT: Build has timed out.' });
  });
});
