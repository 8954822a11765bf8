/**
 * `switchyard rollback --to` as a user runs it (a subprocess against moto): a revision of another account or Region
 * than the state machine's, or of another family than the stack's TaskDefinitionFamily, is refused before any
 * execution starts; a revision of the stack's family starts one.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createStubPipeline, runSwitchyard } from '../../../support/cli';
import { useMoto } from '../../../support/moto';

const REVISION = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';

describe('switchyard rollback --to within the stack scope', () => {
  const moto = useMoto();
  const sfn = new SFNClient({});
  const cloudformation = new CloudFormationClient({});
  let stateMachineArn: string;

  const run = (args: string[]) =>
    runSwitchyard(['rollback', ...args], {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
    });
  const executions = async () =>
    (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];

  beforeEach(async () => {
    stateMachineArn = await createStubPipeline(sfn);
  });
  afterAll(() => {
    sfn.destroy();
    cloudformation.destroy();
  });

  it.each([
    [
      'another account',
      REVISION.replace('123456789012', '999999999999'),
      'is in account 999999999999, Region us-east-1',
    ],
    [
      'another Region',
      REVISION.replace('us-east-1', 'eu-west-1'),
      'is in account 123456789012, Region eu-west-1',
    ],
  ])('refuses a revision of %s than the state machine, starting nothing', async (_name, arn, message) => {
    const out = await run(['--to', arn, '--state-machine', stateMachineArn]);

    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`switchyard rollback: --to ${arn} ${message}`);
    expect(out.stderr).toContain('this stack deploys to account 123456789012, Region us-east-1');
    expect(await executions()).toEqual([]);
  });

  it("refuses another family than the stack's TaskDefinitionFamily, and starts its own", async () => {
    await cloudformation.send(
      new CreateStackCommand({
        StackName: 'switchyard-prod',
        // The outputs and parameters of template.yaml that the command reads; moto cannot deploy the real one.
        TemplateBody: JSON.stringify({
          Parameters: {
            RepositoryName: { Type: 'String' },
            TaskDefinitionFamily: { Type: 'String', Default: '' },
          },
          Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
          Outputs: { StateMachineArn: { Value: stateMachineArn } },
        }),
        Parameters: [
          { ParameterKey: 'RepositoryName', ParameterValue: 'app' },
          { ParameterKey: 'TaskDefinitionFamily', ParameterValue: 'web' },
        ],
      }),
    );
    const other = REVISION.replace('/web:', '/payments:');

    const refused = await run(['--to', other, '--stack', 'switchyard-prod']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      `--to ${other} is a revision of family "payments"; this stack deploys family "web" (stack parameter TaskDefinitionFamily)`,
    );
    expect(await executions()).toEqual([]);

    const started = await run(['--to', REVISION, '--stack', 'switchyard-prod']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    expect((await executions()).map((e) => e.executionArn)).toEqual([started.stdout.trim()]);
  });
});
