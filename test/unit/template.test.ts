/**
 * template.yaml: what cfn-lint cannot see. cfn-lint checks resources and properties, but not the ASL behind
 * DefinitionUri, the substitution keys or the esbuild Metadata. What the roles allow is checked by
 * template-iam.test.ts (against the code's calls) and template-security.test.ts (the stack's security rules).
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { GRANTS, SETTINGS } from '../../functions/lib/shared/settings';
import {
  asArray,
  ROOT,
  readTemplate,
  resourceOf,
  resourcesOfType,
  run,
  type Statement,
  TEMPLATE,
} from '../support/sam-template';

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

const validateAsl = require('asl-validator') as AslValidator;

const template = readTemplate('decode');
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
  it('names every existing thing a team brings (README: the required parameters), and the build and log settings', () => {
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
        'PinImageDigests',
        'TrafficStrategy',
        'TerminationWaitMinutes',
        'ManualPauseTimeoutMinutes',
        'GreenHealthTimeoutMinutes',
        'AlarmNames',
        'ExecutionMode',
        'HookFunctionPrefix',
        'HookTimeoutSeconds',
        'TaskSubnetIds',
        'TaskSecurityGroupIds',
        'TaskRoleArn',
        'TaskExecutionRoleArn',
        'TaskDefinitionFamily',
        'AllowedSubnetIds',
        'AllowedSecurityGroupIds',
        'AllowPublicIp',
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
        'TracingEnabled',
        'ReconcileIntervalMinutes',
        'EventBusName',
      ].sort(),
    );
    expect(template.Parameters).toMatchObject({
      BranchName: { Default: 'main' },
      TestListenerArn: { Default: '' },
      TrafficStrategy: { Default: 'CodeDeployDefault.ECSAllAtOnce' },
      AlarmNames: { Type: 'CommaDelimitedList', Default: '' },
      ExecutionMode: { Default: 'SUPERSEDED', AllowedValues: ['SUPERSEDED', 'QUEUED'] },
      TracingEnabled: { Default: 'false', AllowedValues: ['false', 'true'] },
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
      MANUAL_PAUSE_TIMEOUT_MINUTES: { Ref: 'ManualPauseTimeoutMinutes' },
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
      // WaitForBuild: Step Functions waits for the stack's build project itself (codebuild:startBuild.sync).
      if (task.Resource === 'arn:aws:states:::codebuild:startBuild.sync') continue;
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
    // MainFields and External: test/unit/bundles.test.ts.
    expect(settings[0]).toMatchObject({ Format: 'cjs', Minify: true, Target: 'es2022', Sourcemap: true });
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
      'WakePauseFunction',
      'FinalizeFunction',
      'RollbackFunction',
      'RecordResultFunction',
      'CleanUpFunction',
      'ReconcileFunction',
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

  it('keeps the deployments table on demand, recoverable, encrypted, with pk/sk and TTL, across deletes and protected from them', () => {
    expect(template.Resources.DeploymentsTable).toMatchObject({
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
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
      'WakePauseFunctionAlarmEvent',
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

  it('keeps the esbuild Metadata that sam build reads', () => {
    for (const [id, fn] of lambdas) expect(fn.Metadata).toEqual(template.Resources[id]?.Metadata);
    expect(dirname(definitionUri)).toBe('statemachine');
  });
});
