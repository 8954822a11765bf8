/**
 * template.yaml's part of what a commit may deploy (functions/lib/render/workload-scope.ts): the parameters default to
 * CodeDeploy's behaviour (any family, any network), reach the functions as the environment variables the code
 * reads, and TaskDefinitionFamily, when set, scopes tagging and CreateTaskSet to that family's revisions.
 */
import { SCOPE_SETTINGS } from '../../functions/lib/render/workload-scope';
import { readTemplate, roleStatements } from '../support/sam-template';

const template = readTemplate('decode');
const FAMILY_REVISIONS =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
  'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/${TaskDefinitionFamily}:*';

describe('the workload scope parameters', () => {
  it('default to any family and any network, as CodeDeploy', () => {
    expect(template.Parameters).toMatchObject({
      TaskDefinitionFamily: { Type: 'String', Default: '' },
      AllowedSubnetIds: { Type: 'CommaDelimitedList', Default: '' },
      AllowedSecurityGroupIds: { Type: 'CommaDelimitedList', Default: '' },
      AllowPublicIp: { Default: 'true', AllowedValues: ['true', 'false'] },
    });
  });

  it('reach every function under the names the code reads', () => {
    const env = template.Globals.Function.Environment.Variables;
    for (const setting of Object.values(SCOPE_SETTINGS)) {
      expect(JSON.stringify(env[setting.env])).toContain(`"${setting.parameter}"`);
    }
  });

  it("let RenderTaskDefinition tag only the family's revisions when the stack names one", () => {
    const tag = roleStatements(template, 'RenderTaskDefinitionFunctionRole').statements.find(
      (s) => s.Sid === 'TagRevision',
    );
    expect(tag?.Resource).toEqual({
      'Fn::If': [
        'HasTaskDefinitionFamily',
        { 'Fn::Sub': FAMILY_REVISIONS },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax
        { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:task-definition/*' },
      ],
    });
  });

  it("let CreateGreen create a task set only of the family's revisions when the stack names one", () => {
    const statements = roleStatements(template, 'CreateGreenFunctionRole').statements;
    const create = statements.filter((s) => JSON.stringify(s.Action).includes('ecs:CreateTaskSet'));
    expect(create).toHaveLength(1);
    expect(create[0]?.Condition).toEqual({
      'Fn::If': [
        'HasTaskDefinitionFamily',
        { ArnLike: { 'ecs:task-definition': { 'Fn::Sub': FAMILY_REVISIONS } } },
        { Ref: 'AWS::NoValue' },
      ],
    });
    expect(template.Conditions.HasTaskDefinitionFamily).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'TaskDefinitionFamily' }, ''] }],
    });
  });
});
