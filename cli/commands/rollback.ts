import { parseArgs } from 'node:util';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseRedeploy } from '../../functions/lib/source/redeploy';
import { FOLLOW_OPTIONS, startFromCommandLine } from '../stack/actions';
import { TARGET_OPTIONS, TARGET_USAGE } from '../stack/target';
import type { Command } from './types';

/** `switchyard rollback`: redeploys the previous task definition, or a given one, without a build. */
export const rollback: Command = {
  summary: 'deploy again the previous task definition (or --to a given one), without source or build',
  usage: `switchyard rollback [--to TASKDEF_ARN] [--follow] (--stack NAME | --state-machine ARN ...)

Starts an execution of the pipeline state machine with {"rollback": true}: the task definition that was live
before the current one is deployed again, through the same lock, traffic shift and rollback, with the AppSpec
settings of the last successful deployment. With --to, {"taskDefinitionArn": ARN}: that revision (ACTIVE) is
deployed. The execution is named rollback-<UTC time>-<random>; its ARN is printed.

  --to TASKDEF_ARN            arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
  --follow                    follow it as \`switchyard deploy --follow\` does (exit status 0 only for SUCCEEDED)
${TARGET_USAGE}`,
  run: async (args) => {
    const { values } = parseArgs({
      args,
      options: { ...TARGET_OPTIONS, to: { type: 'string' }, ...FOLLOW_OPTIONS },
      strict: true,
    });
    const input = values.to === undefined ? { rollback: true } : { taskDefinitionArn: values.to };
    // The same check Prepare makes, before anything starts.
    try {
      parseRedeploy(input);
    } catch (error) {
      throw new InvalidInputError(
        `--to ${values.to}: expected a task definition ARN, ` +
          'arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>',
        { cause: error },
      );
    }
    return startFromCommandLine(values, 'rollback', input);
  },
};
