/**
 * The one parser of the image files a build leaves for CodePipeline's ECS actions: imageDetail.json
 * (`{"ImageURI": …}`, read by the blue/green action) and imagedefinitions.json (`[{"name", "imageUri"}]`).
 * A problem reads `<file>: <JSON path> is <what was found>: expected <what>, e.g. <the shape>`.
 *
 * The parser returns its problem instead of throwing: CheckBuild raises it as a BuildArtifactError and Render
 * as an InvalidInputError, the error names the state machine's Catch and the CLI already rely on.
 */
import { isJsonObject, type JsonObject, readJson } from '../shared/json';

/** The placeholder an imageDetail.json fills when no name is given (CodePipeline's default). */
export const DEFAULT_IMAGE_PLACEHOLDER = 'IMAGE1_NAME';

/** What an imageDetail.json holds, as messages show it. */
export const IMAGE_DETAIL_SHAPE = '{"ImageURI": "<registry>/<repository>:<tag or @digest>"}';
/** What an imagedefinitions.json holds, as messages show it. */
export const IMAGE_DEFINITIONS_SHAPE =
  '[{"name": "<container name>", "imageUri": "<registry>/<repository>:<tag>"}]';

/** One entry of imagedefinitions.json: the container to update and its new image. */
export interface ImageDefinition {
  name: string;
  imageUri: string;
}

/** A parsed image file, or one line naming the file, the JSON path, what was expected and the fix. */
export type ImageFileParse<T> = { ok: true; value: T } | { ok: false; problem: string };

function failure(file: string, message: string): { ok: false; problem: string } {
  return { ok: false, problem: `${file}: ${message}` };
}

/** A JSON value as a message shows it: short, and "missing" when absent. */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (isJsonObject(value)) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Keys are case-sensitive in both files; a key that differs only in case is the likely mistake. */
function caseHint(entry: JsonObject, key: string): string {
  const near = Object.keys(entry).find(
    (candidate) => candidate !== key && candidate.toLowerCase() === key.toLowerCase(),
  );
  return near === undefined ? '' : ` (keys are case-sensitive: found "${near}")`;
}

/** A non-empty string field, trimmed, or the problem with it. */
function uriField(entry: JsonObject, key: string, where: string, shape: string): ImageFileParse<string> {
  const value = entry[key];
  if (typeof value === 'string' && value.trim() !== '') return { ok: true, value: value.trim() };
  return {
    ok: false,
    problem: `${where} is ${shown(value)}: expected a non-empty string, e.g. ${shape}${caseHint(entry, key)}`,
  };
}

/** Parses imageDetail.json into its image URI (trimmed). */
export function parseImageDetail(text: string, file: string): ImageFileParse<string> {
  const reading = readJson(text);
  if (!reading.ok) return failure(file, `${reading.problem}; an imageDetail.json is ${IMAGE_DETAIL_SHAPE}`);
  const detail = reading.value;
  if (!isJsonObject(detail)) {
    return failure(file, `the file is ${shown(detail)}: expected a JSON object, e.g. ${IMAGE_DETAIL_SHAPE}`);
  }
  const uri = uriField(detail, 'ImageURI', 'ImageURI', IMAGE_DETAIL_SHAPE);
  return uri.ok ? uri : failure(file, uri.problem);
}

/** Parses imagedefinitions.json into its entries, in the file's order (image URIs trimmed). */
export function parseImageDefinitions(text: string, file: string): ImageFileParse<ImageDefinition[]> {
  const reading = readJson(text);
  if (!reading.ok) {
    return failure(file, `${reading.problem}; an imagedefinitions.json is ${IMAGE_DEFINITIONS_SHAPE}`);
  }
  const list = reading.value;
  if (!Array.isArray(list) || list.length === 0) {
    return failure(
      file,
      `the file is ${shown(list)}: expected a non-empty JSON array, e.g. ${IMAGE_DEFINITIONS_SHAPE}`,
    );
  }
  const definitions: ImageDefinition[] = [];
  for (const [index, entry] of list.entries()) {
    const where = `[${index}]`;
    if (!isJsonObject(entry)) {
      return failure(
        file,
        `${where} is ${shown(entry)}: expected an object, e.g. ${IMAGE_DEFINITIONS_SHAPE}`,
      );
    }
    const { name } = entry;
    if (typeof name !== 'string' || name === '') {
      return failure(
        file,
        `${where}.name is ${shown(name)}: expected the name of a container, e.g. ${IMAGE_DEFINITIONS_SHAPE}${caseHint(entry, 'name')}`,
      );
    }
    const uri = uriField(entry, 'imageUri', `${where}.imageUri`, IMAGE_DEFINITIONS_SHAPE);
    if (!uri.ok) return failure(file, uri.problem);
    definitions.push({ name, imageUri: uri.value });
  }
  return { ok: true, value: definitions };
}
