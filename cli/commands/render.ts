import { readFileSync } from 'node:fs';
import { DEFAULT_IMAGE_PLACEHOLDER } from '../../functions/lib/build/image-input';
import { parseAppSpec } from '../../functions/lib/render/appspec';
import { renderAppSpec } from '../../functions/lib/render/appspec-render';
import { renderTaskDefinition } from '../../functions/lib/render/task-definition';
import type { ImageDetailFile } from '../../functions/lib/render/task-definition-images';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

/** What the AppSpec's TaskDefinition holds when no ARN is given: the placeholder CodeDeploy users know. */
export const TASK_DEFINITION_PLACEHOLDER = '<TASK_DEFINITION>';

const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]{1,255}:\d+$/;

function read(option: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new InvalidInputError(`${option} ${path}: cannot read the file (${reason})`);
  }
}

/** `--image-detail [NAME=]FILE`: a leading `NAME=` binds the placeholder <NAME>, else IMAGE1_NAME. */
function imageDetail(spec: string): ImageDetailFile {
  const bound = /^([A-Za-z0-9_]+)=(.+)$/.exec(spec);
  const [name, file] = bound ? [bound[1] ?? '', bound[2] ?? ''] : [DEFAULT_IMAGE_PLACEHOLDER, spec];
  return { name, file, text: read('--image-detail', file) };
}

/** `switchyard render`: the task definition and AppSpec the pipeline would produce, from local files, with no AWS call. */
export const render: Command = {
  summary: 'render taskdef.json and appspec.yaml from local files exactly as the pipeline does (no AWS call)',
  usage: `switchyard render --taskdef FILE [--appspec FILE] [--image-detail [NAME=]FILE]...
                  [--image-definitions FILE] [--task-definition-arn ARN]

Renders the task definition (image placeholders filled, read-only and empty fields dropped, checked) and
the AppSpec (checked against it, TaskDefinition set), and prints one JSON object:
  {"taskDefinition": <the RegisterTaskDefinition input>, "appspec": <the rendered AppSpec text, or null>}

  --image-detail [NAME=]FILE   an imageDetail.json ({"ImageURI": …}) for the placeholder <NAME>
                               (default ${DEFAULT_IMAGE_PLACEHOLDER}); up to four
  --image-definitions FILE     an imagedefinitions.json ([{"name", "imageUri"}]): sets each named container's image
  --task-definition-arn ARN    the ARN to write into the AppSpec (default: ${TASK_DEFINITION_PLACEHOLDER}, since
                               the ARN exists only once the pipeline has registered the revision)

Fields RegisterTaskDefinition does not know are left out (as CodePipeline leaves them out), each with a warning on
stderr. Exit status 1 with the error on stderr and nothing on stdout when an input is invalid.

Example (in a checkout whose build wrote imageDetail.json, as the sample app's does):
  switchyard render --taskdef taskdef.json --appspec appspec.yaml --image-detail imageDetail.json`,
  run: async (args) => {
    const { values } = parseFlags('render', {
      args,
      options: {
        taskdef: { type: 'string' },
        appspec: { type: 'string' },
        'image-detail': { type: 'string', multiple: true },
        'image-definitions': { type: 'string' },
        'task-definition-arn': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (!values.taskdef)
      throw new InvalidInputError('--taskdef FILE is required (see switchyard render --help)');
    const arn = values['task-definition-arn'];
    if (arn !== undefined && !TASK_DEFINITION_ARN.test(arn)) {
      throw new InvalidInputError(
        `--task-definition-arn ${arn}: expected arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`,
      );
    }
    const definitions = values['image-definitions'];
    const taskDefinition = renderTaskDefinition({
      taskdefText: read('--taskdef', values.taskdef),
      taskdefFile: values.taskdef,
      imageDetails: (values['image-detail'] ?? []).map(imageDetail),
      imageDefinitions: definitions
        ? { file: definitions, text: read('--image-definitions', definitions) }
        : undefined,
      onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
    });
    let appspec: string | null = null;
    if (values.appspec) {
      const text = read('--appspec', values.appspec);
      parseAppSpec(text, values.appspec, taskDefinition);
      appspec = renderAppSpec(text, values.appspec, arn ?? TASK_DEFINITION_PLACEHOLDER);
    }
    process.stdout.write(`${JSON.stringify({ taskDefinition, appspec }, null, 2)}\n`);
    return 0;
  },
};
