/**
 * The RenderTaskDefinition core: reads the task definition template and the AppSpec where the repository settings
 * say (a path in the commit's source archive or in the build's output artifact, as the ECS blue/green action's
 * TaskDefinitionTemplatePath/Artifact and AppSpecTemplatePath/Artifact), fills the image placeholders from the
 * bound image files of the build output, renders and checks everything, and only then registers the revision
 * (reused when this commit already registered the same content).
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import type { ArtifactLocation } from '../build/artifacts';
import { findImageFiles, IMAGE_DEFINITIONS_FILE } from '../build/image-files';
import type { Deployment } from '../record/deployments';
import type { JsonClient } from '../shared/aws-json';
import { BuildArtifactError, SourceError } from '../shared/errors';
import type { JsonObject } from '../shared/json';
import type { S3Reader } from '../shared/s3-read';
import type { DeployFile, RepositorySettings } from '../shared/settings';
import { SETTINGS } from '../shared/settings';
import { type ParsedAppSpec, parseAppSpec } from './appspec';
import { readArchiveFiles } from './archive-entries';
import { pinImageDigests } from './image-digests';
import { registerTaskDefinition } from './register';
import { renderTaskDefinition } from './task-definition';
import { checkFamily, readWorkloadScope, type WorkloadScope } from './workload-scope';

/** Input of RenderTaskDefinition, as the machine passes it. */
export interface RenderStageInput {
  deployment: Deployment;
  source: ArtifactLocation;
  buildResult: { artifact: ArtifactLocation };
}

/** What later states need: the revision and the AppSpec's deployment settings. */
export interface RenderStageOutput {
  taskDefinitionArn: string;
  family: string;
  reused: boolean;
  appspec: ParsedAppSpec;
  /** Fields of the template that RegisterTaskDefinition does not know, left out (each a sentence). */
  warnings: string[];
}

/** The AppSpec names CodeDeploy users keep at the root; tried in turn when AppSpecTemplatePath is the default. */
const APPSPEC_DEFAULTS = ['appspec.yaml', 'appspec.yml', 'appspec.json'];

type Artifacts = Record<DeployFile['origin'], Map<string, Buffer>>;

function deployFile(
  artifacts: Artifacts,
  wanted: DeployFile,
  setting: { path: string; origin: string },
  candidates: string[] = [wanted.path],
): { file: string; text: string } {
  const files = artifacts[wanted.origin];
  const path = candidates.find((candidate) => files.has(candidate));
  if (path !== undefined) {
    const label = wanted.origin === 'SOURCE' ? path : `build artifact ${path}`;
    return { file: label, text: files.get(path)?.toString('utf8') ?? '' };
  }
  const where = wanted.origin === 'SOURCE' ? 'the commit (SOURCE)' : 'the build output artifact (BUILD)';
  const other = wanted.origin === 'SOURCE' ? 'BUILD' : 'SOURCE';
  const message =
    `${candidates.join(' or ')} is not in ${where}: set stack parameter ${setting.path} to where the file is, ` +
    `or ${setting.origin} to ${other} if ${wanted.origin === 'SOURCE' ? 'the build writes it' : 'it is committed'}`;
  throw wanted.origin === 'SOURCE' ? new SourceError(message) : new BuildArtifactError(message);
}

/** The paths Render may read in each artifact: the two deploy files where they are, and the image files. */
function wantedPaths(settings: RepositorySettings): Record<DeployFile['origin'], string[]> {
  const wanted: Record<DeployFile['origin'], string[]> = { SOURCE: [], BUILD: [] };
  wanted[settings.taskDefinition.origin].push(settings.taskDefinition.path);
  const appSpecDefault = settings.appSpec.path === SETTINGS.appSpecPath.fallback;
  wanted[settings.appSpec.origin].push(...(appSpecDefault ? APPSPEC_DEFAULTS : [settings.appSpec.path]));
  wanted.BUILD.push(...settings.images.map((binding) => binding.file), IMAGE_DEFINITIONS_FILE);
  return wanted;
}

/**
 * Only the files Render needs, read by byte ranges (archive-entries.ts): an archive of any size costs its central
 * directory and those files. The source archive is not read at all when neither file comes from it.
 */
