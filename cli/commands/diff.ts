import { ECSClient } from '@aws-sdk/client-ecs';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { normaliseLive, readLiveTaskDefinition } from '../stack/diff-live';
import { renderCheckout } from '../stack/diff-render';
import { stableJson, unifiedDiff } from '../stack/diff-unified';
import { colourFor, parseCommandArgs, reportError } from '../stack/verify-options';
import {
  PARAMETER_OPTIONS,
  PARAMETER_USAGE,
  parameterProblems,
  readStackSettings,
} from '../stack/verify-parameters';
import { stackEnvironment } from '../stack/verify-settings';
import type { Command } from './types';

const OPTIONS = {
  ...PARAMETER_OPTIONS,
  image: { type: 'string', multiple: true },
  'image-detail': { type: 'string', multiple: true },
  'image-definitions': { type: 'string' },
  taskdef: { type: 'string' },
} as const;

/** `switchyard diff`: the task definition a checkout would deploy against the live one, as a unified diff. */
export const diff: Command = {
  summary:
    "show what a deployment would change in the service's task definition (a unified diff against the live one)",
  usage: `switchyard diff [DIR] (--stack NAME | --parameters FILE | --parameter KEY=VALUE...)
                [--image [NAME=]URI]... [--image-detail [NAME=]FILE]... [--image-definitions FILE] [--taskdef FILE]

Renders the task definition template of the checkout DIR (default: .; the file TaskDefinitionTemplatePath names)
as the pipeline's Render does, and prints a unified diff against the task definition of the service's PRIMARY task
set (DescribeServices, DescribeTaskSets, DescribeTaskDefinition): "-" lines are live, "+" lines would be deployed.
Both are printed as JSON with sorted keys; what ECS adds to a registered revision (its ARN, revision, status,
requiresAttributes, compatibilities, registeredAt/By, default values such as a container's cpu 0) is left out, so
only real changes show. Red and green at a terminal; never with NO_COLOR set or when the output is not a terminal.
Exit status 0 when there is no difference, 1 when there are differences (as diff(1)), 2 on an error. A service with
no PRIMARY task set yet is compared with nothing: every line is new.

  DIR                          the application's checkout (default: .)
  --image [NAME=]URI           the image for the placeholder <NAME> (default IMAGE1_NAME) of the template
  --image-detail [NAME=]FILE   an imageDetail.json ({"ImageURI": ...}) for the placeholder <NAME>
  --image-definitions FILE     an imagedefinitions.json ([{"name", "imageUri"}])
                               With none of the three, the checkout's files that ImagePlaceholders names are used
                               (imageDetail.json by default) when they exist.
  --taskdef FILE               the template to render, instead of DIR's TaskDefinitionTemplatePath
${PARAMETER_USAGE}

Example:
  switchyard diff ~/src/web --stack switchyard-web --image 123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v42`,
  run: async (args) => {
    try {
      const { values, positionals } = parseCommandArgs('diff', args, OPTIONS);
      const { dir, region, parameters } = await readStackSettings('diff', positionals, values);
      const settings = parameters.values;
      const problems = parameterProblems(settings).filter((problem) =>
        /ClusterName|ServiceName|TaskDefinitionTemplatePath|ImagePlaceholders|PinImageDigests|EcrRepositoryName|TaskDefinitionFamily/.test(
          problem,
        ),
      );
      if (problems.length > 0)
        throw new InvalidInputError(`the settings cannot be used: ${problems.join('; ')}`);
      const env = stackEnvironment(settings, region);
      const rendered = await renderCheckout(
        dir,
        env,
        {
          image: values.image,
          imageDetail: values['image-detail'],
          imageDefinitions: values['image-definitions'],
          taskdef: values.taskdef,
        },
        (message) => process.stderr.write(`switchyard diff: ${message}\n`),
      );
      const ecs = new ECSClient({});
      let live: Awaited<ReturnType<typeof readLiveTaskDefinition>>;
      try {
        live = await readLiveTaskDefinition(ecs, settings.ClusterName ?? '', settings.ServiceName ?? '');
      } finally {
        ecs.destroy();
      }
      if (!live.taskDefinition)
        process.stderr.write(
          `switchyard diff: service ${settings.ServiceName} has no PRIMARY task set yet: everything is new\n`,
        );
      const before = live.taskDefinition
        ? stableJson(normaliseLive(live.taskDefinition, rendered.taskDefinition))
        : '';
      const after = stableJson(rendered.taskDefinition);
      const text = unifiedDiff(
        before,
        after,
        { before: `live ${live.arn ?? '(none)'}`, after: `rendered ${rendered.file}` },
        colourFor(process.stdout),
      );
      process.stdout.write(text);
      return text === '' ? 0 : 1;
    } catch (error) {
      return reportError('diff', error);
    }
  },
};
