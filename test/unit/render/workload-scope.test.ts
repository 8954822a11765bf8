/**
 * What a stack lets a commit or a manual redeploy deploy (functions/lib/render/workload-scope.ts and
 * appspec-network.ts): the stack parameters read from the environment, the family of taskdef.json, the network an
 * AppSpec names, and the account, Region, family and roles of a revision to redeploy. Every refusal names the file or
 * input, the field, the value, what is allowed and the fix.
 */
import { type AppSpecTaskDefinition, parseAppSpec } from '../../../functions/lib/render/appspec';
import {
  checkFamily,
  checkRedeployArn,
  checkRedeployRoles,
  OPEN_SCOPE,
  readWorkloadScope,
  type WorkloadScope,
} from '../../../functions/lib/render/workload-scope';
import { ConfigurationError, InvalidInputError } from '../../../functions/lib/shared/errors';

const LISTENER =
  'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/prod/0123456789abcdef/0123456789abcdef';
const EXECUTION = 'arn:aws:iam::111122223333:role/web-execution';
const TASK_ROLE = 'arn:aws:iam::111122223333:role/service/web-task';

const TASK_DEFINITION: AppSpecTaskDefinition = {
  family: 'web',
  networkMode: 'awsvpc',
  containerDefinitions: [{ name: 'web', image: 'web:1', portMappings: [{ containerPort: 8080 }] }],
};

const appspec = (awsvpc: string) => `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo: {ContainerName: web, ContainerPort: 8080}
        NetworkConfiguration:
          AwsvpcConfiguration:
${awsvpc
  .split('\n')
  .map((line) => `            ${line}`)
  .join('\n')}
`;

const scope = (fields: Partial<WorkloadScope>): WorkloadScope => ({ ...OPEN_SCOPE, ...fields });

describe('readWorkloadScope', () => {
  it('allows anything when the stack leaves every parameter at its default (as CodeDeploy)', () => {
    expect(readWorkloadScope({})).toEqual(OPEN_SCOPE);
    expect(
      readWorkloadScope({
        TASK_DEFINITION_FAMILY: '',
        ALLOWED_SUBNET_IDS: '',
        ALLOWED_SECURITY_GROUP_IDS: '',
        ALLOW_PUBLIC_IP: 'true',
      }),
    ).toEqual(OPEN_SCOPE);
  });

  it('reads the family, the allow-lists, the roles and the place of the production listener', () => {
    expect(
      readWorkloadScope({
        TASK_DEFINITION_FAMILY: 'web',
        ALLOWED_SUBNET_IDS: 'subnet-0aaa, subnet-0bbb',
        ALLOWED_SECURITY_GROUP_IDS: 'sg-0ccc',
        ALLOW_PUBLIC_IP: 'false',
        TASK_ROLE_ARN: TASK_ROLE,
        TASK_EXECUTION_ROLE_ARN: EXECUTION,
        PRODUCTION_LISTENER_ARN: LISTENER,
      }),
    ).toEqual({
      family: 'web',
      subnets: ['subnet-0aaa', 'subnet-0bbb'],
      securityGroups: ['sg-0ccc'],
      allowPublicIp: false,
      taskRoleArn: TASK_ROLE,
      executionRoleArn: EXECUTION,
      place: { region: 'eu-west-1', account: '111122223333' },
    });
  });

  it.each([
    [
      { TASK_DEFINITION_FAMILY: 'web:3' },
      /TaskDefinitionFamily is "web:3": expected a task definition family/,
    ],
    [{ ALLOWED_SUBNET_IDS: 'subnet-0aaa,sg-0bbb' }, /AllowedSubnetIds holds "sg-0bbb": expected subnet ids/],
    [{ ALLOWED_SECURITY_GROUP_IDS: 'default' }, /AllowedSecurityGroupIds holds "default": expected sg ids/],
    [{ ALLOW_PUBLIC_IP: 'yes' }, /AllowPublicIp is "yes": expected "true" or "false"/],
  ])('refuses a bad stack parameter %j, naming it', (env, message) => {
    expect(() => readWorkloadScope(env)).toThrow(ConfigurationError);
    expect(() => readWorkloadScope(env)).toThrow(message);
  });
});

