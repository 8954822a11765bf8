/**
 * The image input a build leaves in its artifact, as CodePipeline's ECS actions read it: `imageDetail.json`
 * (`{"ImageURI": "…"}`, the blue/green action) or `imagedefinitions.json` (`[{"name", "imageUri"}]`).
 */
import { BuildArtifactError } from '../shared/errors';

/** The parsed image input. */
export type ImageInput =
  | { file: 'imageDetail.json'; imageUri: string }
  | { file: 'imagedefinitions.json'; images: { name: string; imageUri: string }[] };

export const IMAGE_DETAIL_SHAPE = '{"ImageURI": "<registry>/<repository>:<tag or @digest>"}';
export const IMAGE_DEFINITIONS_SHAPE =
  '[{"name": "<container name>", "imageUri": "<registry>/<repository>:<tag>"}]';

function parseJson(text: string, file: string, shape: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new BuildArtifactError(
      `${file} in the build artifact is not valid JSON (${(error as Error).message}); expected ${shape}`,
    );
  }
}

/** Parses imageDetail.json; an error names the file, the field and the expected shape. */
export function parseImageDetail(text: string, file = 'imageDetail.json'): string {
  const value = parseJson(text, file, IMAGE_DETAIL_SHAPE);
  const uri = (value as { ImageURI?: unknown } | null)?.ImageURI;
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    typeof uri !== 'string' ||
    uri.trim() === ''
  ) {
    throw new BuildArtifactError(
      `${file} has no non-empty string field "ImageURI" (got ${JSON.stringify(value).slice(0, 200)}); expected ${IMAGE_DETAIL_SHAPE}`,
    );
  }
  return uri.trim();
}

/** Parses imagedefinitions.json; an error names the file, the entry and the expected shape. */
export function parseImageDefinitions(
  text: string,
  file = 'imagedefinitions.json',
): { name: string; imageUri: string }[] {
  const value = parseJson(text, file, IMAGE_DEFINITIONS_SHAPE);
  if (!Array.isArray(value) || value.length === 0) {
    throw new BuildArtifactError(
      `${file} must be a non-empty JSON array; expected ${IMAGE_DEFINITIONS_SHAPE}`,
    );
  }
  return value.map((entry: unknown, index) => {
    const { name, imageUri } = (entry ?? {}) as { name?: unknown; imageUri?: unknown };
    if (typeof name !== 'string' || name === '' || typeof imageUri !== 'string' || imageUri.trim() === '') {
      throw new BuildArtifactError(
        `${file} entry ${index} (${JSON.stringify(entry)}) needs non-empty string fields "name" and "imageUri"; expected ${IMAGE_DEFINITIONS_SHAPE}`,
      );
    }
    return { name, imageUri: imageUri.trim() };
  });
}

/** The artifact file that holds the image input: its path in the artifact and its text. */
export interface ImageInputFile {
  kind: ImageInput['file'];
  path: string;
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
    if (path) return { kind, path, text: files.get(path)?.toString('utf8') ?? '' };
  }
  const listed = [...files.keys()].slice(0, 20).join(', ');
  throw new BuildArtifactError(
    `the build artifact has neither imageDetail.json (${IMAGE_DETAIL_SHAPE}) nor imagedefinitions.json (${IMAGE_DEFINITIONS_SHAPE}); it holds: ${listed || '(no files)'}. Add one to artifacts.files in buildspec.yml`,
  );
}

/** Finds and parses the image input among the artifact's files. */
export function findImageInput(files: Map<string, Buffer>): ImageInput {
  const found = findImageInputFile(files);
  return found.kind === 'imageDetail.json'
    ? { file: found.kind, imageUri: parseImageDetail(found.text, found.path) }
    : { file: found.kind, images: parseImageDefinitions(found.text, found.path) };
}
