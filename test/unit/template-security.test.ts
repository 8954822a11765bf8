/**
 * The stack's security rules, checked on what CloudFormation deploys: template.yaml after the SAM transform.
 * No Allow with a wildcard action; a `*` resource only for actions AWS authorizes on nothing narrower; a role
 * passed only to a named service; functions that log only to their own log group; buckets and queues private
 * and TLS-only; a table protected from deletion; execution data kept out of the logs. docs/SECURITY.md says
 * why each holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  asArray,
  branches,
  type PlacedStatement,
  type Resource,
  ROOT,
  readTemplate,
  referencedId,
  resourceOf,
  resourcesOfType,
  roleStatements,
  type Statement,
  statementsOf,
} from '../support/sam-template';

const t = readTemplate('transform');
const roles = resourcesOfType(t, 'AWS::IAM::Role');
const lambdas = resourcesOfType(t, 'AWS::Lambda::Function');

/** Every identity-policy statement of the stack, wherever it is attached. */
const statements: PlacedStatement[] = [
  ...roles.flatMap(([id]) => roleStatements(t, id).statements),
  ...resourcesOfType(t, 'AWS::IAM::ManagedPolicy').flatMap(([id, p]) =>
    statementsOf(p.Properties.PolicyDocument, id),
  ),
];
const allows = statements.filter((s) => s.Effect === 'Allow');

/** The Allow statements of the stack's resource policies (the bucket's, the queue's). */
const resourcePolicyAllows: PlacedStatement[] = [
  ...resourcesOfType(t, 'AWS::S3::BucketPolicy'),
  ...resourcesOfType(t, 'AWS::SQS::QueuePolicy'),
].flatMap(([id, policy]) =>
  statementsOf(policy.Properties.PolicyDocument, id).filter((s) => s.Effect === 'Allow'),
);

/**
 * The actions granted on `*`, each because AWS authorizes it on no narrower resource (or, for DescribeAlarms,
 * answers a narrower grant with less). Each is commented where template.yaml grants it.
 */
const WILDCARD_RESOURCE: Record<string, string> = {
  'logs:CreateLogDelivery': 'Step Functions log delivery: no resource-level permission',
  'logs:GetLogDelivery': 'Step Functions log delivery: no resource-level permission',
  'logs:UpdateLogDelivery': 'Step Functions log delivery: no resource-level permission',
  'logs:DeleteLogDelivery': 'Step Functions log delivery: no resource-level permission',
  'logs:ListLogDeliveries': 'Step Functions log delivery: no resource-level permission',
  'logs:PutResourcePolicy': 'Step Functions log delivery: no resource-level permission',
  'logs:DescribeResourcePolicies': 'Step Functions log delivery: no resource-level permission',
  'logs:DescribeLogGroups': 'Step Functions log delivery: no resource-level permission',
  'ecr:GetAuthorizationToken': 'the ECR login token is not tied to a repository',
  'ecs:RegisterTaskDefinition': 'registering a task definition has no resource-level permission',
  'ecs:ListTaskDefinitions': 'listing task definitions has no resource-level permission',
  'ecs:DescribeTaskDefinition': 'describing a task definition has no resource-level permission',
  'elasticloadbalancing:DescribeListeners': 'ELBv2 Describe* actions have no resource-level permission',
  'elasticloadbalancing:DescribeRules': 'ELBv2 Describe* actions have no resource-level permission',
  'elasticloadbalancing:DescribeTargetHealth': 'ELBv2 Describe* actions have no resource-level permission',
  'elasticloadbalancing:DescribeTargetGroups': 'ELBv2 Describe* actions have no resource-level permission',
  'states:SendTaskSuccess': 'a task-token callback has no resource type: the token itself names the task',
  'cloudwatch:DescribeAlarms':
    'composite alarms are returned only to a principal allowed on * (API reference)',
  'xray:PutTraceSegments': 'X-Ray trace writes have no resource-level permission',
  'xray:PutTelemetryRecords': 'X-Ray trace writes have no resource-level permission',
  'xray:GetSamplingRules': 'X-Ray sampling reads have no resource-level permission',
  'xray:GetSamplingTargets': 'X-Ray sampling reads have no resource-level permission',
};

const where = (s: PlacedStatement) =>
  `${s.source} ${s.Sid ?? '(no Sid)'}${s.onlyIf ? ` [if ${s.onlyIf}]` : ''}`;

/** Whether a statement denies every action of a service to everyone over plain HTTP, on exactly `resources`. */
function isTlsOnly(statement: Statement, service: string, resources: unknown[]): boolean {
  const secureTransport = statement.Condition?.Bool?.['aws:SecureTransport'];
  return (
    statement.Effect === 'Deny' &&
    (statement.Principal === '*' || (statement.Principal as { AWS?: unknown })?.AWS === '*') &&
    asArray(statement.Action).includes(`${service}:*`) &&
    JSON.stringify(asArray(statement.Resource)) === JSON.stringify(resources) &&
    (secureTransport === 'false' || secureTransport === false)
  );
}