async function readDeployFiles(
  s3: S3Reader,
  input: RenderStageInput,
  settings: RepositorySettings,
  log?: (message: string) => void,
): Promise<Artifacts> {
  const wanted = wantedPaths(settings);
  const empty = { files: new Map<string, Buffer>(), size: 0, fetched: { requests: 0, bytes: 0 } };
  const [source, build] = await Promise.all([
    wanted.SOURCE.length > 0
      ? readArchiveFiles(s3, input.source, wanted.SOURCE, 'the source archive')
      : Promise.resolve(empty),
    readArchiveFiles(s3, input.buildResult.artifact, wanted.BUILD, 'the build output artifact'),
  ]);
  for (const [name, read] of [
    ['source archive', source],
    ['build artifact', build],
  ] as const) {
    if (read.size > 0)
      log?.(
        `read ${read.files.size} file(s) of the ${read.size}-byte ${name}: ${read.fetched.bytes} bytes in ${read.fetched.requests} ranged GetObject(s)`,
      );
  }
  return { SOURCE: source.files, BUILD: build.files };
}

/** Pins the revision's images (image-digests.ts) and logs what became of each; a missing tag fails here. */
async function pinImages(
  taskDefinition: RegisterTaskDefinitionCommandInput,
  file: string,
  pin: { ecr: JsonClient; repositoryUri: string } | undefined,
  log?: (message: string) => void,
): Promise<void> {
  if (!pin) {
    log?.('PinImageDigests is off: every image is registered by its tag');
    return;
  }
  for (const done of await pinImageDigests(taskDefinition as unknown as JsonObject, file, pin)) {
    log?.(
      done.pinned
        ? `container ${done.container}: ${done.image} pinned to ${done.pinned}`
        : `container ${done.container}: ${done.image} left as it is (${done.left})`,
    );
  }
}

/** Renders, checks and registers the task definition of a deployment. */
export async function renderStage(
  input: RenderStageInput,
  deps: {
    s3: S3Reader;
    ecs: JsonClient;
    settings: RepositorySettings;
    log?: (message: string) => void;
    /** What the stack lets a commit deploy (workload-scope.ts); read from the environment when not given. */
    scope?: WorkloadScope;
    /** Pin the images of the stack's ECR repository to their digests (image-digests.ts); absent: PinImageDigests off. */
    pin?: { ecr: JsonClient; repositoryUri: string };
  },
): Promise<RenderStageOutput> {
  const { settings } = deps;
  const artifacts = await readDeployFiles(deps.s3, input, settings, deps.log);
  const build = artifacts.BUILD;
  const taskdef = deployFile(artifacts, settings.taskDefinition, {
    path: SETTINGS.taskDefinitionPath.parameter,
    origin: SETTINGS.taskDefinitionOrigin.parameter,
  });
  const appspecFile = deployFile(
    artifacts,
    settings.appSpec,
    { path: SETTINGS.appSpecPath.parameter, origin: SETTINGS.appSpecOrigin.parameter },
    settings.appSpec.path === SETTINGS.appSpecPath.fallback ? APPSPEC_DEFAULTS : [settings.appSpec.path],
  );
  const images = findImageFiles(build, settings.images);
  const warnings: string[] = [];
  const taskDefinition = renderTaskDefinition({
    taskdefText: taskdef.text,
    taskdefFile: taskdef.file,
    imageDetails: images.details.map(({ placeholder, label, text }) => ({
      name: placeholder,
      file: label,
      text,
    })),
    ...(images.definitions
      ? { imageDefinitions: { file: images.definitions.label, text: images.definitions.text } }
      : {}),
    onWarning: (message) => warnings.push(message),
  });
  for (const warning of warnings) deps.log?.(`warning: ${warning}`);
  // Before anything is registered: the AppSpec against the rendered revision, and the family and the network
  // against what the stack allows (workload-scope.ts).
  const scope = deps.scope ?? readWorkloadScope();
  checkFamily(taskDefinition.family, taskdef.file, scope);
  const appspec = parseAppSpec(appspecFile.text, appspecFile.file, taskDefinition, scope);
  await pinImages(taskDefinition, taskdef.file, deps.pin, deps.log);
  const { deployment } = input;
  const registered = await registerTaskDefinition(deps.ecs, taskDefinition, {
    repository: deployment.repository,
    branch: deployment.branch,
    commit: deployment.commitId,
  });
  return { ...registered, family: taskDefinition.family ?? '', appspec, warnings };
}
