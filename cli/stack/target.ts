/**
 * Which deployed stack a stack command talks to: the options that name it, the AWS clients, and the state
 * machine, table and repository read from the stack's outputs and parameters (or given explicitly).
 */
import { CloudFormationClient, DescribeStacksCommand, type Stack } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { InvalidInputError } from '../../functions/lib/shared/errors';

/** A deployment record as the table holds it (functions/lib/record/deployments.ts); every field is read defensively. */
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