/** The statements of the resource policies of one type that apply to `id` (by Ref or GetAtt in `targetKey`). */
function resourcePolicyStatements(type: string, targetKey: string, id: string): Statement[] {
  return resourcesOfType(t, type)
    .filter(([, policy]) =>
      asArray(policy.Properties[targetKey] as unknown[]).some((v) => referencedId(v) === id),
    )
    .flatMap(([policyId, policy]) => statementsOf(policy.Properties.PolicyDocument, policyId));
}

describe('the IAM policies of the stack', () => {
  it('are read from every role, inline and attached', () => {
    expect(roles.length).toBeGreaterThan(lambdas.length);
    expect(allows.length).toBeGreaterThan(40);
  });

  it('allow no wildcard action, and use no NotAction or NotResource', () => {
    expect(resourcePolicyAllows.length).toBeGreaterThan(0);
    const wrong = [...allows, ...resourcePolicyAllows]
      .filter(
        (s) =>
          asArray(s.Action).some((action) => action.includes('*')) ||
          s.NotAction !== undefined ||
          s.NotResource !== undefined ||
          s.Action === undefined,
      )
      .map((s) => `${where(s)}: ${JSON.stringify(s.Action ?? s.NotAction)}; name the actions the code calls`);
    expect(wrong).toEqual([]);
  });

  it('allow a * resource only for the actions AWS authorizes on nothing narrower', () => {
    const wrong = allows
      .filter((s) => asArray(s.Resource).includes('*'))
      .flatMap((s) => asArray(s.Action).map((action) => ({ s, action })))
      .filter(({ action }) => !WILDCARD_RESOURCE[action])
      .map(
        ({ s, action }) =>
          `${where(s)} grants ${action} on '*': name its resources, or, if the Service Authorization Reference ` +
          'lists no resource type for it, add it to WILDCARD_RESOURCE with the reason and a comment in template.yaml',
      );
    expect(wrong).toEqual([]);
  });

  it('let iam:PassRole pass named roles only, and only to a named service', () => {
    const passRole = allows.filter((s) => asArray(s.Action).includes('iam:PassRole'));
    expect(passRole.length).toBeGreaterThan(0);
    const wrong = passRole
      .filter((s) => {
        const condition = s.Condition ?? {};
        const service =
          condition.StringEquals?.['iam:PassedToService'] ?? condition.StringLike?.['iam:PassedToService'];
        return !service || asArray(s.Resource).includes('*');
      })
      .map((s) => `${where(s)}: add Condition StringEquals iam:PassedToService, and name the roles`);
    expect(wrong).toEqual([]);
  });

  it('attach no AWS managed policy to any role', () => {
    const attached = roles.flatMap(([id]) => roleStatements(t, id).awsManaged.map((arn) => `${id}: ${arn}`));
    expect(attached).toEqual([]);
  });

  it('let the build read SSM parameters and secrets only when the stack names them, and only those', () => {
    const secretReads = allows.filter((s) =>
      asArray(s.Action).some((a) => a === 'ssm:GetParameters' || a === 'secretsmanager:GetSecretValue'),
    );
    expect(secretReads.map((s) => ({ source: s.source, onlyIf: s.onlyIf, Resource: s.Resource }))).toEqual([
      {
        source: 'BuildRole/image-build',
        onlyIf: 'BuildReadsParameters',
        Resource: { Ref: 'BuildParameterStoreArns' },
      },
      {
        source: 'BuildRole/image-build',
        onlyIf: 'BuildReadsSecrets',
        Resource: { Ref: 'BuildSecretsManagerArns' },
      },
    ]);
  });
});

describe.each(lambdas)('%s', (_id, fn) => {
  const roleId = referencedId(fn.Properties.Role) ?? '';
  const logGroup = referencedId((fn.Properties.LoggingConfig as { LogGroup?: unknown })?.LogGroup);
  const own = roleStatements(t, roleId).statements;

  it('writes logs only to its own log group', () => {
    expect(logGroup).toMatch(/LogGroup$/);
    const logs = own.filter((s) => asArray(s.Action).some((action) => action.startsWith('logs:')));
    expect(logs.map((s) => ({ Action: s.Action, Resource: s.Resource }))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
      },
    ]);
  });

  it('traces only when the stack turns tracing on', () => {
    expect(fn.Properties.TracingConfig).toEqual({
      Mode: { 'Fn::If': ['TracingOn', 'Active', 'PassThrough'] },
    });
    const traces = own.filter((s) => asArray(s.Action).some((action) => action.startsWith('xray:')));
    expect(traces.map((s) => ({ onlyIf: s.onlyIf, Action: s.Action }))).toEqual([
      { onlyIf: 'TracingOn', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] },
    ]);
  });
});

