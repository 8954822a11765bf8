/**
 * The images of a render: each imageDetail.json fills its placeholder `<NAME>` wherever it occurs in the task
 * definition (CodePipeline's ECS blue/green action), and an imagedefinitions.json sets the image of each container
 * it names (the standard ECS action). The files are parsed by the build stage's one parser; its problems, and
 * those of binding, are InvalidInputErrors.
 */
import { parseImageDefinitions, parseImageDetail } from '../build/image-input';
import { InvalidInputError } from '../shared/errors';
import { isJsonObject, type JsonObject } from '../shared/json';
import { ensure } from './task-definition-checks';

/** An imageDetail.json from the build, bound to the placeholder `<name>` of the task definition. */
export interface ImageDetailFile {
  name: string;
  file: string;
  text: string;
}

/** An imagedefinitions.json from the build. */
export interface ImageDefinitionsFile {
  file: string;
  text: string;
}

/** CodePipeline's ECS blue/green action takes at most four image artifacts. */
export const MAX_IMAGE_DETAILS = 4;

const PLACEHOLDER_NAME = /^[A-Za-z0-9_]{1,64}$/;

/**
 * Fills each detail's placeholder with its image URI, in place. A placeholder that does not occur is a warning, not
 * an error: CodePipeline's action replaces text and deploys a template that names its images in full as it is.
 */
export function substituteImages(
  taskdef: JsonObject,
  file: string,
  details: ImageDetailFile[],
  warn: (message: string) => void = () => undefined,
): void {
  ensure(
    details.length <= MAX_IMAGE_DETAILS,
    `${details.length} image detail files given (${details.map((d) => d.file).join(', ')}): at most ${MAX_IMAGE_DETAILS} are supported`,
  );
  const bound = new Map<string, string>();
  for (const { name, file: detailFile, text } of details) {
    ensure(
      PLACEHOLDER_NAME.test(name),
      `${detailFile}: placeholder name ${JSON.stringify(name)} must be letters, digits and "_" (e.g. IMAGE1_NAME)`,
    );
    ensure(
      !bound.has(name),
      `${detailFile}: placeholder ${name} is already bound to ${bound.get(name)}: give each image detail file its own name (IMAGE1_NAME … IMAGE4_NAME)`,
    );
    bound.set(name, detailFile);
    const detail = parseImageDetail(text, detailFile);
    if (!detail.ok) throw new InvalidInputError(detail.problem);
    const uri = detail.value;
    const token = `<${name}>`;
    let found = false;
    const replace = (value: unknown): unknown => {
      if (typeof value === 'string' && value.includes(token)) {
        found = true;
        return value.split(token).join(uri);
      }
      if (Array.isArray(value)) return value.map(replace);
      if (isJsonObject(value)) for (const key of Object.keys(value)) value[key] = replace(value[key]);
      return value;
    };
    replace(taskdef);
    if (!found)
      warn(
        `${file}: the placeholder ${token} does not occur, so the image of ${detailFile} (${uri}) is not deployed; ` +
          `the template is deployed as it is (put "${token}" in the container's "image" to deploy it)`,
      );
  }
}

/** Sets the image of each container the imagedefinitions.json names, in place; an unknown container is an error. */
export function applyImageDefinitions(taskdef: JsonObject, file: string, source: ImageDefinitionsFile): void {
  const parsed = parseImageDefinitions(source.text, source.file);
  if (!parsed.ok) throw new InvalidInputError(parsed.problem);
  const definitions = parsed.value;
  const containers = taskdef.containerDefinitions as JsonObject[];
  const seen = new Set<string>();
  definitions.forEach(({ name, imageUri }, index) => {
    const where = `${source.file}: [${index}]`;
    ensure(!seen.has(name), `${where}.name "${name}" is listed twice`);
    seen.add(name);
    const container = containers.find((candidate) => candidate.name === name);
    ensure(
      container,
      `${where}.name: container "${name}" is not in task definition "${taskdef.family}" of ${file} (containers: ${containers.map((c) => c.name).join(', ')})`,
    );
    container.image = imageUri;
  });
}
