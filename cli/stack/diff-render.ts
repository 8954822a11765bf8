/**
 * The rendered side of `switchyard diff`: the task definition a deployment of a local checkout would register,
 * rendered as the pipeline's Render does it (functions/lib/render/task-definition.ts: placeholders filled from
 * image files, read-only and empty fields dropped, checked; the family against TaskDefinitionFamily; with
 * PinImageDigests, the stack's ECR images pinned to their digests, as the live revision's are).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_IMAGE_PLACEHOLDER } from '../../functions/lib/build/image-input';
import { pinImageDigests, readPinSetting } from '../../functions/lib/render/image-digests';
import { renderTaskDefinition } from '../../functions/lib/render/task-definition';
import type { ImageDetailFile } from '../../functions/lib/render/task-definition-images';
import { checkFamily, readWorkloadScope } from '../../functions/lib/render/workload-scope';
import { ECR, jsonClient } from '../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { JsonObject } from '../../functions/lib/shared/json';
import { readSettings } from '../../functions/lib/shared/settings';

/** Where the images come from: `--image [NAME=]URI`, `--image-detail [NAME=]FILE`, `--image-definitions FILE`. */
export interface ImageOptions {
  image?: string[];
  imageDetail?: string[];
  imageDefinitions?: string;
}

function read(what: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError(`${what} ${path}: cannot read the file (${reason})`);
  }
}

/** `[NAME=]VALUE`: a leading NAME= binds the placeholder <NAME>, else IMAGE1_NAME. */
function bound(spec: string): [string, string] {
  const match = /^([A-Za-z0-9_]+)=(.+)$/.exec(spec);
  return match ? [match[1] ?? '', match[2] ?? ''] : [DEFAULT_IMAGE_PLACEHOLDER, spec];
}

/** The image detail files: those of the options, or else the checkout's files that ImagePlaceholders names. */
function imageDetails(dir: string, env: NodeJS.ProcessEnv, images: ImageOptions): ImageDetailFile[] {
  const given: ImageDetailFile[] = [
    ...(images.image ?? []).map((spec) => {
      const [name, uri] = bound(spec);
      return { name, file: `--image ${spec}`, text: JSON.stringify({ ImageURI: uri }) };
    }),
    ...(images.imageDetail ?? []).map((spec) => {
      const [name, file] = bound(spec);
      return { name, file, text: read('--image-detail', file) };
    }),
  ];
  if (given.length > 0 || images.imageDefinitions) return given;
  return readSettings(env)
    .images.map((binding) => ({ ...binding, path: resolve(dir, binding.file) }))
    .filter((binding) => existsSync(binding.path))
    .map((binding) => ({
      name: binding.placeholder,
      file: binding.path,
      text: read('image file', binding.path),
    }));
}

/** Render's error about an unfilled placeholder, with the options of `switchyard diff` that fill it. */
function withImageHint(error: unknown): unknown {
  const message = error instanceof Error ? error.message : '';
  const placeholder = /still holds <([A-Za-z0-9_]+)>/.exec(message)?.[1];
  if (!placeholder) return error;
  return new InvalidInputError(
    `${message}: give it with --image ${placeholder}=URI or --image-detail ${placeholder}=FILE, or put the ` +
      "build's image file (ImagePlaceholders) in the checkout",
  );
}

/** Renders the checkout's task definition template; `warn` hears each warning of the render. */
export async function renderCheckout(
  dir: string,
  env: NodeJS.ProcessEnv,
  options: ImageOptions & { taskdef?: string },
  warn: (message: string) => void,
): Promise<{ file: string; taskDefinition: JsonObject }> {
  const file = options.taskdef ?? resolve(dir, readSettings(env).taskDefinition.path);
  const definitions = options.imageDefinitions;
  let taskDefinition: JsonObject;
  try {
    taskDefinition = renderTaskDefinition({
      taskdefText: read(options.taskdef ? '--taskdef' : 'the task definition template', file),
      taskdefFile: file,
      imageDetails: imageDetails(dir, env, options),
      imageDefinitions: definitions
        ? { file: definitions, text: read('--image-definitions', definitions) }
        : undefined,
      onWarning: warn,
    }) as unknown as JsonObject;
  } catch (error) {
    throw withImageHint(error);
  }
  checkFamily(
    typeof taskDefinition.family === 'string' ? taskDefinition.family : undefined,
    file,
    readWorkloadScope(env),
  );
  const pin = readPinSetting(env);
  if (pin) {
    for (const done of await pinImageDigests(taskDefinition, file, { ecr: jsonClient(ECR), ...pin })) {
      if (done.pinned)
        warn(`container ${done.container}: ${done.image} pinned to ${done.pinned}, as Render pins it`);
    }
  }
  return { file, taskDefinition };
}