describe('tracing', () => {
  it('is a stack parameter, off by default', () => {
    expect(t.Parameters.TracingEnabled).toMatchObject({ Default: 'false', AllowedValues: ['false', 'true'] });
    expect(t.Conditions.TracingOn).toEqual({ 'Fn::Equals': [{ Ref: 'TracingEnabled' }, 'true'] });
  });
});

describe.each(resourcesOfType(t, 'AWS::StepFunctions::StateMachine'))('state machine %s', (id, machine) => {
  it('logs no execution data (inputs and outputs carry commit messages and configuration)', () => {
    const logging = machine.Properties.LoggingConfiguration as { IncludeExecutionData?: boolean } | undefined;
    expect({ id, IncludeExecutionData: logging?.IncludeExecutionData ?? false }).toEqual({
      id,
      IncludeExecutionData: false,
    });
  });

  it('traces only when the stack turns tracing on, with the permissions X-Ray needs', () => {
    expect(machine.Properties.TracingConfiguration).toEqual({
      Enabled: { 'Fn::If': ['TracingOn', true, false] },
    });
    const roleId = referencedId(machine.Properties.RoleArn) ?? '';
    const traces = roleStatements(t, roleId).statements.filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('xray:')),
    );
    expect(traces.map((s) => s.onlyIf)).toEqual(['TracingOn']);
  });
});

describe.each(resourcesOfType(t, 'AWS::S3::Bucket'))('bucket %s', (id, bucket) => {
  const p = bucket.Properties as Record<string, Record<string, unknown>>;

  it('is encrypted, private, owner-enforced and versioned', () => {
    const encryption = asArray(p.BucketEncryption?.ServerSideEncryptionConfiguration as unknown[]);
    expect(encryption).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: expect.stringMatching(/^(AES256|aws:kms)$/) } },
    ]);
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(p.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  });

  it('expires noncurrent versions', () => {
    const rules = asArray(
      p.LifecycleConfiguration?.Rules as { Status: string; NoncurrentVersionExpiration?: object }[],
    );
    expect(rules.filter((rule) => rule.Status === 'Enabled' && rule.NoncurrentVersionExpiration)).not.toEqual(
      [],
    );
  });

  it('refuses requests over plain HTTP', () => {
    const policy = resourcePolicyStatements('AWS::S3::BucketPolicy', 'Bucket', id);
    const resources = [{ 'Fn::GetAtt': [id, 'Arn'] }, { 'Fn::Sub': `\${${id}.Arn}/*` }];
    expect(policy.some((s) => isTlsOnly(s, 's3', resources))).toBe(true);
  });
});

describe.each(resourcesOfType(t, 'AWS::SQS::Queue'))('queue %s', (id, queue) => {
  it('is encrypted and refuses requests over plain HTTP', () => {
    expect(queue.Properties.SqsManagedSseEnabled ?? queue.Properties.KmsMasterKeyId).toBeTruthy();
    const policy = resourcePolicyStatements('AWS::SQS::QueuePolicy', 'Queues', id);
    expect(policy.some((s) => isTlsOnly(s, 'sqs', [{ 'Fn::GetAtt': [id, 'Arn'] }]))).toBe(true);
  });
});

describe.each(resourcesOfType(t, 'AWS::DynamoDB::Table'))('table %s', (_id, table: Resource) => {
  it('is protected from deletion, recoverable and encrypted', () => {
    expect(table.Properties).toMatchObject({
      DeletionProtectionEnabled: true,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(table.DeletionPolicy).toBe('Retain');
  });
});

describe('the function tracing policy', () => {
  it('names the role of every function', () => {
    const policy = resourceOf(t, 'FunctionTracingPolicy');
    expect(policy.Condition).toBe('TracingOn');
    const named = asArray(policy.Properties.Roles as unknown[])
      .map(referencedId)
      .sort();
    expect(named).toEqual(lambdas.map(([, fn]) => referencedId(fn.Properties.Role)).sort());
    expect(branches(policy.Properties.Roles)).toHaveLength(1);
  });
});

describe('docs/SECURITY.md', () => {
  const page = readFileSync(join(ROOT, 'docs/SECURITY.md'), 'utf8');

  it('says what every role of the stack may do', () => {
    expect(roles.map(([id]) => id).filter((id) => !page.includes(`\`${id}\``))).toEqual([]);
  });

  it('lists every action granted on *, and sends reporters to private vulnerability reporting', () => {
    expect(
      Object.keys(WILDCARD_RESOURCE).filter((action) => !page.includes(action.split(':')[1] ?? '')),
    ).toEqual([]);
    expect(page).toContain('private vulnerability reporting');
    expect(page).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
  });
});
