import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { checkRedeployArn } from '../../functions/lib/render/workload-scope';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseRedeploy } from '../../functions/lib/source/redeploy';
import { FOLLOW_OPTIONS, startDeployment, startFromCommandLine } from '../stack/actions';
import { deploymentToResume, resumeRollbackInput, rollbackFailedRecords } from '../stack/rollback-failed';
import { resolveTarget, stackClients, TARGET_OPTIONS, TARGET_USAGE } from '../stack/target';
import { parseFlags } from './flag-suggest';
import { stackFamily } from './rollback-to';
import type { Command } from './types';

/** `switchyard rollback`: redeploys the previous task definition, or a given one, without a build. */
export const rollback: Command = {
  summary: 'deploy again the previous task definition (or --to a given one), without source or build',
  usage: `switchyard rollback [--to TASKDEF_ARN] [--follow] (--stack NAME | --state-machine ARN ...)
       switchyard rollback --resume [DEPLOYMENT_ID] [--follow] (--stack NAME | --state-machine ARN ...)

Starts an execution of the pipeline state machine with {"rollback": true}: the task definition that was live
before the current one is deployed again, through the same lock, traffic shift and rollback, with the AppSpec
settings of the last successful deployment. With --to, {"taskDefinitionArn": ARN}: that revision (ACTIVE) is
deployed; it must be in the stack's account and Region, of its TaskDefinitionFamily (when the stack sets one), and
name no role but the stack's TaskRoleArn and TaskExecutionRoleArn. The execution is named
rollback-<UTC time>-<random>; its ARN is printed.

With --resume: a deployment whose rollback failed (status ROLLBACK_FAILED; it keeps the service's lock, so no
other deployment starts on a listener that may split traffic) is rolled back again, from what its record stored,
by an execution with {"resumeRollback": {"deploymentId": ID}}; when that rollback succeeds the record says
ROLLED_BACK and the lock is released. Without an id, the newest ROLLBACK_FAILED deployment (needs the table:
--stack, or --table and --repository). Fix what made the rollback fail first (its error is in switchyard status).

  --to TASKDEF_ARN            arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>
  --resume [DEPLOYMENT_ID]    resume the failed rollback of that deployment (default: the newest one)
  --follow                    follow it as \`switchyard deploy --follow\` does (exit status 0 only for SUCCEEDED)
${TARGET_USAGE}

Examples:
  switchyard rollback --stack my-service-pipeline --follow
  switchyard rollback --resume --stack my-service-pipeline`,
  run: async (args) => {
    const { values, positionals } = parseFlags('rollback', {
      args,
      options: { ...TARGET_OPTIONS, to: { type: 'string' }, resume: { type: 'boolean' }, ...FOLLOW_OPTIONS },
      allowPositionals: true,
    });
    if (values.resume) return resume(values, positionals);
    if (positionals.length > 0) {
      throw new InvalidInputError(
        `unexpected argument(s) ${positionals.join(' ')}: a deployment id goes with --resume (switchyard rollback --resume ID)`,
      );
    }
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
    if (values.to === undefined) return startFromCommandLine(values, 'rollback', input);
    return rollbackTo(values, values.to, input);
  },
};

/**
 * `--to`: the revision must be in the state machine's account and Region, and of the stack's TaskDefinitionFamily
 * when --stack names a stack that sets one; Prepare checks it again (and its roles) before any side effect.
 */
async function rollbackTo(
  values: Parameters<typeof startFromCommandLine>[0],
  arn: string,
  input: Record<string, unknown>,
): Promise<number> {
  const clients = stackClients();
  const needs = values.follow
    ? (['stateMachineArn', 'tableName', 'repository'] as const)
    : (['stateMachineArn'] as const);
  const target = await resolveTarget(values, needs, clients.cloudformation);
  const [, , , region = '', account = ''] = target.stateMachineArn.split(':');
  const family = values.stack ? await stackFamily(clients.cloudformation, values.stack) : '';
  checkRedeployArn(arn, { family, place: { region, account } }, '--to');
  return startDeployment({
    clients,
    target,
    prefix: 'rollback',
    input,
    follow: values.follow ?? false,
    write: (text) => process.stdout.write(text),
  });
}

async function resume(
  values: Parameters<typeof startFromCommandLine>[0] & { to?: string },
  positionals: string[],
): Promise<number> {
  if (values.to !== undefined || positionals.length > 1) {
    throw new InvalidInputError(
      '--resume takes at most one deployment id and no --to: switchyard rollback --resume [DEPLOYMENT_ID]',
    );
  }
  const named = positionals[0];
  const deploymentId = await deploymentToResume(named, async () => {
    const clients = stackClients();
    const target = await resolveTarget(values, ['tableName', 'repository'] as const, clients.cloudformation);
    return rollbackFailedRecords(new DeploymentsTable(clients.dynamodb, target.tableName), target.repository);
  });
  return startFromCommandLine(values, 'resume-rollback', resumeRollbackInput(deploymentId));
}
