/**
 * The workload a stack may deploy: its task definition family (TaskDefinitionFamily), the network an AppSpec may
 * choose (AllowedSubnetIds, AllowedSecurityGroupIds, AllowPublicIp; checked in appspec-network.ts), the two roles
 * the stack passes (TaskRoleArn, TaskExecutionRoleArn) and the account and Region it deploys in (those of
 * ProductionListenerArn). Neither CodePipeline nor CodeDeploy checks any of this: a stack left at the defaults
 * deploys what they deploy; each parameter set narrows what a commit or a manual redeploy may do, and is checked
 * before any side effect.
 */
import { ConfigurationError, InvalidInputError } from '../shared/errors';

/** What the stack allows; an empty family or list allows anything, as CodeDeploy does. */
export interface WorkloadScope {
  /** '' = any family (CodeDeploy's behaviour). */
  family: string;
  /** Subnets an AppSpec's NetworkConfiguration may name; [] = any. */
  subnets: string[];
  /** Security groups an AppSpec's NetworkConfiguration may name; [] = any. */
  securityGroups: string[];
  /** Whether an AppSpec may ask for AssignPublicIp: ENABLED. */
  allowPublicIp: boolean;
  /** The roles a redeployed revision may name ('' = none). */
  taskRoleArn: string;
  executionRoleArn: string;
  /** The account and Region of the service (ProductionListenerArn's); undefined when the stack gives none. */
  place?: { region: string; account: string };
}

/** Each setting: the environment variable that carries it and its stack parameter. */
export const SCOPE_SETTINGS = {
  family: { env: 'TASK_DEFINITION_FAMILY', parameter: 'TaskDefinitionFamily' },
  subnets: { env: 'ALLOWED_SUBNET_IDS', parameter: 'AllowedSubnetIds' },
  securityGroups: { env: 'ALLOWED_SECURITY_GROUP_IDS', parameter: 'AllowedSecurityGroupIds' },
  allowPublicIp: { env: 'ALLOW_PUBLIC_IP', parameter: 'AllowPublicIp' },
  taskRoleArn: { env: 'TASK_ROLE_ARN', parameter: 'TaskRoleArn' },
  executionRoleArn: { env: 'TASK_EXECUTION_ROLE_ARN', parameter: 'TaskExecutionRoleArn' },
  listener: { env: 'PRODUCTION_LISTENER_ARN', parameter: 'ProductionListenerArn' },
} as const;

/** A no-op scope: anything goes (what CodeDeploy does), used by `switchyard render` and tests. */
export const OPEN_SCOPE: WorkloadScope = {
  family: '',
  subnets: [],
  securityGroups: [],
  allowPublicIp: true,
  taskRoleArn: '',
  executionRoleArn: '',
};

/** RegisterTaskDefinition's rule for a family name. */
const FAMILY = /^[A-Za-z0-9_-]{1,255}$/;
const ARN_PLACE = /^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]+):(\d{12}):/;
const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):(\d{12}):task-definition\/([A-Za-z0-9_-]+):\d+$/;

