import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  CreateProjectCommand,
  InvalidInputException,
  ListBuildsForProjectCommand,
  StartBuildCommand,
  type StartBuildCommandInput,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { CodeCommitClient, CreateRepositoryCommand, GetRepositoryCommand } from '@aws-sdk/client-codecommit';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { useMoto } from '../../../support/moto';

const codebuild = new CodeBuildClient({});
const PROJECT = 'app-build';
const ALL_PHASES = [
  'SUBMITTED',
  'QUEUED',
  'PROVISIONING',
  'DOWNLOAD_SOURCE',
  'INSTALL',
  'PRE_BUILD',
  'BUILD',
  'POST_BUILD',
  'UPLOAD_ARTIFACTS',
  'FINALIZING',
  'COMPLETED',
];

async function createProject(): Promise<void> {
  await codebuild.send(
    new CreateProjectCommand({
      name: PROJECT,
      source: { type: 'S3', location: 'project-bucket/default.zip', buildspec: 'buildspec.yml' },
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: {
        type: 'LINUX_CONTAINER',
        image: 'aws/codebuild/standard:7.0',
        computeType: 'BUILD_GENERAL1_SMALL',
        environmentVariables: [
          { name: 'STAGE', value: 'prod', type: 'PLAINTEXT' },
          { name: 'REPO', value: 'app', type: 'PLAINTEXT' },
        ],
      },
      serviceRole: 'arn:aws:iam::123456789012:role/codebuild',
    }),
  );
}

async function startBuild(input: Partial<StartBuildCommandInput> = {}): Promise<Build> {
  const { build } = await codebuild.send(new StartBuildCommand({ projectName: PROJECT, ...input }));
  if (!build?.id) throw new Error('StartBuild returned no build');
  return build;
}

async function poll(id: string): Promise<Build> {
  const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }));
  const build = builds?.[0];
  if (!build) throw new Error(`BatchGetBuilds did not return ${id}`);
  return build;
}

const phaseStatuses = (build: Build) => build.phases?.map((phase) => [phase.phaseType, phase.phaseStatus]);

