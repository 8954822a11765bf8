import { InvalidInputError } from '../../functions/lib/shared/errors';
import { FOLLOW_OPTIONS, startFromCommandLine } from '../stack/actions';
import { TARGET_OPTIONS, TARGET_USAGE } from '../stack/target';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

/** The manual input Prepare accepts: `{"commitId"?, "branch"?, "force"?}`. */
export function manualInput(values: {
  commit?: string;
  branch?: string;
  force?: boolean;
}): Record<string, unknown> {
  if (values.commit !== undefined && !/^[0-9a-f]{40}$/.test(values.commit)) {
    throw new InvalidInputError(
      `--commit ${values.commit}: give the full 40-character commit id (git rev-parse ${values.commit}), or leave ` +
        'it out to deploy the head of the branch',
    );
  }
  if (values.branch !== undefined && values.branch.trim() === '') {
    throw new InvalidInputError(
      "--branch is empty: give a branch name, or leave it out for the stack's BranchName",
    );
  }
  return {
    ...(values.commit === undefined ? {} : { commitId: values.commit }),
    ...(values.branch === undefined ? {} : { branch: values.branch }),
    ...(values.force ? { force: true } : {}),
  };
}

/** `switchyard deploy`: starts the pipeline by hand. */
export const deploy: Command = {
  summary: 'start a deployment of a commit or a branch head on a deployed stack',
  usage: `switchyard deploy [--commit SHA] [--branch B] [--force] [--follow] (--stack NAME | --state-machine ARN ...)

Starts an execution of the pipeline state machine with the manual input {"commitId"?, "branch"?, "force"?},
named manual-<UTC time>-<random> (the deployment id), and prints its ARN.

  --commit SHA                the full 40-character commit id; without it, the head of the branch
  --branch B                  the branch (default: the stack's BranchName)
  --force                     deploy the commit again even if it is running or already deployed
  --follow                    then print one line per stage (build, task definition, green, each traffic
                              step, the end) every 2 s until the deployment record ends; exit status 0 only
                              when it ends SUCCEEDED, 1 otherwise (ROLLED_BACK, FAILED, SUPERSEDED, ABORTED, or
                              the execution ended without a record, e.g. a duplicate commit)
${TARGET_USAGE}

Examples:
  switchyard deploy --stack my-service-pipeline --follow
  switchyard deploy --stack switchyard --commit $(git rev-parse HEAD)   (the stack of switchyard local --watch)`,
  run: async (args) => {
    const { values } = parseFlags('deploy', {
      args,
      options: {
        ...TARGET_OPTIONS,
        commit: { type: 'string' },
        branch: { type: 'string' },
        force: { type: 'boolean' },
        ...FOLLOW_OPTIONS,
      },
    });
    const input = manualInput(values);
    return startFromCommandLine(values, 'manual', input);
  },
};
