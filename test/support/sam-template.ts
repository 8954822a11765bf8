/**
 * template.yaml for the template tests: read as cfn-lint reads it, or SAM-transformed offline (both by
 * test/support/cfn_template.py), and the IAM statements a role of the transformed template has.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

/** A resource of the template. */
export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: { BuildMethod?: string; BuildProperties?: Record<string, unknown> };
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** The parts of the template the tests read. */
export interface Template {
  Parameters: Record<string, { Type: string; Default?: unknown; AllowedValues?: unknown[] }>;
  Conditions: Record<string, unknown>;
  Globals: { Function: Record<string, unknown> & { Environment: { Variables: Record<string, unknown> } } };
  Resources: Record<string, Resource>;
  Outputs: Record<string, { Value: unknown }>;
}

/** An IAM policy statement. */
export interface Statement {
  Sid?: string;
  Effect: string;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** A statement with where it comes from, for messages. */
export interface PlacedStatement extends Statement {
  /** `RoleId` or `RoleId/PolicyName` or the policy resource. */
  source: string;
  /** The condition under which the statement exists (a `Fn::If` around it), if any. */
  onlyIf?: string;
}

export const ROOT = resolve(__dirname, '../..');
export const TEMPLATE = join(ROOT, 'template.yaml');
const HELPER = join(ROOT, 'test/support/cfn_template.py');

/** Runs a command in the repository root; throws when it cannot start. */
export function run(command: string, args: string[]) {
  const out = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.error)
    throw new Error(`${command} could not start (${out.error.message}); see .ci/run for the install`);
  return out;
}

/** template.yaml, short-form tags in long form (`decode`) or after the SAM transform (`transform`). */
export function readTemplate(mode: 'decode' | 'transform', path = TEMPLATE): Template {
  const out = run('python3', [HELPER, mode, path]);
  if (out.status !== 0) throw new Error(`cfn_template.py ${mode} failed:\n${out.stderr}`);
  return JSON.parse(out.stdout) as Template;
}

/** The resource with this logical id; throws naming it when the template has none. */
export function resourceOf(t: Template, id: string): Resource {
  const found = t.Resources[id];
  if (!found) throw new Error(`the template has no resource ${id}`);
  return found;
}

/** The resources of one type, in template order. */
export const resourcesOfType = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.Resources).filter(([, resource]) => resource.Type === type);

export const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

const isNoValue = (value: unknown) => (value as { Ref?: string } | null)?.Ref === 'AWS::NoValue';

/** The branches of a value under `Fn::If` (AWS::NoValue left out), or the value itself. */
export function branches(value: unknown): { value: unknown; onlyIf?: string }[] {
  const conditional = (value as { 'Fn::If'?: [string, unknown, unknown] } | null)?.['Fn::If'];
  if (!conditional) return [{ value }];
  const [condition, whenTrue, whenFalse] = conditional;
  return [
    ...(isNoValue(whenTrue) ? [] : [{ value: whenTrue, onlyIf: condition }]),
    ...(isNoValue(whenFalse) ? [] : [{ value: whenFalse, onlyIf: `!${condition}` }]),
  ];
}

/** The statements of a policy document, each statement under `Fn::If` once per branch. */
export function statementsOf(document: unknown, source: string): PlacedStatement[] {
  const statements = asArray((document as { Statement?: unknown })?.Statement);
  return statements.flatMap((statement) =>
    branches(statement).flatMap(({ value, onlyIf }) =>
      asArray(value as Statement | Statement[]).map((s) => ({ ...s, source, ...(onlyIf ? { onlyIf } : {}) })),
    ),
  );
}

/** The logical id a `Ref` or `Fn::GetAtt` names. */
export function referencedId(value: unknown): string | undefined {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: string[] | string } | null;
  if (typeof v?.Ref === 'string') return v.Ref;
  const getAtt = v?.['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : getAtt?.split('.')[0];
}

/**
 * Every statement a role of the transformed template gets: its inline policies, the stack's managed policies it
 * attaches and the AWS::IAM::Policy resources naming it. An AWS managed policy (an ARN string) has contents
 * this test cannot see: it is returned in `awsManaged` for the caller to refuse or explain.
 */
export function roleStatements(
  t: Template,
  roleId: string,
): { statements: PlacedStatement[]; awsManaged: string[] } {
  const role = resourceOf(t, roleId);
  const statements: PlacedStatement[] = [];
  const awsManaged: string[] = [];
  for (const policy of asArray(role.Properties.Policies as unknown[])) {
    for (const { value } of branches(policy)) {
      const { PolicyName, PolicyDocument } = value as { PolicyName?: string; PolicyDocument: unknown };
      statements.push(...statementsOf(PolicyDocument, `${roleId}/${PolicyName}`));
    }
  }
  for (const arns of branches(role.Properties.ManagedPolicyArns)) {
    for (const arn of asArray(arns.value as unknown[])) {
      const id = referencedId(arn);
      if (id) statements.push(...statementsOf(resourceOf(t, id).Properties.PolicyDocument, id));
      else awsManaged.push(JSON.stringify(arn));
    }
  }
  for (const [id, policy] of [
    ...resourcesOfType(t, 'AWS::IAM::Policy'),
    ...resourcesOfType(t, 'AWS::IAM::ManagedPolicy'),
  ]) {
    const roles = asArray(policy.Properties.Roles as unknown[]).map(referencedId);
    if (!roles.includes(roleId)) continue;
    const found = statementsOf(policy.Properties.PolicyDocument, id);
    statements.push(...found.map((s) => (policy.Condition ? { ...s, onlyIf: policy.Condition } : s)));
  }
  return { statements, awsManaged };
}

/** Whether an IAM action pattern (`ecs:Describe*`, `s3:*`, `*`) covers an action; IAM compares case-insensitively. */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return regex.test(action);
}

/** The Allow statements among `statements` that grant `action`. */
export const allowing = (statements: PlacedStatement[], action: string): PlacedStatement[] =>
  statements.filter(
    (s) => s.Effect === 'Allow' && asArray(s.Action).some((pattern) => actionMatches(pattern, action)),
  );