describe('the moto harness', () => {
  const moto = useMoto();

  describe('CodeBuild', () => {
    beforeEach(createProject);

    it('returns StartBuild, BatchGetBuilds and StopBuild with epoch timestamps the SDK can parse', async () => {
      const before = Date.now();
      const started = await startBuild();
      expect(started.startTime).toBeInstanceOf(Date);
      expect(started.startTime?.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(started.buildStatus).toBe('IN_PROGRESS');

      const stopped = await codebuild.send(new StopBuildCommand({ id: started.id }));
      expect(stopped.build?.endTime).toBeInstanceOf(Date);
      const polled = await poll(started.id ?? '');
      expect(polled.phases?.every((phase) => phase.startTime instanceof Date)).toBe(true);
    });

    it('reflects the StartBuild overrides in the build and records them', async () => {
      const overrides = {
        sourceTypeOverride: 'S3',
        sourceLocationOverride: 'artifact-bucket/source/abc123.zip',
        sourceVersion: 'v-object-version',
        buildspecOverride: 'ci/buildspec.yml',
        environmentVariablesOverride: [
          { name: 'REPO', value: 'other', type: 'PLAINTEXT' },
          { name: 'COMMIT_ID', value: 'abc123', type: 'PLAINTEXT' },
        ],
        artifactsOverride: {
          type: 'S3',
          location: 'artifact-bucket',
          path: 'builds',
          name: 'out',
          namespaceType: 'BUILD_ID',
          packaging: 'NONE',
        },
        imageOverride: 'aws/codebuild/standard:8.0',
        computeTypeOverride: 'BUILD_GENERAL1_MEDIUM',
        privilegedModeOverride: true,
        timeoutInMinutesOverride: 20,
      } satisfies Partial<StartBuildCommandInput>;

      const build = await startBuild(overrides);

      const uuid = build.id?.split(':')[1];
      expect(build.source).toMatchObject({
        type: 'S3',
        location: 'artifact-bucket/source/abc123.zip',
        buildspec: 'ci/buildspec.yml',
      });
      expect(build.sourceVersion).toBe('v-object-version');
      expect(build.environment).toMatchObject({
        image: 'aws/codebuild/standard:8.0',
        computeType: 'BUILD_GENERAL1_MEDIUM',
        privilegedMode: true,
        environmentVariables: [
          { name: 'STAGE', value: 'prod', type: 'PLAINTEXT' },
          { name: 'REPO', value: 'other', type: 'PLAINTEXT' },
          { name: 'COMMIT_ID', value: 'abc123', type: 'PLAINTEXT' },
        ],
      });
      expect(build.artifacts?.location).toBe(`arn:aws:s3:::artifact-bucket/builds/${uuid}/out`);
      expect(build.timeoutInMinutes).toBe(20);
      expect((await poll(build.id ?? '')).source?.location).toBe('artifact-bucket/source/abc123.zip');

      expect(await moto.listRecordedBuilds()).toEqual([
        expect.objectContaining({ id: build.id, projectName: PROJECT, overrides, outcome: null }),
      ]);
    });

    it('returns the same build for a repeated idempotency token and rejects the token with other parameters', async () => {
      const first = await startBuild({ idempotencyToken: 'deploy-1', sourceVersion: 'v1' });
      const again = await startBuild({ idempotencyToken: 'deploy-1', sourceVersion: 'v1' });
      expect(again.id).toBe(first.id);

      const mismatch = startBuild({ idempotencyToken: 'deploy-1', sourceVersion: 'v2' });
      await expect(mismatch).rejects.toThrow(InvalidInputException);
      await expect(mismatch).rejects.toThrow(/idempotencyToken 'deploy-1' was already used by build/);

      const { ids } = await codebuild.send(new ListBuildsForProjectCommand({ projectName: PROJECT }));
      expect(ids).toEqual([first.id]);
      expect(await moto.listRecordedBuilds()).toHaveLength(1);
    });

    it('succeeds on the first poll when nothing is scripted, as moto does', async () => {
      const build = await poll((await startBuild()).id ?? '');
      expect(build).toMatchObject({
        buildStatus: 'SUCCEEDED',
        buildComplete: true,
        currentPhase: 'COMPLETED',
      });
      expect(build.phases?.map((phase) => phase.phaseType)).toEqual(ALL_PHASES);
      expect(build.endTime).toBeInstanceOf(Date);
    });

    it('reports a scripted failure after the scripted in-progress polls, with the failed phase context', async () => {
      await moto.scriptBuildOutcomes(PROJECT, [
        {
          inProgressPolls: 2,
          status: 'FAILED',
          failedPhase: 'BUILD',
          phaseMessage: 'COMMAND_EXECUTION_ERROR: Error while executing command: make. Reason: exit status 2',
        },
      ]);
      const { id = '' } = await startBuild();

      for (let call = 1; call <= 2; call++) {
        const running = await poll(id);
        expect(running).toMatchObject({
          buildStatus: 'IN_PROGRESS',
          currentPhase: 'BUILD',
          buildComplete: false,
        });
        expect(running.endTime).toBeUndefined();
      }
      const failed = await poll(id);

      expect(failed).toMatchObject({ buildStatus: 'FAILED', buildComplete: true, currentPhase: 'COMPLETED' });
      expect(phaseStatuses(failed)).toEqual([
        ['SUBMITTED', 'SUCCEEDED'],
        ['QUEUED', 'SUCCEEDED'],
        ['PROVISIONING', 'SUCCEEDED'],
        ['DOWNLOAD_SOURCE', 'SUCCEEDED'],
        ['INSTALL', 'SUCCEEDED'],
        ['PRE_BUILD', 'SUCCEEDED'],
        ['BUILD', 'FAILED'],
        ['POST_BUILD', 'SUCCEEDED'],
        ['UPLOAD_ARTIFACTS', 'SUCCEEDED'],
        ['FINALIZING', 'SUCCEEDED'],
        ['COMPLETED', undefined],
      ]);
      expect(failed.phases?.find((phase) => phase.phaseType === 'BUILD')?.contexts).toEqual([
        {
          statusCode: 'COMMAND_EXECUTION_ERROR',
          message: 'Error while executing command: make. Reason: exit status 2',
        },
      ]);
      expect(failed.logs).toMatchObject({
        groupName: `/aws/codebuild/${PROJECT}`,
        streamName: id.split(':')[1],
      });
      expect(failed.logs?.deepLink).toContain(id.split(':')[1]);
      expect((await poll(id)).buildStatus).toBe('FAILED');
    });

    it('consumes scripted outcomes in order, one per StartBuild, then falls back to SUCCEEDED', async () => {
      await moto.scriptBuildOutcomes(PROJECT, [
        { status: 'FAULT', failedPhase: 'INSTALL', inProgressPolls: 1 },
        { status: 'TIMED_OUT' },
      ]);
      const first = await startBuild();
      const second = await startBuild();
      const third = await startBuild();

      expect((await poll(first.id ?? '')).currentPhase).toBe('INSTALL');
      const faulted = await poll(first.id ?? '');
      expect(faulted.buildStatus).toBe('FAULT');
      expect(phaseStatuses(faulted)?.slice(4)).toEqual([
        ['INSTALL', 'FAULT'],
        ['FINALIZING', 'SUCCEEDED'],
        ['COMPLETED', undefined],
      ]);
      expect((await poll(second.id ?? '')).buildStatus).toBe('TIMED_OUT');
      expect((await poll(third.id ?? '')).buildStatus).toBe('SUCCEEDED');
      const recorded = await moto.listRecordedBuilds();
      expect(recorded.map((build) => build.outcome?.status ?? null)).toEqual(['FAULT', 'TIMED_OUT', null]);
    });

    it('stops an in-progress build', async () => {
      await moto.scriptBuildOutcomes(PROJECT, [{ inProgressPolls: 5, status: 'SUCCEEDED' }]);
      const { id = '' } = await startBuild();
      expect((await poll(id)).buildStatus).toBe('IN_PROGRESS');

      const { build: stopped } = await codebuild.send(new StopBuildCommand({ id }));

      expect(stopped).toMatchObject({ buildStatus: 'STOPPED', buildComplete: true });
      expect(phaseStatuses(stopped ?? {})?.slice(6)).toEqual([
        ['BUILD', 'STOPPED'],
        ['FINALIZING', 'SUCCEEDED'],
        ['COMPLETED', undefined],
      ]);
      expect((await poll(id)).buildStatus).toBe('STOPPED');
    });

    it('rejects a malformed scripted outcome with the reason', async () => {
      await expect(
        moto.scriptBuildOutcomes(PROJECT, [{ status: 'BROKEN' as 'FAILED', inProgressPolls: 1 }]),
      ).rejects.toThrow(/outcomes\[0\]\.status is 'BROKEN'; expected one of SUCCEEDED, FAILED/);
      await expect(
        moto.scriptBuildOutcomes(PROJECT, [{ status: 'FAILED', inProgessPolls: 1 } as never]),
      ).rejects.toThrow(/unknown keys \['inProgessPolls'\]/);
    });

    it('forgets scripted outcomes and recorded builds on reset', async () => {
      await moto.scriptBuildOutcomes(PROJECT, [{ status: 'FAILED' }]);
      await startBuild();
      await moto.scriptBuildOutcomes(PROJECT, [{ status: 'FAILED' }]);

      await moto.reset();

      expect(await moto.listRecordedBuilds()).toEqual([]);
      await createProject();
      expect((await poll((await startBuild()).id ?? '')).buildStatus).toBe('SUCCEEDED');
    });
  });

  describe('CodeCommit', () => {
    it('returns CreateRepository and GetRepository with dates the SDK can parse', async () => {
      const codecommit = new CodeCommitClient({});
      const created = await codecommit.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
      const read = await codecommit.send(new GetRepositoryCommand({ repositoryName: 'app' }));

      expect(created.repositoryMetadata?.creationDate).toBeInstanceOf(Date);
      expect(Number.isNaN(created.repositoryMetadata?.creationDate?.getTime())).toBe(false);
      expect(read.repositoryMetadata?.lastModifiedDate).toEqual(created.repositoryMetadata?.lastModifiedDate);
    });
  });

  describe('ELBv2 target health', () => {
    const elbv2 = new ElasticLoadBalancingV2Client({});

    /** A target group that a listener forwards to (the load balancer checks only such groups' targets). */
    async function targetGroupWith(targets: string[]): Promise<string> {
      const { vpcId, subnets, securityGroupId } = await moto.describeDefaultNetwork();
      const { TargetGroups } = await elbv2.send(
        new CreateTargetGroupCommand({
          Name: 'green',
          Protocol: 'HTTP',
          Port: 80,
          VpcId: vpcId,
          TargetType: 'ip',
        }),
      );
      const arn = TargetGroups?.[0]?.TargetGroupArn ?? '';
      const { LoadBalancers } = await elbv2.send(
        new CreateLoadBalancerCommand({
          Name: 'harness-alb',
          Subnets: subnets.map((subnet) => subnet.subnetId),
          SecurityGroups: [securityGroupId],
        }),
      );
      await elbv2.send(
        new CreateListenerCommand({
          LoadBalancerArn: LoadBalancers?.[0]?.LoadBalancerArn,
          Protocol: 'HTTP',
          Port: 80,
          DefaultActions: [{ Type: 'forward', TargetGroupArn: arn }],
        }),
      );
      await elbv2.send(
        new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: targets.map((Id) => ({ Id })) }),
      );
      return arn;
    }

    async function health(targetGroupArn: string) {
      const { TargetHealthDescriptions = [] } = await elbv2.send(
        new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }),
      );
      return Object.fromEntries(TargetHealthDescriptions.map((d) => [d.Target?.Id, d.TargetHealth]));
    }

    it('reports a target marked unhealthy, with its reason, and leaves the others healthy', async () => {
      const arn = await targetGroupWith(['10.0.0.1', '10.0.0.2']);

      await moto.setTargetHealth({
        targetGroupArn: arn,
        targetId: '10.0.0.1',
        state: 'unhealthy',
        reason: 'Target.ResponseCodeMismatch',
        description: 'Health checks failed with these codes: [502]',
      });

      expect(await health(arn)).toEqual({
        '10.0.0.1': {
          State: 'unhealthy',
          Reason: 'Target.ResponseCodeMismatch',
          Description: 'Health checks failed with these codes: [502]',
        },
        '10.0.0.2': { State: 'healthy' },
      });
    });

    it('applies a group-wide state to targets registered later, and reset clears it', async () => {
      const arn = await targetGroupWith(['10.0.0.1']);
      await moto.setTargetHealth({ targetGroupArn: arn, state: 'initial' });
      await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: '10.0.0.9' }] }));

      expect(await health(arn)).toEqual({
        '10.0.0.1': expect.objectContaining({ State: 'initial', Reason: 'Elb.InitialHealthChecking' }),
        '10.0.0.9': expect.objectContaining({ State: 'initial' }),
      });

      await moto.reset();
      const recreated = await targetGroupWith(['10.0.0.1']);
      expect(await health(recreated)).toEqual({ '10.0.0.1': { State: 'healthy' } });
    });

    it('refuses an unknown target group', async () => {
      await expect(
        moto.setTargetHealth({
          targetGroupArn:
            'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/none/0123456789abcdef',
          state: 'unhealthy',
        }),
      ).rejects.toThrow(/404: .*does not exist/);
    });
  });

  describe('ECS', () => {
    it('keeps a running task RUNNING across DescribeTasks calls', async () => {
      const ecs = new ECSClient({});
      await ecs.send(new CreateClusterCommand({ clusterName: 'apps' }));
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'web',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'web', image: 'nginx', memory: 512 }],
        }),
      );
      const { subnets, securityGroupId } = await moto.describeDefaultNetwork();
      const { tasks } = await ecs.send(
        new RunTaskCommand({
          cluster: 'apps',
          taskDefinition: 'web',
          launchType: 'FARGATE',
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: subnets.map((s) => s.subnetId),
              securityGroups: [securityGroupId],
            },
          },
        }),
      );
      const taskArn = tasks?.[0]?.taskArn ?? '';

      const statuses: (string | undefined)[] = [];
      for (let call = 0; call < 4; call++) {
        const described = await ecs.send(new DescribeTasksCommand({ cluster: 'apps', tasks: [taskArn] }));
        statuses.push(described.tasks?.[0]?.lastStatus);
      }
      expect(statuses).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'RUNNING']);
    });
  });
});
