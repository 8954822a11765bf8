/**
 * The RenderTaskDefinition core: reads taskdef.json and the AppSpec from the source archive and the image input
 * from the build artifact, renders and checks everything, and only then registers the revision (reused when this
 * commit already registered the same content).
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import { type ArtifactLocation, readZipArtifact } from '../build/artifacts';
import { findImageInputFile } from '../build/image-files';
import { DEFAULT_IMAGE_PLACEHOLDER } from '../build/image-input';
import type { Deployment } from '../record/deployments';
import { SourceError } from '../shared/errors';
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
}

const APPSPEC_FILES = ['appspec.yaml', 'appspec.yml', 'appspec.json'];

function rootFile(files: Map<string, Buffer>, names: string[], what: string): { file: string; text: string } {
  const file = names.find((name) => files.has(name));
  if (!file) {
    throw new SourceError(`the source archive has no ${what} at its root (looked for ${names.join(', ')})`);
  }
  return { file, text: files.get(file)?.toString('utf8') ?? '' };
}

/** Renders, checks and registers the task definition of a deployment. */
export async function renderStage(
  input: RenderStageInput,
  deps: { s3: S3Client; ecs: ECSClient },
): Promise<RenderStageOutput> {
  const [sourceFiles, buildFiles] = await Promise.all([
    readZipArtifact(deps.s3, input.source),
    readZipArtifact(deps.s3, input.buildResult.artifact),
  ]);
  const taskdef = rootFile(sourceFiles, ['taskdef.json'], 'taskdef.json');
  const appspecFile = rootFile(sourceFiles, APPSPEC_FILES, 'AppSpec');
  const image = findImageInputFile(buildFiles);
  const taskDefinition = renderTaskDefinition({
    taskdefText: taskdef.text,
    taskdefFile: taskdef.file,
    imageDetails:
      image.kind === 'imageDetail.json'
        ? [{ name: DEFAULT_IMAGE_PLACEHOLDER, file: image.label, text: image.text }]
        : [],
    ...(image.kind === 'imagedefinitions.json'
      ? { imageDefinitions: { file: image.label, text: image.text } }
      : {}),
  });
  // The AppSpec is checked against the rendered revision before anything is registered.
  const appspec = parseAppSpec(appspecFile.text, appspecFile.file, taskDefinition);
  const { deployment } = input;
  const registered = await registerTaskDefinition(deps.ecs, taskDefinition, {
    repository: deployment.repository,
    branch: deployment.branch,
    commit: deployment.commitId,
  });
  return { ...registered, family: taskDefinition.family ?? '', appspec };
}
