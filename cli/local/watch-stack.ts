/**
 * `switchyard local --watch` makes the local stack reachable as a deployed one: the pipeline state machine is
 * registered in the emulator's Step Functions (so `switchyard deploy` can StartExecution on it, and the watch
 * runs what it starts: watch-executions.ts), and a CloudFormation stack of the local stack's name carries the
 * outputs and the parameter `--stack NAME` reads (cli/stack/target.ts). Both are created or updated in place, so
 * a reused emulator keeps working.
 */
import {
  CloudFormationClient,
  CreateStackCommand,
  type Parameter,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { CreateStateMachineCommand, SFNClient, UpdateStateMachineCommand } from '@aws-sdk/client-sfn';
import { STORAGE } from './local-stack';
import { type LocalStack, localResolveContext, renderDefinition } from './pipeline-definition';
import { loadTemplate } from './template';

/** What the other commands need to reach the local stack. */
export interface RegisteredStack {
  stackName: string;
  stateMachineArn: string;
  tableName: string;
  repository: string;
}

/** The state machine's name: the one the local runner's execution ARNs name (state-machine.ts). */
export function pipelineName(stack: LocalStack): string {
  return `${stack.name}-pipeline`;
}

/**
 * Registers the pipeline and the stack in the emulator. CreateStateMachine with the same name, definition and role
 * returns the existing machine (https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html);
 * an existing one with another definition is updated. CreateStack of an existing name is AlreadyExistsException
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html): the stack is updated.
 */
export async function registerLocalStack(stack: LocalStack): Promise<RegisteredStack> {
  const template = loadTemplate();
  const definition = JSON.stringify(renderDefinition(template, localResolveContext(template, stack)));
  const roleArn = `arn:aws:iam::${stack.accountId}:role/${stack.name}-pipeline`;
  const sfn = new SFNClient({});
  const cloudformation = new CloudFormationClient({});
  try {
    const created = await sfn.send(
      new CreateStateMachineCommand({ name: pipelineName(stack), definition, roleArn }),
    );
    const stateMachineArn = created.stateMachineArn as string;
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn }));
    const registered: RegisteredStack = {
      stackName: stack.name,
      stateMachineArn,
      tableName: String(stack.resources[STORAGE.table]),
      repository: String(stack.parameters.RepositoryName),
    };
    await putStack(cloudformation, registered);
    return registered;
  } finally {
    sfn.destroy();
    cloudformation.destroy();
  }
}

/** The stack record: outputs StateMachineArn and DeploymentsTableName, parameter RepositoryName. */
async function putStack(cloudformation: CloudFormationClient, registered: RegisteredStack): Promise<void> {
  const body = JSON.stringify({
    Description:
      'switchyard local --watch: the local stack, run by the watch process (not by CloudFormation)',
    Parameters: { RepositoryName: { Type: 'String' } },
    // A resource that does nothing: a template needs one.
    Resources: { LocalStack: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
    Outputs: {
      StateMachineArn: { Value: registered.stateMachineArn },
      DeploymentsTableName: { Value: registered.tableName },
    },
  });
  const Parameters: Parameter[] = [{ ParameterKey: 'RepositoryName', ParameterValue: registered.repository }];
  try {
    await cloudformation.send(
      new CreateStackCommand({ StackName: registered.stackName, TemplateBody: body, Parameters }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'AlreadyExistsException')) throw error;
    await cloudformation
      .send(new UpdateStackCommand({ StackName: registered.stackName, TemplateBody: body, Parameters }))
      .catch((update: unknown) => {
        // Nothing changed: the stack already says what it should.
        if (!(update instanceof Error && /No updates/.test(update.message))) throw update;
      });
  }
}
