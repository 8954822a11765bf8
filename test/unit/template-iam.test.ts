/**
 * Each function's role allows what its code calls, and nothing it does not. The calls are read from the code
 * (test/support/sdk-calls.ts: the SDK commands a handler's code reaches); the roles from the SAM-transformed
 * template. A call without its permission fails here instead of in a deployment, naming the function, the
 * action and where to add it.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  actionMatches,
  allowing,
  asArray,
  type PlacedStatement,
  ROOT,
  readTemplate,
  referencedId,
  resourcesOfType,
  roleStatements,
} from '../support/sam-template';
import { isSdkCall, type SdkCall, sdkCallsImported, sdkCallsOf } from '../support/sdk-calls';

/** The IAM service prefix of each SDK package the functions use. */
const IAM_PREFIX: Record<string, string> = {
  'client-cloudwatch': 'cloudwatch',
  'client-codebuild': 'codebuild',
  'client-codecommit': 'codecommit',
  'client-dynamodb': 'dynamodb',
  'client-ecr': 'ecr',
  'client-ecs': 'ecs',
  'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-eventbridge': 'events',
  'client-lambda': 'lambda',
  'client-s3': 's3',
  'client-sfn': 'states',
  'lib-dynamodb': 'dynamodb',
  'lib-storage': 's3',
};

/** lib-dynamodb's document commands, by the DynamoDB operation each sends. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};

/**
 * The calls whose IAM actions are not (only) their own name, each with the reason. The default is
 * `<prefix>:<operation>`.
 */
const ACTIONS: Record<string, { actions: string[]; why: string }> = {
  'lambda:Invoke': {
    actions: ['lambda:InvokeFunction'],
    why: 'Invoke is authorized as lambda:InvokeFunction',
  },
  'dynamodb:TransactGetItems': {
    actions: ['dynamodb:GetItem'],
    why: 'each Get of a transaction is authorized as GetItem (DynamoDB, "Using IAM with DynamoDB transactions")',
  },
  's3:HeadObject': {
    actions: ['s3:GetObject', 's3:ListBucket'],
    why:
      'HeadObject is authorized as GetObject; without ListBucket a missing key answers 403, not the 404 ' +
      'ArchiveSource reads as "no archive yet" (S3 API reference, HeadObject)',
  },
  's3:GetObject': {
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    why: 'the artifacts are read by VersionId when the record has one, which needs GetObjectVersion',
  },
  's3:CopyObject': {
    actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
    why: 'a copy reads its source (by version id when it has one) and writes its target (S3 API reference, CopyObject)',
  },
  's3:UploadPartCopy': {
    actions: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
    why: 'as CopyObject, per part (S3 API reference, UploadPartCopy)',
  },
  's3:CreateMultipartUpload': {
    actions: ['s3:PutObject'],
    why: 'a multipart upload is authorized as PutObject',
  },
  's3:UploadPart': { actions: ['s3:PutObject'], why: 'a multipart upload is authorized as PutObject' },
  's3:CompleteMultipartUpload': {
    actions: ['s3:PutObject'],
    why: 'a multipart upload is authorized as PutObject',
  },
  's3:Upload': {
    actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
    why:
      "lib-storage's Upload sends PutObject or CreateMultipartUpload/UploadPart/CompleteMultipartUpload (all " +
      'authorized as PutObject), and AbortMultipartUpload when a part fails',
  },
  'ecs:CreateTaskSet': {
    actions: ['ecs:CreateTaskSet', 'iam:PassRole'],
    why:
      "the task set runs the task definition's task and execution roles, which ECS must be passed " +
      "(AWS's AWSCodeDeployRoleForECS grants iam:PassRole to ecs-tasks.amazonaws.com for the same call)",
  },
  'ecs:RegisterTaskDefinition': {
    actions: ['ecs:RegisterTaskDefinition', 'iam:PassRole', 'ecs:TagResource'],
    why:
      'the task definition names its roles (passed to ECS tasks), and Switchyard tags every revision it ' +
      'registers, which ECS authorizes as ecs:TagResource (ECS, "Grant permission to tag resources on creation")',
  },
};