describe('checkFamily', () => {
  it('lets any family through when the stack names none, and its own when it does', () => {
    expect(() => checkFamily('anything', 'taskdef.json', OPEN_SCOPE)).not.toThrow();
    expect(() => checkFamily('web', 'taskdef.json', scope({ family: 'web' }))).not.toThrow();
  });

  it('refuses another family, naming the file, the field, both values and the fix', () => {
    const check = () => checkFamily('payments', 'deploy/taskdef.json', scope({ family: 'web' }));
    expect(check).toThrow(InvalidInputError);
    expect(check).toThrow(
      'deploy/taskdef.json: "family" is "payments", but this stack deploys task definition family "web" ' +
        '(stack parameter TaskDefinitionFamily): set "family": "web" in deploy/taskdef.json, or change ' +
        'TaskDefinitionFamily if the service is meant to run another family',
    );
  });
});

describe('the network an AppSpec may name', () => {
  const parse = (awsvpc: string, allowed: Partial<WorkloadScope>) =>
    parseAppSpec(appspec(awsvpc), 'appspec.yaml', TASK_DEFINITION, scope(allowed));
  const WHERE =
    'appspec.yaml: Resources[0].TargetService.Properties.NetworkConfiguration.AwsvpcConfiguration';

  it('takes any network when the lists are empty and public IPs allowed (CodeDeploy)', () => {
    const parsed = parse('Subnets: [subnet-0zzz]\nSecurityGroups: [sg-0yyy]\nAssignPublicIp: ENABLED', {});
    expect(parsed.networkConfiguration).toEqual({
      awsvpcConfiguration: {
        subnets: ['subnet-0zzz'],
        securityGroups: ['sg-0yyy'],
        assignPublicIp: 'ENABLED',
      },
    });
  });

  it('takes a network inside the allow-lists', () => {
    const parsed = parse('Subnets: [subnet-0bbb]\nSecurityGroups: [sg-0ccc]\nAssignPublicIp: DISABLED', {
      subnets: ['subnet-0aaa', 'subnet-0bbb'],
      securityGroups: ['sg-0ccc'],
      allowPublicIp: false,
    });
    expect(parsed.networkConfiguration?.awsvpcConfiguration).toEqual({
      subnets: ['subnet-0bbb'],
      securityGroups: ['sg-0ccc'],
      assignPublicIp: 'DISABLED',
    });
  });

  it.each([
    [
      'a subnet outside AllowedSubnetIds',
      'Subnets: [subnet-0aaa, subnet-0bad]',
      { subnets: ['subnet-0aaa'] },
      `${WHERE}.Subnets[1] is "subnet-0bad", which stack parameter AllowedSubnetIds does not allow (allowed: subnet-0aaa): use only those, or add it to AllowedSubnetIds`,
    ],
    [
      'a security group outside AllowedSecurityGroupIds',
      'Subnets: [subnet-0aaa]\nSecurityGroups: [sg-0bad]',
      { securityGroups: ['sg-0ccc', 'sg-0ddd'] },
      `${WHERE}.SecurityGroups[0] is "sg-0bad", which stack parameter AllowedSecurityGroupIds does not allow (allowed: sg-0ccc, sg-0ddd): use only those, or add it to AllowedSecurityGroupIds`,
    ],
    [
      'no security group (the VPC default) when AllowedSecurityGroupIds is set',
      'Subnets: [subnet-0aaa]',
      { securityGroups: ['sg-0ccc'] },
      `${WHERE}.SecurityGroups is missing, so ECS would use the VPC's default security group, which stack parameter AllowedSecurityGroupIds does not allow (allowed: sg-0ccc): name them in SecurityGroups`,
    ],
    [
      'a public IP when AllowPublicIp is false',
      'Subnets: [subnet-0aaa]\nAssignPublicIp: enabled',
      { allowPublicIp: false },
      `${WHERE}.AssignPublicIp is ENABLED, but stack parameter AllowPublicIp is "false": write AssignPublicIp: DISABLED (or leave it out), or set AllowPublicIp to "true"`,
    ],
  ])(
    'refuses %s, naming appspec.yaml, the field, the value and the allowed ones',
    (_name, awsvpc, allowed, message) => {
      expect(() => parse(awsvpc, allowed)).toThrow(InvalidInputError);
      expect(() => parse(awsvpc, allowed)).toThrow(message);
    },
  );

  it('leaves an AppSpec without NetworkConfiguration alone (the network then comes from the stack or blue)', () => {
    const text = appspec('Subnets: [subnet-0aaa]').replace(/ {8}NetworkConfiguration:[\s\S]*$/, '');
    expect(
      parseAppSpec(
        text,
        'appspec.yaml',
        TASK_DEFINITION,
        scope({ subnets: ['subnet-0ccc'], allowPublicIp: false }),
      ).networkConfiguration,
    ).toBeUndefined();
  });
});

