/**
 * What the stack commands (`switchyard deploy | status | history | promote | abort | rollback`) share: finding the
 * deployed stack's state machine, table and repository, the AWS clients, the running deployment, the operator
 * flags and starting an execution. How a deployment is described and followed is in cli/follow.ts, re-exported
 * here.
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Deployment, DeploymentsTable } from '../functions/lib/deployments';
import { InvalidInputError } from '../functions/lib/errors';
import type { OperatorRequest } from '../functions/lib/shift';
import { followDeployment, isFinal, recordSteps } from './follow';

export {
  describeError,
  describeFlag,
  describeStep,
  type FollowDeps,
  type FollowSnapshot,
  followDeployment,
  formatDuration,
  formatTable,
  isFinal,
  pauseFromHistory,
  readPause,
  recordDuration,
  recordSteps,
  recordTaskDefinition,
  shortCommit,
  stageLines,
  targetGroupName,
  taskDefinitionRevision,
} from './follow';

/** A deployment record as the table holds it (functions/lib/deployments.ts); every field is read defensively. */
export type DeploymentRecord = Record<string, unknown>;

/** The options that say which deployed stack a command talks to. */
export const TARGET_OPTIONS = {
  stack: { type: 'string' },
  'state-machine': { type: 'string' },
  table: { type: 'string' },
  repository: { type: 'string' },
} as const;

/** Usage text of TARGET_OPTIONS, for each command's help. */
export const TARGET_USAGE = `  --stack NAME                the deployed Switchyard stack: its outputs StateMachineArn and
                              DeploymentsTableName and its parameter RepositoryName (CloudFormation DescribeStacks)
  --state-machine ARN         instead of --stack, or to override it: the pipeline state machine
  --table NAME                  ... the deployments table
  --repository NAME             ... the CodeCommit repository the stack deploys

AWS calls use the normal credential chain and region (AWS_REGION, AWS_PROFILE), and go where AWS_ENDPOINT_URL
points when it is set (an emulator).`;

/** What a stack command talks to. */
export interface Target {
  stateMachineArn: string;
  tableName: string;
  repository: string;
}

/** The AWS clients of the stack commands, created once per command run. */
export interface StackClients {
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
  cloudformation: CloudFormationClient;
}

/** Creates the clients; region, credentials and endpoint come from the environment. */
export function stackClients(): StackClients {
  return {
    sfn: new SFNClient({}),
    dynamodb: new DynamoDBClient({}),
    cloudformation: new CloudFormationClient({}),
  };
}

const FLAG_OF: Record<keyof Target, string> = {
  stateMachineArn: '--state-machine ARN',
  tableName: '--table NAME',
  repository: '--repository NAME',
};
const SOURCE_OF: Record<keyof Target, string> = {
  stateMachineArn: 'output StateMachineArn',
  tableName: 'output DeploymentsTableName',
  repository: 'parameter RepositoryName',
};

/**
 * Resolves the target: `--stack` reads the stack (DescribeStacks), explicit flags win over it; every field in
 * `needs` must end up set, or the error names the options to give.
 */
export async function resolveTarget<N extends keyof Target>(
  options: { stack?: string; 'state-machine'?: string; table?: string; repository?: string },
  needs: readonly N[],
  cloudformation: CloudFormationClient,
): Promise<Partial<Target> & Pick<Target, N>> {
  // The SDK would only say "Region is missing", at the first call.
  const region = await cloudformation.config.region().catch(() => undefined);
  if (!region) {
    throw new InvalidInputError('no AWS region: set AWS_REGION (or region in the config of AWS_PROFILE)');
  }
  const explicit: Partial<Target> = {
    ...(options['state-machine'] ? { stateMachineArn: options['state-machine'] } : {}),
    ...(options.table ? { tableName: options.table } : {}),
    ...(options.repository ? { repository: options.repository } : {}),
  };
  if (!options.stack) {
    const missing = needs.filter((field) => !explicit[field]);
    if (missing.length > 0) {
      throw new InvalidInputError(
        `--stack NAME or ${needs.map((field) => FLAG_OF[field]).join(' ')} is required ` +
          `(missing: ${missing.map((field) => FLAG_OF[field].split(' ')[0]).join(', ')})`,
      );
    }
    return explicit as Partial<Target> & Pick<Target, N>;
  }
  const stack = await describeStack(cloudformation, options.stack);
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const parameter = (key: string) => stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
  const fromStack: Partial<Target> = {
    stateMachineArn: output('StateMachineArn'),
    tableName: output('DeploymentsTableName'),
    repository: parameter('RepositoryName'),
  };
  const target = { ...fromStack, ...explicit };
  const missing = needs.filter((field) => !target[field]);
  if (missing.length > 0) {
    throw new InvalidInputError(
      `stack "${options.stack}" (${stack.StackStatus}) has no ${missing.map((field) => SOURCE_OF[field]).join(', ')}: ` +
        `is it a Switchyard stack (template.yaml), fully created? Outputs: ${(stack.Outputs ?? []).map((o) => o.OutputKey).join(', ') || 'none'}. ` +
        `Or give ${missing.map((field) => FLAG_OF[field]).join(' ')}`,
    );
  }
  return target as Partial<Target> & Pick<Target, N>;
}

async function describeStack(cloudformation: CloudFormationClient, name: string): Promise<Stack> {
  let stack: Stack | undefined;
  try {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: name }))).Stacks?.[0];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (!/does not exist/.test(message)) throw error;
  }
  if (!stack) {
    const region = await cloudformation.config.region().catch(() => 'the configured region');
    throw new InvalidInputError(
      `stack "${name}" does not exist in ${region}: check --stack (the name given to sam deploy) and AWS_REGION`,
    );
  }
  return stack;
}

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
  const { values } = parseArgs({ args, options: { ...TARGET_OPTIONS, ...FLAG_OPTIONS }, strict: true });
  const clients = stackClients();
  const target = await resolveTarget(values, ['tableName', 'repository'] as const, clients.cloudformation);
  return flagRunningDeployment({
    clients,
    target,
    flag,
    deploymentId: values.deployment,
    reason: values.reason,
    now: new Date(),
    by: operatorName(),
  });
}