/**
 * Actions a function's role holds that no SDK call of its code makes: Lambda uses them for the function.
 * Everything else a role grants must be some call's.
 */
const INDIRECT: Record<string, string> = {
  'logs:CreateLogStream': 'Lambda writes the logs of the function to its log group with its role',
  'logs:PutLogEvents': 'Lambda writes the logs of the function to its log group with its role',
  'xray:PutTraceSegments': 'Lambda sends the traces of the function with its role when tracing is on',
  'xray:PutTelemetryRecords': 'Lambda sends the traces of the function with its role when tracing is on',
  'sqs:SendMessage':
    "Lambda sends an asynchronous invocation it gave up on to the function's on-failure queue with its role (CleanUp)",
};

/** Actions that work only when granted in one shape, with what goes wrong otherwise. */
const SHAPES: Record<string, { holds: (s: PlacedStatement) => boolean; fix: string }> = {
  'cloudwatch:DescribeAlarms': {
    holds: (s) => asArray(s.Resource).includes('*'),
    fix:
      "Resource: '*' (DescribeAlarms returns composite alarms only to a principal allowed on '*'; narrower, a " +
      'composite alarm in AlarmNames reads as missing and every deployment rolls back at the bake)',
  },
  'iam:PassRole': {
    holds: (s) => s.Condition?.StringEquals?.['iam:PassedToService'] === 'ecs-tasks.amazonaws.com',
    fix: 'Condition: {StringEquals: {iam:PassedToService: ecs-tasks.amazonaws.com}} (the roles go to ECS tasks)',
  },
};

/** The IAM operation key (`ecs:CreateTaskSet`) of an SDK call. */
function operationOf(call: SdkCall): string {
  const prefix = IAM_PREFIX[call.sdkPackage];
  if (!prefix) {
    throw new Error(
      `${call.file} uses @aws-sdk/${call.sdkPackage} (${call.name}), whose IAM service prefix this test does not know: ` +
        'add it to IAM_PREFIX in test/unit/template-iam.test.ts',
    );
  }
  if (call.sdkPackage === 'lib-dynamodb') {
    const operation = DOCUMENT_COMMANDS[call.name];
    if (!operation) {
      throw new Error(
        `${call.file} uses lib-dynamodb's ${call.name}: add the IAM actions it needs to DOCUMENT_COMMANDS or ACTIONS in test/unit/template-iam.test.ts`,
      );
    }
    return `${prefix}:${operation}`;
  }
  if (call.name === 'Upload') return `${prefix}:Upload`;
  return `${prefix}:${call.name.replace(/Command$/, '').replace(/^paginate/, '')}`;
}

/** The IAM actions an SDK call needs. */
function actionsOf(call: SdkCall): string[] {
  const operation = operationOf(call);
  if (call.name.startsWith('waitUntil') && !ACTIONS[operation]) {
    throw new Error(`${call.file} uses ${call.name}: add the operations it polls to ACTIONS`);
  }
  // IAM has no TransactWriteItems action: each item is authorized as its own PutItem, UpdateItem, DeleteItem or
  // ConditionCheckItem (DynamoDB developer guide, "Using IAM with DynamoDB transactions").
  if (operation === 'dynamodb:TransactWriteItems' && !ACTIONS[operation]) {
    throw new Error(`${call.file} uses ${call.name}: add the item actions its transactions use to ACTIONS`);
  }
  return ACTIONS[operation]?.actions ?? [operation];
}

const transformed = readTemplate('transform');
const lambdas = resourcesOfType(transformed, 'AWS::Lambda::Function');

/** What each function needs: its role, and each action with the calls that need it. */
const needs = lambdas.map(([id, fn]) => {
  const entry = asArray(fn.Metadata?.BuildProperties?.EntryPoints as string[])[0] ?? '';
  const roleId = referencedId(fn.Properties.Role);
  if (!roleId) throw new Error(`${id} has no Role naming a role of the template`);
  const calls = sdkCallsOf(entry);
  const actions = new Map<string, SdkCall[]>();
  for (const call of calls) {
    for (const action of actionsOf(call)) actions.set(action, [...(actions.get(action) ?? []), call]);
  }
  return { id, entry, roleId, calls, actions, ...roleStatements(transformed, roleId) };
});

