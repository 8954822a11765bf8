/**
 * template.yaml: what cfn-lint cannot see. cfn-lint checks resources and properties, but not the ASL behind
 * DefinitionUri, the substitution keys, the esbuild Metadata or how narrow the IAM statements are.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { GRANTS, SETTINGS } from '../../functions/lib/shared/settings';

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: { BuildMethod?: string; BuildProperties?: Record<string, unknown> };
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
interface Template {
  Parameters: Record<string, { Type: string; Default?: unknown }>;
  Globals: { Function: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } } };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}
interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: Asl[];
  ItemProcessor?: Asl;
  Iterator?: Asl;
}
interface Asl {
  States: Record<string, AslState>;
}
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

const ROOT = resolve(__dirname, '../..');
const TEMPLATE = join(ROOT, 'template.yaml');
const HELPER = join(ROOT, 'test/support/cfn_template.py');
const validateAsl = require('asl-validator') as AslValidator;

function run(command: string, args: string[]) {
  const out = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error)
    throw new Error(`${command} could not start (${out.error.message}); see .ci/run for the install`);
  return out;
}

function readTemplate(mode: 'decode' | 'transform'): Template {
  const out = run('python3', [HELPER, mode, TEMPLATE]);
  if (out.status !== 0) throw new Error(`cfn_template.py ${mode} failed:\n${out.stderr}`);
  return JSON.parse(out.stdout) as Template;
}

function resourceOf(t: Template, id: string): Resource {
  const found = t.Resources[id];
  if (!found) throw new Error(`the template has no resource ${id}`);
  return found;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

const template = readTemplate('decode');
const resourcesOfType = (t: Template, type: string) =>
  Object.entries(t.Resources).filter(([, resource]) => resource.Type === type);
const functions = resourcesOfType(template, 'AWS::Serverless::Function');
const stateMachine = resourceOf(template, 'PipelineStateMachine');
const definitionUri = stateMachine.Properties.DefinitionUri as string;
const aslText = readFileSync(join(ROOT, definitionUri), 'utf8');
const substitutions = stateMachine.Properties.DefinitionSubstitutions as Record<string, unknown>;

describe('cfn-lint', () => {
  it('prints nothing for template.yaml', () => {
    const out = run('cfn-lint', [TEMPLATE]);
    expect({ status: out.status, output: out.stdout + out.stderr }).toEqual({ status: 0, output: '' });
  });
});

describe('the stack parameters', () => {
  it('names every existing thing DESIGN.md lists, and the build and log settings', () => {
    expect(Object.keys(template.Parameters).sort()).toEqual(
      [
        'RepositoryName',
        'BranchName',
        'ClusterName',
        'ServiceName',
        'ProductionListenerArn',
        'TestListenerArn',
        'TargetGroupAArn',
        'TargetGroupBArn',
        'EcrRepositoryName',
        'TrafficStrategy',
        'TerminationWaitMinutes',
        'GreenHealthTimeoutMinutes',
        'AlarmNames',
        'ExecutionMode',
        'HookFunctionPrefix',
        'TaskSubnetIds',
        'TaskSecurityGroupIds',
        'TaskRoleArn',
        'TaskExecutionRoleArn',
        'BuildComputeType',
        'BuildImage',
        'BuildPollSeconds',
        'BuildTimeoutMinutes',
        'LogRetentionDays',
        'BuildspecPath',
        'TaskDefinitionTemplatePath',
        'TaskDefinitionTemplateArtifact',
        'AppSpecTemplatePath',
        'AppSpecTemplateArtifact',
        'ImagePlaceholders',
        'BuildEnvironmentVariables',
        'BuildParameterStoreArns',
        'BuildSecretsManagerArns',
      ].sort(),
    );
    expect(template.Parameters).toMatchObject({
      BranchName: { Default: 'main' },
      TestListenerArn: { Default: '' },
      TrafficStrategy: { Default: 'CodeDeployDefault.ECSAllAtOnce' },
      AlarmNames: { Type: 'CommaDelimitedList', Default: '' },
      ExecutionMode: { Default: 'SUPERSEDED', AllowedValues: ['SUPERSEDED', 'QUEUED'] },
    });
  });

  it('defaults the repository settings to what CodePipeline assumes, and gives each its environment variable', () => {
    const defaults = Object.fromEntries(
      Object.values(SETTINGS).map((setting) => [
        setting.parameter,
        template.Parameters[setting.parameter]?.Default,
      ]),
    );
    expect(defaults).toEqual(
      Object.fromEntries(Object.values(SETTINGS).map((setting) => [setting.parameter, setting.fallback])),
    );
    const variables = template.Globals.Function.Environment.Variables;
    for (const setting of [...Object.values(SETTINGS), ...Object.values(GRANTS)])
      expect(variables[setting.env]).toBeDefined();
  });

  it('reach every function as environment variables', () => {
    const variables = template.Globals.Function.Environment.Variables;
    expect(variables).toMatchObject({
      REPOSITORY_NAME: { Ref: 'RepositoryName' },
      BRANCH_NAME: { Ref: 'BranchName' },
      CLUSTER_NAME: { Ref: 'ClusterName' },
      SERVICE_NAME: { Ref: 'ServiceName' },
      PRODUCTION_LISTENER_ARN: { Ref: 'ProductionListenerArn' },
      TEST_LISTENER_ARN: { Ref: 'TestListenerArn' },
      TARGET_GROUP_A_ARN: { Ref: 'TargetGroupAArn' },
      TARGET_GROUP_B_ARN: { Ref: 'TargetGroupBArn' },
      ECR_REPOSITORY_NAME: { Ref: 'EcrRepositoryName' },
      TRAFFIC_STRATEGY: { Ref: 'TrafficStrategy' },
      TERMINATION_WAIT_MINUTES: { Ref: 'TerminationWaitMinutes' },
      GREEN_HEALTH_TIMEOUT_MINUTES: { Ref: 'GreenHealthTimeoutMinutes' },
      ALARM_NAMES: { 'Fn::Join': [',', { Ref: 'AlarmNames' }] },
      EXECUTION_MODE: { Ref: 'ExecutionMode' },
      TABLE_NAME: { Ref: 'DeploymentsTable' },
      ARTIFACT_BUCKET: { Ref: 'ArtifactBucket' },
    });
    for (const [, fn] of functions) expect(fn.Properties.Environment).toBeUndefined();
  });
});

describe('the state machine definition', () => {
  const placeholders = new Set([...aslText.matchAll(/\$\{([^}]+)\}/g)].map((match) => match[1]));

  it('has exactly one DefinitionSubstitutions key per placeholder of the ASL', () => {
    expect(Object.keys(substitutions).sort()).toEqual([...placeholders].sort());
  });

  it('substitutes each placeholder with the ARN of a function of the template, named after it', () => {
    const functionIds = functions.map(([id]) => id);
    for (const [key, value] of Object.entries(substitutions)) {
      const functionId = key.replace(/Arn$/, '');
      expect(functionIds).toContain(functionId);
      expect(value).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    }
  });

  it('is valid ASL once the placeholders are ARNs, and every Task runs one of those functions', () => {
    const arnOf = (key: string) =>
      `arn:aws:lambda:us-east-1:123456789012:function:switchyard-${key.replace(/Arn$/, '')}`;
    const substituted = aslText.replace(/\$\{([^}]+)\}/g, (_match, key: string) => arnOf(key));
    const definition = JSON.parse(substituted) as Asl;
    const result = validateAsl(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);

    const tasks: [string, AslState][] = [];
    const collect = (asl: Asl) => {
      for (const [name, state] of Object.entries(asl.States)) {
        if (state.Type === 'Task') tasks.push([name, state]);
        for (const nested of [...(state.Branches ?? []), state.ItemProcessor, state.Iterator]) {
          if (nested) collect(nested);
        }
      }
    };
    collect(definition);
    const functionArns = Object.keys(substitutions).map(arnOf);
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, task] of tasks) {
      const target = task.Resource?.startsWith('arn:aws:states:::lambda:invoke')
        ? task.Parameters?.FunctionName
        : task.Resource;
      // The state name is in the message when a Task calls something the template does not define.
      expect({ state: name, known: functionArns.includes(String(target)) }).toEqual({
        state: name,
        known: true,
      });
    }
  });

  it('may invoke exactly the functions it is given, and nothing else', () => {
    const policies = stateMachine.Properties.Policies as { Statement: Statement[] }[];
    const invoke = policies
      .flatMap((policy) => policy.Statement)
      .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(invoke[0]?.Resource).toEqual(Object.values(substitutions));
  });

  it('logs every event without execution data to a log group with retention', () => {
    expect(stateMachine.Properties.Logging).toEqual({
      Level: 'ALL',
      IncludeExecutionData: false,
      Destinations: [
        { CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['PipelineLogGroup', 'Arn'] } } },
      ],
    });
    expect(resourceOf(template, 'PipelineLogGroup').Properties.RetentionInDays).toEqual({
      Ref: 'LogRetentionDays',
    });
  });
});

describe('the functions', () => {
  const kebab = (id: string) =>
    id
      .replace(/Function$/, '')
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .toLowerCase();

  it.each(functions)('%s is bundled by esbuild from functions/<step>/handler.ts', (id, fn) => {
    expect(fn.Metadata?.BuildMethod).toBe('esbuild');
    const entryPoints = fn.Metadata?.BuildProperties?.EntryPoints as string[];
    expect(entryPoints).toEqual([`functions/${kebab(id)}/handler.ts`]);
    expect(existsSync(join(ROOT, entryPoints[0] ?? ''))).toBe(true);
    expect(fn.Properties).toMatchObject({
      CodeUri: '.',
      Handler: `${basename(entryPoints[0] ?? '', '.ts')}.handler`,
    });
  });

  it.each(functions)('%s has a sample input in events/<step>.json for sam local invoke', (id) => {
    expect(existsSync(join(ROOT, 'events', `${kebab(id)}.json`))).toBe(true);
  });

  it('share the same esbuild settings apart from the entry point', () => {
    const settings = functions.map(([, fn]) => {
      const { EntryPoints: _entry, ...rest } = fn.Metadata?.BuildProperties ?? {};
      return rest;
    });
    expect(settings[0]).toEqual({ Format: 'cjs', Minify: true, Target: 'es2022', Sourcemap: true });
    for (const each of settings) expect(each).toEqual(settings[0]);
  });

  it.each(functions)('%s logs to its own log group with the stack retention', (_id, fn) => {
    const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(template.Resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: { Ref: 'LogRetentionDays' } },
    });
  });

  it('are listed in pipeline order, after the state machine', () => {
    const order = Object.keys(template.Resources).filter((id) =>
      template.Resources[id]?.Type.startsWith('AWS::Serverless::'),
    );
    expect(order).toEqual([
      'PipelineStateMachine',
      'PrepareFunction',
      'ArchiveSourceFunction',
      'StartBuildFunction',
      'CheckBuildFunction',
      'RenderTaskDefinitionFunction',
      'AcquireLockFunction',
      'RunHooksFunction',
      'CreateGreenFunction',
      'CheckGreenFunction',
      'AllowTestTrafficFunction',
      'ShiftTrafficFunction',
      'CheckPauseFunction',
      'FinalizeFunction',
      'RollbackFunction',
      'RecordResultFunction',
      'CleanUpFunction',
    ]);
  });
});

describe('the storage', () => {
  it('keeps the artifact bucket private, encrypted, versioned, TLS-only and cleaned up', () => {
    expect(template.Resources.ArtifactBucket).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
      },
    });
    const rules = (
      resourceOf(template, 'ArtifactBucket').Properties.LifecycleConfiguration as { Rules: object[] }
    ).Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'source/', ExpirationInDays: expect.any(Number) }),
        expect.objectContaining({
          NoncurrentVersionExpiration: { NoncurrentDays: expect.any(Number) },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: expect.any(Number) },
        }),
      ]),
    );
    expect(resourceOf(template, 'ArtifactBucketPolicy').Properties.PolicyDocument).toMatchObject({
      Statement: [
        {
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          Resource: [{ 'Fn::GetAtt': ['ArtifactBucket', 'Arn'] }, { 'Fn::Sub': '${ArtifactBucket.Arn}/*' }],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
  });

  it('keeps the deployments table on demand, recoverable, encrypted, with pk/sk and TTL, across deletes', () => {
    expect(template.Resources.DeploymentsTable).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });

  it('outputs what the CLI needs to find the stack parts', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual(
      [
        'ArtifactBucketName',
        'BuildProjectName',
        'DeploymentsTableName',
        'StateMachineArn',
        'TriggerRuleName',
      ].sort(),
    );
  });
});

describe('the SAM transform', () => {
  const transformed = readTemplate('transform');
  const lambdas = resourcesOfType(transformed, 'AWS::Lambda::Function');
  const roles = resourcesOfType(transformed, 'AWS::IAM::Role');

  it('succeeds offline and its output passes cfn-lint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-template-'));
    try {
      const file = join(dir, 'transformed.json');
      writeFileSync(file, JSON.stringify(transformed));
      const out = run('cfn-lint', [file]);
      expect({ status: out.status, output: out.stdout + out.stderr }).toEqual({ status: 0, output: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes arm64 nodejs22.x functions', () => {
    expect(lambdas.map(([id]) => id)).toEqual(functions.map(([id]) => id));
    for (const [, fn] of lambdas) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'] });
    }
  });

  it('makes one rule for pushes to the branch of the repository, with retries and a dead-letter queue', () => {
    const rules = resourcesOfType(transformed, 'AWS::Events::Rule');
    expect(rules.map(([id]) => id).sort()).toEqual([
      'CleanUpFunctionExecutionEnded',
      'PipelineStateMachineCodeCommitPush',
    ]);
    const rule = resourceOf(transformed, 'PipelineStateMachineCodeCommitPush');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Repository State Change'],
      resources: [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
        { 'Fn::Sub': 'arn:${AWS::Partition}:codecommit:${AWS::Region}:${AWS::AccountId}:${RepositoryName}' },
      ],
      detail: {
        event: ['referenceCreated', 'referenceUpdated'],
        referenceType: ['branch'],
        referenceName: [{ Ref: 'BranchName' }],
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { Ref: 'PipelineStateMachine' },
        RetryPolicy: expect.any(Object),
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['TriggerDeadLetterQueue', 'Arn'] } },
      }),
    ]);
    expect(resourceOf(transformed, 'TriggerDeadLetterQueue').Properties.SqsManagedSseEnabled).toBe(true);
  });

  it('calls CleanUp when an execution of this state machine is aborted, times out or fails', () => {
    const rule = resourceOf(transformed, 'CleanUpFunctionExecutionEnded');
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        stateMachineArn: [{ Ref: 'PipelineStateMachine' }],
      },
    });
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': ['CleanUpFunction', 'Arn'] },
        RetryPolicy: expect.any(Object),
      }),
    ]);
  });

  it('grants no wildcard action, and a wildcard resource only where AWS offers no resource-level permission', () => {
    // Each is documented in template.yaml: AWS offers no resource-level permission for these actions. All are
    // read-only, but for the log delivery setup, the ECR login token and registering a task definition.
    const allowed = new Set([
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      'ecr:GetAuthorizationToken',
      'ecs:RegisterTaskDefinition',
      'ecs:ListTaskDefinitions',
      'ecs:DescribeTaskDefinition',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);

    // A statement under Fn::If (e.g. only with a test listener) is checked in each of its branches.
    const branches = (statement: Statement | { 'Fn::If': [string, ...unknown[]] }): Statement[] =>
      'Fn::If' in statement
        ? (statement['Fn::If']
            .slice(1)
            .filter((s) => (s as { Ref?: string }).Ref !== 'AWS::NoValue') as Statement[])
        : [statement];
    const statements = roles.flatMap(([role, resource]) =>
      ((resource.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) =>
          policy.PolicyDocument.Statement.flatMap(branches).map((statement) => ({ role, ...statement })),
      ),
    );
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      for (const action of asArray(statement.Action)) expect(action).not.toContain('*');
      if (asArray(statement.Resource).includes('*')) {
        for (const action of asArray(statement.Action)) {
          expect({
            role: statement.role,
            Sid: statement.Sid,
            action,
            allowed: allowed.has(action),
          }).toMatchObject({
            allowed: true,
          });
        }
      }
    }
  });

  it('attaches no managed policy but the Lambda basic execution role', () => {
    for (const [id, role] of roles) {
      const expected = id.endsWith('FunctionRole')
        ? ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']
        : [];
      expect({ id, managed: role.Properties.ManagedPolicyArns ?? [] }).toEqual({ id, managed: expected });
    }
  });

  it('keeps the esbuild Metadata that sam build reads', () => {
    for (const [id, fn] of lambdas) expect(fn.Metadata).toEqual(template.Resources[id]?.Metadata);
    expect(dirname(definitionUri)).toBe('statemachine');
  });
});
