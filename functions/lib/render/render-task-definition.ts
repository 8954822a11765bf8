/**
 * The RenderTaskDefinition core: reads the task definition template and the AppSpec where the repository settings
 * say (a path in the commit's source archive or in the build's output artifact, as the ECS blue/green action's
 * TaskDefinitionTemplatePath/Artifact and AppSpecTemplatePath/Artifact), fills the image placeholders from the
 * bound image files of the build output, renders and checks everything, and only then registers the revision
 * (reused when this commit already registered the same content).
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import { type ArtifactLocation, readZipArtifact } from '../build/artifacts';
import { findImageFiles } from '../build/image-files';
import type { Deployment } from '../record/deployments';
import { BuildArtifactError, SourceError } from '../shared/errors';
import type { DeployFile, RepositorySettings } from '../shared/settings';
import { SETTINGS } from '../shared/settings';
import { type ParsedAppSpec, parseAppSpec } from './appspec';
import { registerTaskDefinition } from './register';
import { renderTaskDefinition } from './task-definition';

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

/** Renders, checks and registers the task definition of a deployment. */
export async function renderStage(
  input: RenderStageInput,
  deps: { s3: S3Client; ecs: ECSClient; settings: RepositorySettings; log?: (message: string) => void },
): Promise<RenderStageOutput> {
  const { settings } = deps;
  const fromSource = [settings.taskDefinition, settings.appSpec].some((file) => file.origin === 'SOURCE');
  const [source, build] = await Promise.all([
    fromSource ? readZipArtifact(deps.s3, input.source) : Promise.resolve(new Map<string, Buffer>()),
    readZipArtifact(deps.s3, input.buildResult.artifact),
  ]);
  const artifacts: Artifacts = { SOURCE: source, BUILD: build };
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
  // The AppSpec is checked against the rendered revision before anything is registered.
  const appspec = parseAppSpec(appspecFile.text, appspecFile.file, taskDefinition);
  const { deployment } = input;
  const registered = await registerTaskDefinition(deps.ecs, taskDefinition, {
    repository: deployment.repository,
    branch: deployment.branch,
    commit: deployment.commitId,
  });
  return { ...registered, family: taskDefinition.family ?? '', appspec, warnings };
}
