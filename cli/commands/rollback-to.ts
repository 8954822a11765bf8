/** What `switchyard rollback --to` reads of the stack to check the revision before starting anything. */
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SCOPE_SETTINGS } from '../../functions/lib/render/workload-scope';

/** The stack's TaskDefinitionFamily parameter ('' when the stack does not set one, or predates it). */
export async function stackFamily(cloudformation: CloudFormationClient, stackName: string): Promise<string> {
  const out = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const parameter = out.Stacks?.[0]?.Parameters?.find(
    (p) => p.ParameterKey === SCOPE_SETTINGS.family.parameter,
  );
  return parameter?.ParameterValue?.trim() ?? '';
}
