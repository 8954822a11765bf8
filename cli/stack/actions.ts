/**
 * What the stack commands (`switchyard deploy | status | history | promote | abort | rollback`) do to a deployed
 * stack: find the running deployment, set an operator flag on it, and start an execution.
 */

import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Deployment, DeploymentsTable } from '../../functions/lib/record/deployments';
import type { OperatorRequest } from '../../functions/lib/record/operator-requests';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseFlags } from '../commands/flag-suggest';
import { isFinal, recordSteps } from './describe';
import { followDeployment } from './follow';
import {
  type DeploymentRecord,
  resolveTarget,
  type StackClients,
  stackClients,
  TARGET_OPTIONS,
  type Target,
} from './target';
import { wakeFlagged } from './wake';

/** The running deployments of the repository (status RUNNING), newest first, among the last 50 records. */
export async function runningRecords(
  table: DeploymentsTable,
  repository: string,
): Promise<DeploymentRecord[]> {
  return (await table.listRecords(repository, 50)).filter((record) => record.status === 'RUNNING');
}

/** Who runs this command, for the `by` of a promote or abort (STS is not a dependency: the login name). */
export function operatorName(): string {
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The outcome of setting a flag: set, or the record had moved on (its current state). */
export type FlagResult = { set: true } | { set: false; record: DeploymentRecord | undefined };

/**
 * Sets `promoteRequested` or `abortRequested` on a record, on condition that the deployment is still RUNNING (and
 * any extra condition), so a flag never lands on an ended deployment.
 */
export async function setOperatorFlag(options: {
  dynamodb: DynamoDBClient;
  tableName: string;
  record: DeploymentRecord;
  flag: 'promoteRequested' | 'abortRequested';
  request: OperatorRequest;
  requireSteps?: boolean;
}): Promise<FlagResult> {
  const { record, flag, tableName } = options;
  const doc = DynamoDBDocumentClient.from(options.dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: record.pk, sk: record.sk },
        UpdateExpression: 'SET #flag = :request',
        ConditionExpression: `#status = :running${options.requireSteps ? ' AND attribute_exists(#steps)' : ''}`,
        ExpressionAttributeNames: {
          '#flag': flag,
          '#status': 'status',
          ...(options.requireSteps ? { '#steps': 'steps' } : {}),
        },
        ExpressionAttributeValues: { ':request': options.request, ':running': 'RUNNING' },
      }),
    );
    return { set: true };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  // The record's own key, as listRecords returned it: no key is built outside functions/lib/deployments.ts.
  const now = await doc.send(
    new GetCommand({ TableName: tableName, Key: { pk: record.pk, sk: record.sk }, ConsistentRead: true }),
  );
  return { set: false, record: now.Item };
}

// ---- starting an execution ----

/** `manual-20260102T030405Z-1a2b3c`: a valid, unique, sortable execution name (it becomes the deployment id). */
export function executionName(prefix: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Starts an execution of the pipeline and prints its ARN; with `follow`, follows it (followDeployment) and
 * returns its exit code.
 */
export async function startDeployment(options: {
  clients: StackClients;
  target: Partial<Target> & Pick<Target, 'stateMachineArn'>;
  prefix: string;
  input: Record<string, unknown>;
  follow: boolean;
  write: (text: string) => void;
}): Promise<number> {
  const { clients, target, write } = options;
  const now = new Date();
  const name = executionName(options.prefix, now);
  const out = await clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: target.stateMachineArn,
      name,
      input: JSON.stringify(options.input),
    }),
  );
  const executionArn = out.executionArn ?? '';
  write(`${executionArn}\n`);
  if (!options.follow) return 0;
  if (!target.tableName || !target.repository) {
    throw new InvalidInputError(
      '--follow needs the deployments table and repository: give --stack, or --table and --repository',
    );
  }
  const startedAt = out.startDate ?? now;
  const table = new DeploymentsTable(clients.dynamodb, target.tableName);
  const repository = target.repository;
  let deployment: Deployment | undefined;
  return followDeployment(startedAt, {
    look: async () => {
      // The execution first: a record written before the execution ended is then always seen with it.
      const execution = await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
      deployment ??= (await table.findRecord(repository, name, startedAt.getTime()))?.deployment;
      return { execution, record: deployment ? await table.getRecord(deployment) : undefined };
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now: () => new Date(),
    write,
  });
}

/** Options of the commands that start an execution (`switchyard deploy | rollback`) besides the target. */
export const FOLLOW_OPTIONS = { follow: { type: 'boolean' } } as const;

/**
 * What `switchyard deploy` and `switchyard rollback` do once their input is checked: resolve the target (with the
 * table and repository when following) and start the execution (startDeployment), writing to stdout.
 */