function list(env: NodeJS.ProcessEnv, setting: { env: string; parameter: string }, prefix: string): string[] {
  const values = (env[setting.env] ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const bad = values.find((value) => !new RegExp(`^${prefix}-[0-9a-f]{1,17}$`).test(value));
  if (bad !== undefined) {
    throw new ConfigurationError(
      `stack parameter ${setting.parameter} holds ${JSON.stringify(bad)}: expected ${prefix} ids (${prefix}-0abc…), comma-separated, or empty for any`,
    );
  }
  return values;
}

/** Reads the scope from the environment the template sets; a bad value is a ConfigurationError naming its parameter. */
export function readWorkloadScope(env: NodeJS.ProcessEnv = process.env): WorkloadScope {
  const family = (env[SCOPE_SETTINGS.family.env] ?? '').trim();
  if (family !== '' && !FAMILY.test(family)) {
    throw new ConfigurationError(
      `stack parameter ${SCOPE_SETTINGS.family.parameter} is ${JSON.stringify(family)}: expected a task definition family (up to 255 letters, digits, "-" or "_"), or empty for any`,
    );
  }
  const publicIp = (env[SCOPE_SETTINGS.allowPublicIp.env] ?? 'true').trim().toLowerCase();
  if (publicIp !== 'true' && publicIp !== 'false') {
    throw new ConfigurationError(
      `stack parameter ${SCOPE_SETTINGS.allowPublicIp.parameter} is ${JSON.stringify(publicIp)}: expected "true" or "false"`,
    );
  }
  const place = ARN_PLACE.exec(env[SCOPE_SETTINGS.listener.env] ?? '');
  return {
    family,
    subnets: list(env, SCOPE_SETTINGS.subnets, 'subnet'),
    securityGroups: list(env, SCOPE_SETTINGS.securityGroups, 'sg'),
    allowPublicIp: publicIp === 'true',
    taskRoleArn: (env[SCOPE_SETTINGS.taskRoleArn.env] ?? '').trim(),
    executionRoleArn: (env[SCOPE_SETTINGS.executionRoleArn.env] ?? '').trim(),
    ...(place ? { place: { region: place[1] ?? '', account: place[2] ?? '' } } : {}),
  };
}

/** Refuses a taskdef.json whose `family` is not the stack's (when the stack names one). */
export function checkFamily(family: string | undefined, file: string, scope: WorkloadScope): void {
  if (scope.family === '' || family === scope.family) return;
  throw new InvalidInputError(
    `${file}: "family" is ${JSON.stringify(family ?? null)}, but this stack deploys task definition family "${scope.family}" ` +
      `(stack parameter ${SCOPE_SETTINGS.family.parameter}): set "family": "${scope.family}" in ${file}, ` +
      `or change ${SCOPE_SETTINGS.family.parameter} if the service is meant to run another family`,
  );
}

/** The family, Region and account of a task definition ARN (undefined when it is not one). */
export function parseTaskDefinitionArn(
  arn: string,
): { region: string; account: string; family: string } | undefined {
  const match = TASK_DEFINITION_ARN.exec(arn);
  return match ? { region: match[1] ?? '', account: match[2] ?? '', family: match[3] ?? '' } : undefined;
}

/**
 * Refuses, from the ARN alone, a revision to redeploy that is of another account, Region or family than the
 * stack's: `where` names what gave the ARN (the input's "taskDefinitionArn", `--to`).
 */
export function checkRedeployArn(
  arn: string,
  scope: Pick<WorkloadScope, 'family' | 'place'>,
  where: string,
): void {
  const parsed = parseTaskDefinitionArn(arn);
  if (!parsed) {
    throw new InvalidInputError(
      `${where} ${JSON.stringify(arn)} is not a task definition ARN: arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`,
    );
  }
  const { place } = scope;
  if (place && (parsed.region !== place.region || parsed.account !== place.account)) {
    throw new InvalidInputError(
      `${where} ${arn} is in account ${parsed.account}, Region ${parsed.region}; this stack deploys to account ${place.account}, ` +
        `Region ${place.region} (its ${SCOPE_SETTINGS.listener.parameter}): name a revision registered there`,
    );
  }
  if (scope.family !== '' && parsed.family !== scope.family) {
    throw new InvalidInputError(
      `${where} ${arn} is a revision of family "${parsed.family}"; this stack deploys family "${scope.family}" ` +
        `(stack parameter ${SCOPE_SETTINGS.family.parameter}): name a revision of "${scope.family}" (switchyard history lists them)`,
    );
  }
}

/** A role as a task definition names it (a full ARN or a bare name) against the stack's role ARN. */
function sameRole(named: string, stackRole: string): boolean {
  if (named === stackRole) return true;
  return !named.startsWith('arn:') && stackRole !== '' && stackRole.split('/').pop() === named;
}

/**
 * Refuses a revision to redeploy that names a role the stack does not pass: a redeploy runs it with the stack's
 * permissions, so it may name only TaskRoleArn and TaskExecutionRoleArn (a revision naming neither passes none).
 */
export function checkRedeployRoles(
  arn: string,
  roles: { taskRoleArn?: string; executionRoleArn?: string },
  scope: Pick<WorkloadScope, 'taskRoleArn' | 'executionRoleArn'>,
): void {
  const slots = [
    ['taskRoleArn', roles.taskRoleArn, scope.taskRoleArn, SCOPE_SETTINGS.taskRoleArn.parameter],
    [
      'executionRoleArn',
      roles.executionRoleArn,
      scope.executionRoleArn,
      SCOPE_SETTINGS.executionRoleArn.parameter,
    ],
  ] as const;
  for (const [field, named, stackRole, parameter] of slots) {
    if (!named || sameRole(named, stackRole)) continue;
    throw new InvalidInputError(
      `task definition ${arn} names ${field} ${named}, but this stack passes ${stackRole ? `only ${stackRole}` : 'no role'} ` +
        `there (stack parameter ${parameter}): redeploy a revision registered with the stack's roles`,
    );
  }
}
