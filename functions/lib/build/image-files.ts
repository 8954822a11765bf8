/**
 * The image files a build leaves in its artifact, found as the ECS blue/green action finds them: each placeholder
 * of ImagePlaceholders is bound to one imageDetail.json at its exact path in the build output (the action reads
 * each image artifact's imageDetail.json at the artifact's root; here the files of one artifact stand for the
 * action's image artifacts). Switchyard also accepts an imagedefinitions.json at the artifact's root when no bound
 * file is there (the standard ECS action's file; the blue/green action does not read it). A template that names
 * its images in full needs none: a missing file is not an error here, only a placeholder left unfilled is, at
 * Render. Parsing is image-input.ts's; a malformed file is a BuildArtifactError for CheckBuild.
 */
import { BuildArtifactError } from '../shared/errors';
import type { ImageBinding } from '../shared/settings';
import { type ImageDefinition, parseImageDefinitions, parseImageDetail } from './image-input';

/** The image definitions file Switchyard reads when no bound imageDetail.json is in the artifact. */
export const IMAGE_DEFINITIONS_FILE = 'imagedefinitions.json';

/** A file of the artifact: its path in the artifact, how messages name it, and its text. */
export interface ArtifactTextFile {
  path: string;
  /** `build artifact <path>`. */
  label: string;
  text: string;
}

/** The image files the artifact holds for the bindings. */
export interface ImageFiles {
  /** Each binding whose file is in the artifact, in the bindings' order. */
  details: Array<ArtifactTextFile & { placeholder: string }>;
  /** imagedefinitions.json at the root, only when no bound imageDetail.json is there. */
  definitions?: ArtifactTextFile;
}

/** What CheckBuild records of the image files: each placeholder's image URI, or each container's. */
export interface ImageInput {
  details: Array<{ placeholder: string; file: string; imageUri: string }>;
  definitions?: { file: string; images: ImageDefinition[] };
}

function textFile(files: Map<string, Buffer>, path: string): ArtifactTextFile | undefined {
  const content = files.get(path);
  return content === undefined
    ? undefined
    : { path, label: `build artifact ${path}`, text: content.toString('utf8') };
}

/** The bound image files among the artifact's files (path → content). */
export function findImageFiles(files: Map<string, Buffer>, bindings: ImageBinding[]): ImageFiles {
  const details = bindings.flatMap(({ placeholder, file }) => {
    const found = textFile(files, file);
    return found ? [{ ...found, placeholder }] : [];
  });
  const definitions = details.length === 0 ? textFile(files, IMAGE_DEFINITIONS_FILE) : undefined;
  return { details, ...(definitions ? { definitions } : {}) };
}

/** Finds and parses the image files; a malformed one is a BuildArtifactError naming the file and the fix. */
export function readImageInput(files: Map<string, Buffer>, bindings: ImageBinding[]): ImageInput {
  const found = findImageFiles(files, bindings);
  const details = found.details.map(({ placeholder, path, label, text }) => {
    const detail = parseImageDetail(text, label);
    if (!detail.ok) throw new BuildArtifactError(detail.problem);
    return { placeholder, file: path, imageUri: detail.value };
  });
  if (!found.definitions) return { details };
  const definitions = parseImageDefinitions(found.definitions.text, found.definitions.label);
  if (!definitions.ok) throw new BuildArtifactError(definitions.problem);
  return { details, definitions: { file: found.definitions.path, images: definitions.value } };
}
