import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { LocalStack } from '../../../cli/local/state-machine';
import { type BuildRef, checkBuild, startBuild } from '../../../functions/lib/build/codebuild';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { CODEBUILD, jsonClient } from '../../../functions/lib/shared/aws-json';
import { BuildFailedError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('start-build');

describe('StartBuild and CheckBuild against the emulator', () => {
  const moto = useMoto();
  const codebuild = new CodeBuildClient({});
  // BatchGetBuilds and StopBuild go as JSON calls (shared/aws-json.ts), as CheckBuild sends them.
  const reads = jsonClient(CODEBUILD);
  let stack: LocalStack;
  let settings: Parameters<typeof startBuild>[2];

  beforeEach(async () => {
    stack = await createLocalStack({});
    settings = {
      projectName: stack.resources.BuildProject as string,
      artifactBucket: stack.resources.ArtifactBucket as string,
      pollSeconds: 15,
      timeoutMinutes: 30,
    };
  });

  const poll = async (ref: BuildRef, times: number) => {
    const seen = [];
    for (let i = 0; i < times; i += 1)
      seen.push((await checkBuild(reads, ref, { region: 'us-east-1' })).status);
    return seen;
  };

  it('starts one build with the overrides, even when the start is retried', async () => {
    const first = await startBuild(codebuild, { deployment }, settings);
    const retried = await startBuild(codebuild, { deployment }, settings);

    expect(retried.id).toBe(first.id);
    const builds = await moto.listRecordedBuilds();
    expect(builds).toHaveLength(1);
    expect(builds[0]?.overrides).toMatchObject({
      sourceVersion: deployment.commitId,
      artifactsOverride: {
        path: `build/switchyard-sample-app/${deployment.commitId}`,
        namespaceType: 'BUILD_ID',
      },
    });
  });

  it('sees IN_PROGRESS, then SUCCEEDED with the per-commit, per-build artifact location', async () => {
    await moto.scriptBuildOutcomes(settings.projectName, [{ status: 'SUCCEEDED', inProgressPolls: 2 }]);
    const ref = await startBuild(codebuild, { deployment }, settings);

    expect(await poll(ref, 2)).toEqual(['IN_PROGRESS', 'IN_PROGRESS']);
    const done = await checkBuild(reads, ref, { region: 'us-east-1' });
    expect(done).toMatchObject({
      status: 'SUCCEEDED',
      artifact: {
        bucket: settings.artifactBucket,
        key: `build/switchyard-sample-app/${deployment.commitId}/${ref.id.split(':')[1]}/build.zip`,
      },
    });
  });

  it('fails with the phase and message of a FAILED build', async () => {
    await moto.scriptBuildOutcomes(settings.projectName, [
      {
        status: 'FAILED',
        inProgressPolls: 1,
        failedPhase: 'BUILD',
        phaseMessage:
          'COMMAND_EXECUTION_ERROR: Error while executing command: docker build . Reason: exit status 1',
      },
    ]);
    const ref = await startBuild(codebuild, { deployment }, settings);

    expect(await poll(ref, 1)).toEqual(['IN_PROGRESS']);
    const failure = checkBuild(reads, ref, { region: 'us-east-1' });
    await expect(failure).rejects.toThrow(BuildFailedError);
    await expect(failure).rejects.toThrow(
      /ended FAILED in phase BUILD: COMMAND_EXECUTION_ERROR: Error while executing command: docker build \. Reason: exit status 1; logs: https:\/\//,
    );
  });

  it('fails with BuildFailedError for a STOPPED build', async () => {
    await moto.scriptBuildOutcomes(settings.projectName, [{ status: 'STOPPED', failedPhase: 'PRE_BUILD' }]);
    const ref = await startBuild(codebuild, { deployment }, settings);

    await expect(checkBuild(reads, ref, { region: 'us-east-1' })).rejects.toThrow(
      /ended STOPPED in phase PRE_BUILD/,
    );
  });

  it('stops a build that is still running past the timeout', async () => {
    await moto.scriptBuildOutcomes(settings.projectName, [{ status: 'SUCCEEDED', inProgressPolls: 10 }]);
    const ref = await startBuild(codebuild, { deployment }, { ...settings, timeoutMinutes: 5 });
    const late = new Date(Date.parse(ref.startedAt) + 6 * 60_000);

    await expect(checkBuild(reads, ref, { region: 'us-east-1', now: late })).rejects.toThrow(
      /over the pipeline's BuildTimeoutMinutes \(5\), and was stopped/,
    );
    const [build] = await moto.listRecordedBuilds();
    expect(build?.buildStatus).toBe('STOPPED');
  });
});
