/**
 * The image input a build leaves in its artifact, as CodePipeline's ECS actions look for it: which file holds it
 * (imageDetail.json or imagedefinitions.json, nearest the root) and, for CheckBuild, what it says. Parsing is
 * image-input.ts's; a problem found here is a BuildArtifactError.
 */
import { BuildArtifactError } from '../shared/errors';
import {
  IMAGE_DEFINITIONS_SHAPE,
  IMAGE_DETAIL_SHAPE,
  type ImageDefinition,
  parseImageDefinitions,
  parseImageDetail,
} from './image-input';

/** The parsed image input. */
export type ImageInput =
  | { file: 'imageDetail.json'; imageUri: string }
  | { file: 'imagedefinitions.json'; images: ImageDefinition[] };

/** The artifact file that holds the image input: its path in the artifact, how messages name it, and its text. */
export interface ImageInputFile {
  kind: ImageInput['file'];
  path: string;
  /** `build artifact <path>`. */
  label: string;
  text: string;
}

/**
 * Finds the image input file among the artifact's files (path → content). imageDetail.json wins when both are
 * present, as it is what the blue/green action reads; a file at the root is preferred over one deeper.
 */
export function findImageInputFile(files: Map<string, Buffer>): ImageInputFile {
  for (const kind of ['imageDetail.json', 'imagedefinitions.json'] as const) {
    const matches = [...files.keys()].filter((path) => path === kind || path.endsWith(`/${kind}`));
    matches.sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
    const path = matches[0];
    if (path) {
      return { kind, path, label: `build artifact ${path}`, text: files.get(path)?.toString('utf8') ?? '' };
    }
  }
  const listed = [...files.keys()].slice(0, 20).join(', ');
  throw new BuildArtifactError(
    `the build artifact has neither imageDetail.json (${IMAGE_DETAIL_SHAPE}) nor imagedefinitions.json (${IMAGE_DEFINITIONS_SHAPE}); it holds: ${listed || '(no files)'}. Add one to artifacts.files in buildspec.yml`,
  );
}

/** Finds and parses the image input among the artifact's files; a malformed file is a BuildArtifactError. */
export function findImageInput(files: Map<string, Buffer>): ImageInput {
  const found = findImageInputFile(files);
  if (found.kind === 'imageDetail.json') {
    const detail = parseImageDetail(found.text, found.label);
    if (!detail.ok) throw new BuildArtifactError(detail.problem);
    return { file: found.kind, imageUri: detail.value };
  }
  const definitions = parseImageDefinitions(found.text, found.label);
  if (!definitions.ok) throw new BuildArtifactError(definitions.problem);
  return { file: found.kind, images: definitions.value };
}