const describeCall = (call: SdkCall) => `${call.name} (${call.file})`;

/** Why a call needs an action other than its own name, for the failure message. */
function reasonFor(calls: SdkCall[], action: string): string {
  const why = calls
    .map((call) => ACTIONS[operationOf(call)])
    .find((entry) => entry?.actions.includes(action));
  return why && why.actions[0] !== action ? ` (${why.why})` : '';
}

describe('the SDK calls read from the code', () => {
  it('finds the calls of every function, through class methods and lib-storage', () => {
    const byFunction = Object.fromEntries(needs.map((n) => [n.id, [...n.actions.keys()]]));
    // One call each way the analysis can reach it: a core function, a class method, a lib-storage upload.
    expect(byFunction.CreateGreenFunction).toContain('ecs:CreateTaskSet');
    expect(byFunction.StartBuildFunction).toEqual(expect.arrayContaining(['dynamodb:UpdateItem']));
    expect(byFunction.StartBuildFunction).not.toContain('dynamodb:PutItem');
    expect(byFunction.ArchiveSourceFunction).toEqual(
      expect.arrayContaining(['s3:PutObject', 's3:AbortMultipartUpload']),
    );
    expect(byFunction.CheckPauseFunction).toContain('cloudwatch:DescribeAlarms');
  });

  it('attributes every SDK call under functions/ to a function that makes it', () => {
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = `${dir}/${name}`;
        return statSync(join(ROOT, path)).isDirectory() ? walk(path) : path.endsWith('.ts') ? [path] : [];
      });
    const reached = new Set(needs.flatMap((n) => n.calls.map((c) => `${c.name} (${c.file})`)));
    const imported = sdkCallsImported(walk('functions'));
    expect(imported.length).toBeGreaterThan(20);
    // A call imported but reached by no handler is dead code, or a way of calling the analysis misses.
    expect(imported.map(describeCall).filter((call) => !reached.has(call))).toEqual([]);
  });

  it('maps only classes that send requests', () => {
    expect(['CreateTaskSetCommand', 'Upload', 'paginateListTasks'].every(isSdkCall)).toBe(true);
    expect(['ECSClient', 'DynamoDBDocumentClient', 'ConditionalCheckFailedException'].some(isSdkCall)).toBe(
      false,
    );
  });
});

describe.each(needs)('$id', ({ id, roleId, actions, statements, awsManaged }) => {
  it('has a role of its own with no AWS managed policy', () => {
    expect({ role: roleId, awsManaged }).toEqual({ role: `${id}Role`, awsManaged: [] });
  });

  it('is allowed every action its code calls', () => {
    const missing = [...actions]
      .filter(([action]) => allowing(statements, action).length === 0)
      .map(
        ([action, calls]) =>
          `${id} calls ${calls.map(describeCall).join(', ')}, which needs ${action}` +
          `${reasonFor(calls, action)}: add a statement allowing ${action} to ${roleId} in template.yaml`,
      );
    expect(missing).toEqual([]);
  });

  it('is granted each action in the shape AWS needs for it', () => {
    const wrong = [...actions.keys()]
      .filter((action) => SHAPES[action])
      .flatMap((action) =>
        allowing(statements, action)
          .filter((s) => !SHAPES[action]?.holds(s))
          .map(
            (s) =>
              `${roleId} statement ${s.Sid ?? '(no Sid)'} grants ${action}: it needs ${SHAPES[action]?.fix}`,
          ),
      );
    expect(wrong).toEqual([]);
  });

  it('is granted no action its code does not call', () => {
    const stale = statements
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s: PlacedStatement) =>
        asArray(s.Action).map((action) => ({ action, sid: s.Sid ?? '(no Sid)' })),
      )
      .filter(
        ({ action }) =>
          !INDIRECT[action] && ![...actions.keys()].some((needed) => actionMatches(action, needed)),
      )
      .map(
        ({ action, sid }) =>
          `${roleId} statement ${sid} grants ${action}, which no call of ${id}'s code needs: remove it from ` +
          'template.yaml (or, if AWS needs it for another call, add that call to ACTIONS in this test with the reason)',
      );
    expect(stale).toEqual([]);
  });
});