export async function startFromCommandLine(
  values: Parameters<typeof resolveTarget>[0] & { follow?: boolean },
  prefix: string,
  input: Record<string, unknown>,
): Promise<number> {
  const clients = stackClients();
  const target = await resolveTarget(
    values,
    values.follow
      ? (['stateMachineArn', 'tableName', 'repository'] as const)
      : (['stateMachineArn'] as const),
    clients.cloudformation,
  );
  return startDeployment({
    clients,
    target,
    prefix,
    input,
    follow: values.follow ?? false,
    write: (text) => process.stdout.write(text),
  });
}

// ---- promote and abort ----

/** Options of `switchyard promote` / `switchyard abort` besides the target. */
export const FLAG_OPTIONS = {
  deployment: { type: 'string' },
  reason: { type: 'string' },
} as const;

/**
 * Sets a promote or abort flag on a running deployment: the newest running one, or `deploymentId`'s. Throws a
 * message saying what is running instead when there is nothing to flag; returns the record that was flagged.
 */
export async function flagRunningDeployment(options: {
  clients: Pick<StackClients, 'dynamodb'>;
  target: Pick<Target, 'tableName' | 'repository'>;
  flag: 'promoteRequested' | 'abortRequested';
  deploymentId?: string;
  reason?: string;
  now: Date;
  by: string;
}): Promise<DeploymentRecord> {
  const { clients, target, flag } = options;
  const verb = flag === 'promoteRequested' ? 'promote' : 'abort';
  const table = new DeploymentsTable(clients.dynamodb, target.tableName);
  const running = await runningRecords(table, target.repository);
  const record = options.deploymentId
    ? running.find((candidate) => candidate.deploymentId === options.deploymentId)
    : running[0];
  if (!record) {
    const which = options.deploymentId
      ? `deployment ${options.deploymentId} is not running`
      : 'no deployment is running';
    const others = running.map((r) => String(r.deploymentId)).join(', ');
    const [newest] = await table.listRecords(target.repository, 1);
    const latest = newest
      ? `the newest, ${String(newest.deploymentId)}, is ${String(newest.status)}`
      : 'it has no deployments yet';
    throw new InvalidInputError(
      `${which} for repository ${target.repository} (${others ? `running: ${others}` : latest}); nothing to ${verb}`,
    );
  }
  const request: OperatorRequest = {
    by: options.by,
    at: options.now.toISOString(),
    ...(options.reason ? { reason: options.reason } : {}),
  };
  // Step 0 drops a promote given before the shift starts, so one that early is refused rather than lost.
  const requireSteps = flag === 'promoteRequested';
  const result = await setOperatorFlag({
    dynamodb: clients.dynamodb,
    tableName: target.tableName,
    record,
    flag,
    request,
    requireSteps,
  });
  if (!result.set) {
    const now = result.record;
    const id = String(record.deploymentId);
    if (now && isFinal(now.status)) {
      throw new InvalidInputError(
        `deployment ${id} ended ${String(now.status)}${typeof now.finishedAt === 'string' ? ` at ${now.finishedAt}` : ''} before the ${verb} was recorded; nothing to ${verb}`,
      );
    }
    if (now && requireSteps && recordSteps(now).length === 0) {
      throw new InvalidInputError(
        `deployment ${id} has not started shifting traffic, and its first step drops a promote given earlier: ` +
          'run `switchyard promote` again once `switchyard status` shows a pause',
      );
    }
    throw new InvalidInputError(
      `deployment ${id}'s record changed while the ${verb} was being recorded; try again`,
    );
  }
  return record;
}

/**
 * What `switchyard promote` and `switchyard abort` do: parse the target and flag options, resolve the table and
 * repository, and set `flag` on the running deployment as $USER (flagRunningDeployment); returns its record.
 */
export async function flagFromCommandLine(
  args: string[],
  flag: 'promoteRequested' | 'abortRequested',
): Promise<DeploymentRecord> {
  const verb = flag === 'promoteRequested' ? 'promote' : 'abort';
  const { values } = parseFlags(verb, { args, options: { ...TARGET_OPTIONS, ...FLAG_OPTIONS } });
  const clients = stackClients();
  const target = await resolveTarget(values, ['tableName', 'repository'] as const, clients.cloudformation);
  const by = operatorName();
  const record = await flagRunningDeployment({
    clients,
    target,
    flag,
    deploymentId: values.deployment,
    reason: values.reason,
    now: new Date(),
    by,
  });
  // The deployment reacts now, not at its next check: its pause is woken, an abort stops a running build.
  await wakeFlagged(clients, target.tableName, record, flag, by);
  return record;
}
