/**
 * The Render core: turns the repository's taskdef.json and the build's image files into the exact
 * RegisterTaskDefinition input. Pure: it validates everything first, so a bad input never leaves a revision.
 * The steps live beside it: the checks (task-definition-checks.ts), the images (task-definition-images.ts) and
 * the clean-up of read-only and empty fields (task-definition-cleanup.ts), and what RegisterTaskDefinition knows
 * (register-input.ts).
 */
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { parseJson } from '../shared/json';
import { registerableTaskDefinition } from './register-input';
import { checkContainers, checkShape, checkSize } from './task-definition-checks';
import { cleanTaskDefinition } from './task-definition-cleanup';
import {
  applyImageDefinitions,
  type ImageDefinitionsFile,
  type ImageDetailFile,
  substituteImages,
} from './task-definition-images';

/** The files to render from; `file` values are only used in error messages. */
export interface RenderInput {
  taskdefText: string;
  taskdefFile?: string;
  imageDetails: ImageDetailFile[];
  imageDefinitions?: ImageDefinitionsFile;
  /** Told of each field RegisterTaskDefinition does not know (left out) and each image file whose placeholder is absent. */
  onWarning?: (message: string) => void;
}

/** Renders the task definition to register; throws InvalidInputError naming the file, the field and the fix. */
export function renderTaskDefinition(input: RenderInput): RegisterTaskDefinitionCommandInput {
  const file = input.taskdefFile ?? 'taskdef.json';
  const taskdef = parseJson(input.taskdefText, file);
  checkShape(taskdef, file);
  substituteImages(taskdef, file, input.imageDetails, input.onWarning);
  if (input.imageDefinitions) applyImageDefinitions(taskdef, file, input.imageDefinitions);
  const { input: rendered, dropped } = registerableTaskDefinition(cleanTaskDefinition(taskdef));
  for (const field of dropped) {
    input.onWarning?.(
      `${file}: ${field.path} is not a field of RegisterTaskDefinition, so ECS would not register it; it is left out, ` +
        `as CodePipeline leaves it out${field.suggestion ? ` (did you mean ${field.suggestion}?)` : ''}`,
    );
  }
  checkContainers(rendered, file);
  checkSize(rendered, file);
  return rendered as unknown as RegisterTaskDefinitionCommandInput;
}
