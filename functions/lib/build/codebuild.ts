/**
 * The Build stage's core: start one CodeBuild build of the archived source (idempotently), and check it: still
 * running, failed (with the failed phase, its message and the log link), or done (with the parsed image input).
 * StartBuild goes through the SDK client (StartBuild's own bundle has room); the reads and stops, which CheckBuild
 * and CleanUp make, are JSON 1.1 calls through shared/aws-json.ts, so those bundles carry no CodeBuild client
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_BatchGetBuilds.html,
 * https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StopBuild.html).
 */
import {
  type CodeBuildClient,
  type Build as SdkBuild,
  StartBuildCommand,
  type StartBuildCommandInput,
} from '@aws-sdk/client-codebuild';
import type { Deployment } from '../record/deployments';
import { type AsJson, awsJson, type JsonClient } from '../shared/aws-json';
import { BuildFailedError, BuildTimeoutError, InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';
import type { BuildVariable } from '../shared/settings';
import { buildPollSeconds } from './build-polls';
import { pascalCased } from './sync-request';

/** What the machine carries between StartBuild and CheckBuild (`$.build`). */
export interface BuildRef {
  id: string;
  startedAt: string;
  pollSeconds: number;
  timeoutMinutes: number;
  /**
   * The StartBuild request as sent, in Step Functions' PascalCase (build-sync.ts): WaitForBuild sends it again
   * through `codebuild:startBuild.sync`, and its idempotencyToken makes CodeBuild answer with this same build.
   */
  request?: Record<string, unknown>;
}

/** The pipeline's build settings (from the stack's parameters). */
export interface BuildSettings {
  projectName: string;
  artifactBucket: string;
  pollSeconds: number;
  timeoutMinutes: number;
  /** BuildspecPath: relative to the source root; absent means CodeBuild's buildspec.yml. */
  buildspecPath?: string;
  /** BuildEnvironmentVariables: the team's own, which win over Switchyard's commit variables of the same name. */
  buildVariables?: BuildVariable[];
}

/** The variables every build gets, telling it which commit of which branch it builds. */
function commitVariables(deployment: Deployment): BuildVariable[] {
  return [
    { name: 'COMMIT_ID', value: deployment.commitId, type: 'PLAINTEXT' },
    { name: 'SHORT_COMMIT', value: deployment.commitId.slice(0, 7), type: 'PLAINTEXT' },
    { name: 'BRANCH', value: deployment.branch, type: 'PLAINTEXT' },
    { name: 'REPOSITORY', value: deployment.repository, type: 'PLAINTEXT' },
    { name: 'EXECUTION_ID', value: deployment.executionId, type: 'PLAINTEXT' },
  ];
}

/** S3 prefix of the build artifacts of a commit; the build id is added by CodeBuild (namespace BUILD_ID). */
export function buildArtifactPath(repository: string, commitId: string): string {
  return `build/${repository}/${commitId}`;
}

/**
 * The idempotency token of a deployment's build: CodeBuild returns the same build for a repeated token (for five
 * minutes), so a retried StartBuild never launches a second build.
 */
export function buildToken(deployment: Pick<Deployment, 'id' | 'commitId'>): string {
  return `${deployment.id}-${deployment.commitId.slice(0, 12)}`.slice(0, 64);
}

/**
 * Starts the build of a deployment's commit. The project's source is the CodeCommit repository (template.yaml's
 * BuildProject) and `sourceVersion` is the commit id, so CodeBuild clones exactly that commit and sets
 * CODEBUILD_RESOLVED_SOURCE_VERSION to it, as it is under CodePipeline ("For CodeCommit ... it is the commit ID";
 * an S3 source leaves it unset): https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
 * and https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html#CodeBuild-StartBuild-request-sourceVersion
 */
export async function startBuild(
  codebuild: CodeBuildClient,
  input: { deployment: Deployment },
  settings: BuildSettings,
): Promise<BuildRef> {
  const { deployment } = input;
  if (!deployment?.commitId || !/^[0-9a-f]{40}$/.test(deployment.commitId)) {
    throw new InvalidInputError(
      `StartBuild expects {"deployment": {"commitId": <40 hex digits>, ...}} as Prepare returns it (see events/start-build.json); got commitId ${echo(deployment?.commitId)}`,
    );
  }
  const request: StartBuildCommandInput = {
    projectName: settings.projectName,
    sourceVersion: deployment.commitId,
    // A path in the source, as the project's BuildSpec would name it (StartBuild's buildspecOverride). Always
    // sent, the default too (the project has no BuildSpec, so it is the same file): WaitForBuild's .sync request
    // must repeat every parameter, and a path in the state machine cannot be optional.
    buildspecOverride: settings.buildspecPath || 'buildspec.yml',
    environmentVariablesOverride: [
      ...commitVariables(deployment).filter(
        (variable) => !settings.buildVariables?.some((own) => own.name === variable.name),
      ),
      ...(settings.buildVariables ?? []),
    ],
    artifactsOverride: {
      type: 'S3',
      location: settings.artifactBucket,
      path: buildArtifactPath(deployment.repository, deployment.commitId),
      namespaceType: 'BUILD_ID',
      name: 'build.zip',
      packaging: 'ZIP',
    },
    timeoutInMinutesOverride: settings.timeoutMinutes,
    idempotencyToken: buildToken(deployment),
  };
  const out = await codebuild.send(new StartBuildCommand(request));
  const id = out.build?.id;
  if (!id) throw new Error(`CodeBuild StartBuild for project ${settings.projectName} returned no build id`);
  return {
    id,
    startedAt: (out.build?.startTime ?? new Date()).toISOString(),
    pollSeconds: buildPollSeconds(settings),
    timeoutMinutes: settings.timeoutMinutes,
    request: pascalCased(request) as Record<string, unknown>,
  };
}

/** The outcome of one check of the build. */
export type BuildCheck =
  | { status: 'IN_PROGRESS'; phase: string; elapsedSeconds: number }
  | { status: 'SUCCEEDED'; artifact: { bucket: string; key: string }; logsUrl: string | null };

/** A build as BatchGetBuilds answers it in JSON (its startTime and endTime in epoch seconds). */
export type Build = AsJson<SdkBuild>;

/** The CodeBuild client of the reads and stops: `jsonClient(CODEBUILD)` (shared/aws-json.ts). */
export type CodeBuildCalls = JsonClient;

/** Reads a build by id. */
export async function getBuild(codebuild: CodeBuildCalls, id: string): Promise<Build> {
  const out = await awsJson<{ builds?: Build[]; buildsNotFound?: string[] }>(
    codebuild,
    'codebuild:BatchGetBuilds',
    { ids: [id] },
  );
  const build = out.builds?.[0];
  if (!build)
    throw new InvalidInputError(`CodeBuild has no build ${id} (${out.buildsNotFound?.join(', ') ?? ''})`);
  return build;
}

/** Stops a build; a build that already ended is left as it is. */
export async function stopBuild(codebuild: CodeBuildCalls, id: string): Promise<void> {
  try {
    await awsJson(codebuild, 'codebuild:StopBuild', { id });
  } catch (error) {
    // CodeBuild answers InvalidInputException for a build that is already complete.
    if (!(error instanceof Error && error.name === 'InvalidInputException')) throw error;
  }
}

/** The link to a build's log: CodeBuild's deep link, else one built from the log group and stream. */
export function logsUrl(build: Build, region: string): string | null {
  if (build.logs?.deepLink) return build.logs.deepLink;
  const { groupName, streamName } = build.logs ?? {};
  if (!groupName || !streamName) return null;
  const encode = (text: string) => encodeURIComponent(encodeURIComponent(text)).replaceAll('%', '$');
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${encode(groupName)}/log-events/${encode(streamName)}`;
}

/** Why a finished build failed, from its phases: the first phase that did not succeed, with its context. */
export function failureOf(build: Build): { phase: string; context: string } {
  const failed = (build.phases ?? []).find(
    (phase) => phase.phaseStatus !== undefined && phase.phaseStatus !== 'SUCCEEDED',
  );
  const contexts = (failed?.contexts ?? [])
    .map((context) => [context.statusCode, context.message].filter(Boolean).join(': '))
    .filter((text) => text !== '');
  return {
    phase: failed?.phaseType ?? build.currentPhase ?? 'UNKNOWN',
    context: contexts.join('; ') || 'no context message',
  };
}

function artifactLocation(build: Build): { bucket: string; key: string } {
  const location = build.artifacts?.location ?? '';
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/.exec(location);
  if (!match?.[1] || !match[2]) {
    throw new BuildFailedError(
      `build ${build.id} succeeded but reports no S3 artifact location ("${location}"); the project's artifacts must be S3`,
    );
  }
  return { bucket: match[1], key: match[2] };
}

