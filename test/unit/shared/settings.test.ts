import { ConfigurationError } from '../../../functions/lib/shared/errors';
import {
  checkVariableGrants,
  parseBuildVariables,
  parseImageBindings,
  readSettings,
} from '../../../functions/lib/shared/settings';

describe('readSettings', () => {
  it("gives CodePipeline's defaults when the stack sets nothing", () => {
    expect(readSettings({})).toEqual({
      buildspecPath: 'buildspec.yml',
      taskDefinition: { path: 'taskdef.json', origin: 'SOURCE' },
      appSpec: { path: 'appspec.yaml', origin: 'SOURCE' },
      images: [{ placeholder: 'IMAGE1_NAME', file: 'imageDetail.json' }],
      buildVariables: [],
    });
  });

  it('reads files at any path, from the source or the build output', () => {
    expect(
      readSettings({
        BUILDSPEC_PATH: 'codedeploy/buildspec.yml',
        TASK_DEFINITION_TEMPLATE_PATH: 'deploy/taskdef-prod.json',
        TASK_DEFINITION_TEMPLATE_ARTIFACT: 'BUILD',
        APPSPEC_TEMPLATE_PATH: 'deploy/appspec.yml',
        APPSPEC_TEMPLATE_ARTIFACT: 'BUILD',
        IMAGE_PLACEHOLDERS: 'IMAGE_NAME=imageDetail.json, <SIDECAR>=sidecar/imageDetail.json',
      }),
    ).toMatchObject({
      buildspecPath: 'codedeploy/buildspec.yml',
      taskDefinition: { path: 'deploy/taskdef-prod.json', origin: 'BUILD' },
      appSpec: { path: 'deploy/appspec.yml', origin: 'BUILD' },
      images: [
        { placeholder: 'IMAGE_NAME', file: 'imageDetail.json' },
        { placeholder: 'SIDECAR', file: 'sidecar/imageDetail.json' },
      ],
    });
  });

  it.each([
    [
      { BUILDSPEC_PATH: '/abs/buildspec.yml' },
      /BuildspecPath is "\/abs\/buildspec.yml": give a path relative/,
    ],
    [{ BUILDSPEC_PATH: 'build.json' }, /BuildspecPath .*a buildspec is a YAML file/],
    [
      { TASK_DEFINITION_TEMPLATE_PATH: '../taskdef.json' },
      /TaskDefinitionTemplatePath .*no empty, "\." or "\.\." parts/,
    ],
    [{ APPSPEC_TEMPLATE_PATH: '.git/config' }, /AppSpecTemplatePath .*inside \.git/],
    [
      { TASK_DEFINITION_TEMPLATE_ARTIFACT: 'BuildArtifact' },
      /TaskDefinitionTemplateArtifact .*use SOURCE .* or BUILD/,
    ],
    [{ APPSPEC_TEMPLATE_ARTIFACT: '' }, /AppSpecTemplateArtifact is "": use SOURCE/],
    [{ IMAGE_PLACEHOLDERS: 'IMAGE1_NAME' }, /ImagePlaceholders .*not NAME=FILE/],
    [{ IMAGE_PLACEHOLDERS: 'A=a.json,B=b.json,C=c.json,D=d.json,E=e.json' }, /ImagePlaceholders .*at most 4/],
    [{ IMAGE_PLACEHOLDERS: 'A=a.json,A=b.json' }, /placeholder A is bound twice/],
    [{ IMAGE_PLACEHOLDERS: 'A=/tmp/x.json' }, /the file of A: give a path relative/],
    [{ BUILD_ENVIRONMENT_VARIABLES: '{"name": "A"}' }, /BuildEnvironmentVariables .*give a JSON list/],
    [{ BUILD_ENVIRONMENT_VARIABLES: '[{"name": "A", "value": 1}]' }, /item 0 \(A\): value must be a string/],
    [{ BUILD_ENVIRONMENT_VARIABLES: '[{"name": "CODEBUILD_X", "value": "1"}]' }, /CODEBUILD_ prefix/],
    [
      { BUILD_ENVIRONMENT_VARIABLES: '[{"name": "A", "value": "x", "type": "SSM"}]' },
      /type must be one of PLAINTEXT/,
    ],
    [
      { BUILD_ENVIRONMENT_VARIABLES: '[{"name": "A", "value": "x", "Type": "PLAINTEXT"}]' },
      /unknown key\(s\) Type/,
    ],
    [{ BUILD_ENVIRONMENT_VARIABLES: '[1' }, /BuildEnvironmentVariables .*not JSON/],
  ])('refuses %j, naming the stack parameter and the fix', (env, message) => {
    expect(() => readSettings(env)).toThrow(ConfigurationError);
    expect(() => readSettings(env)).toThrow(message);
  });
});

describe('parseImageBindings and parseBuildVariables', () => {
  it('allows no binding at all (a task definition whose images are written in full)', () => {
    expect(parseImageBindings('')).toEqual([]);
  });

  it("keeps CodeBuild's three variable types, PLAINTEXT by default", () => {
    expect(
      parseBuildVariables(
        '[{"name":"IMAGE_TAG","value":"latest"},{"name":"TOKEN","value":"/app/token","type":"PARAMETER_STORE"},' +
          '{"name":"DB","value":"prod/db:password","type":"SECRETS_MANAGER"}]',
      ),
    ).toEqual([
      { name: 'IMAGE_TAG', value: 'latest', type: 'PLAINTEXT' },
      { name: 'TOKEN', value: '/app/token', type: 'PARAMETER_STORE' },
      { name: 'DB', value: 'prod/db:password', type: 'SECRETS_MANAGER' },
    ]);
  });
});

describe('checkVariableGrants', () => {
  const variables = parseBuildVariables(
    '[{"name":"TOKEN","value":"/app/token","type":"PARAMETER_STORE"},' +
      '{"name":"DB","value":"prod/db:password","type":"SECRETS_MANAGER"},{"name":"TAG","value":"x"}]',
  );

  it('passes when the stack grants every parameter and secret the variables read', () => {
    expect(() =>
      checkVariableGrants(variables, {
        BUILD_PARAMETER_STORE_ARNS: 'arn:aws:ssm:us-east-1:111122223333:parameter/app/*',
        BUILD_SECRETS_MANAGER_ARNS: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-*',
      }),
    ).not.toThrow();
  });

  it('refuses a parameter the stack does not grant, with the ARN to add', () => {
    expect(() =>
      checkVariableGrants(variables, {
        BUILD_PARAMETER_STORE_ARNS: 'arn:aws:ssm:us-east-1:111122223333:parameter/other/*',
        BUILD_SECRETS_MANAGER_ARNS: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-*',
      }),
    ).toThrow(
      /TOKEN reads the SSM parameter \/app\/token, which stack parameter BuildParameterStoreArns does not grant: add its ARN \(arn:aws:ssm:<region>:<account>:parameter\/app\/token\)/,
    );
  });

  it('refuses a secret the stack does not grant', () => {
    expect(() =>
      checkVariableGrants(variables, {
        BUILD_PARAMETER_STORE_ARNS: 'arn:aws:ssm:us-east-1:111122223333:parameter/app/token',
      }),
    ).toThrow(/DB reads the secret prod\/db, which stack parameter BuildSecretsManagerArns does not grant/);
  });
});