describe('a revision to redeploy', () => {
  const ARN = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/web:7';
  const place = { region: 'eu-west-1', account: '111122223333' };

  it('may be any revision of the stack account and Region, of its family when it names one', () => {
    expect(() => checkRedeployArn(ARN, { family: '', place }, '--to')).not.toThrow();
    expect(() => checkRedeployArn(ARN, { family: 'web', place }, '--to')).not.toThrow();
    expect(() =>
      checkRedeployArn(ARN.replace('eu-west-1', 'us-east-1'), { family: '' }, '--to'),
    ).not.toThrow();
  });

  it.each([
    [
      'another account',
      ARN.replace('111122223333', '444455556666'),
      '',
      'taskDefinitionArn arn:aws:ecs:eu-west-1:444455556666:task-definition/web:7 is in account 444455556666, Region eu-west-1; this stack deploys to account 111122223333, Region eu-west-1 (its ProductionListenerArn): name a revision registered there',
    ],
    [
      'another Region',
      ARN.replace('eu-west-1', 'us-east-1'),
      '',
      'taskDefinitionArn arn:aws:ecs:us-east-1:111122223333:task-definition/web:7 is in account 111122223333, Region us-east-1; this stack deploys to account 111122223333, Region eu-west-1 (its ProductionListenerArn): name a revision registered there',
    ],
    [
      'another family',
      ARN.replace('/web:', '/payments:'),
      'web',
      'taskDefinitionArn arn:aws:ecs:eu-west-1:111122223333:task-definition/payments:7 is a revision of family "payments"; this stack deploys family "web" (stack parameter TaskDefinitionFamily): name a revision of "web" (switchyard history lists them)',
    ],
  ])('refuses a revision of %s', (_name, arn, family, message) => {
    expect(() => checkRedeployArn(arn, { family, place }, 'taskDefinitionArn')).toThrow(InvalidInputError);
    expect(() => checkRedeployArn(arn, { family, place }, 'taskDefinitionArn')).toThrow(message);
  });

  it('refuses what is not a task definition ARN', () => {
    expect(() => checkRedeployArn('web:7', { family: '' }, '--to')).toThrow(
      '--to "web:7" is not a task definition ARN: arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>',
    );
  });

  it("may name the stack's roles (by ARN or name), or none", () => {
    const stack = { taskRoleArn: TASK_ROLE, executionRoleArn: EXECUTION };
    expect(() =>
      checkRedeployRoles(ARN, { taskRoleArn: TASK_ROLE, executionRoleArn: EXECUTION }, stack),
    ).not.toThrow();
    expect(() =>
      checkRedeployRoles(ARN, { taskRoleArn: 'web-task', executionRoleArn: 'web-execution' }, stack),
    ).not.toThrow();
    expect(() => checkRedeployRoles(ARN, {}, stack)).not.toThrow();
  });

  it('refuses a role the stack does not pass, naming the field, the role and the parameter', () => {
    const stack = { taskRoleArn: '', executionRoleArn: EXECUTION };
    expect(() => checkRedeployRoles(ARN, { taskRoleArn: TASK_ROLE }, stack)).toThrow(
      `task definition ${ARN} names taskRoleArn ${TASK_ROLE}, but this stack passes no role there (stack parameter TaskRoleArn): redeploy a revision registered with the stack's roles`,
    );
    const admin = 'arn:aws:iam::111122223333:role/admin';
    expect(() => checkRedeployRoles(ARN, { executionRoleArn: admin }, stack)).toThrow(
      `task definition ${ARN} names executionRoleArn ${admin}, but this stack passes only ${EXECUTION} there (stack parameter TaskExecutionRoleArn): redeploy a revision registered with the stack's roles`,
    );
  });
});