/**
 * Checks a build once. A failed build throws BuildFailedError; one that ran past the pipeline's timeout is stopped
 * and throws BuildTimeoutError.
 */
export async function checkBuild(
  codebuild: CodeBuildCalls,
  ref: BuildRef,
  options: { region: string; now?: Date },
): Promise<BuildCheck> {
  const build = await getBuild(codebuild, ref.id);
  const now = options.now ?? new Date();
  const link = logsUrl(build, options.region);
  const elapsedSeconds = Math.round((now.getTime() - Date.parse(ref.startedAt)) / 1000);
  switch (build.buildStatus) {
    case 'IN_PROGRESS':
      if (elapsedSeconds > ref.timeoutMinutes * 60) {
        await stopBuild(codebuild, ref.id);
        throw new BuildTimeoutError(
          `build ${ref.id} ran ${Math.round(elapsedSeconds / 60)} minutes, over the pipeline's BuildTimeoutMinutes (${ref.timeoutMinutes}), and was stopped in phase ${build.currentPhase ?? 'UNKNOWN'}; logs: ${link ?? 'none'}`,
        );
      }
      return { status: 'IN_PROGRESS', phase: build.currentPhase ?? 'UNKNOWN', elapsedSeconds };
    case 'SUCCEEDED':
      return { status: 'SUCCEEDED', artifact: artifactLocation(build), logsUrl: link };
    default: {
      const { phase, context } = failureOf(build);
      throw new BuildFailedError(
        `build ${ref.id} ended ${build.buildStatus} in phase ${phase}: ${context}; logs: ${link ?? 'none'}`,
      );
    }
  }
}
