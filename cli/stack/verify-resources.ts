/**
 * `switchyard verify`'s checks of what the tasks and the deployment use: the task's roles (they exist and trust
 * ecs-tasks.amazonaws.com), the image (the ECR repository exists and holds an image, or the tag asked for), the
 * awslogs log groups of taskdef.json, and the alarms the deployment watches.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, DescribeRepositoriesCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { ALARM_NAMES_PER_CALL } from '../../functions/lib/deploy/alarms';
import { attempt, type CheckResult, fail, ok, warn } from './verify-report';

const TASKS_PRINCIPAL = 'ecs-tasks.amazonaws.com';
const ROLE_DOCS = 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html';

interface PolicyStatement {
  Effect?: string;
  Action?: string | string[];
  Principal?: { Service?: string | string[] } | string;
}

/**
 * Whether a trust policy lets ECS tasks assume the role. GetRole returns the document URL-encoded (RFC 3986), and
 * some SDKs decode it: both are read (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetRole.html).
 */
export function trustsEcsTasks(document: string | undefined): boolean {
  if (!document) return false;
  let text = document;
  try {
    text = decodeURIComponent(document);
  } catch {
    // Already plain JSON.
  }
  let policy: { Statement?: PolicyStatement | PolicyStatement[] };
  try {
    policy = JSON.parse(text);
  } catch {
    return false;
  }
  const list = (value: string | string[] | undefined) =>
    Array.isArray(value) ? value : value ? [value] : [];
  const statements = Array.isArray(policy.Statement)
    ? policy.Statement
    : policy.Statement
      ? [policy.Statement]
      : [];
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow') return false;
    const actions = list(statement.Action);
    if (!actions.some((action) => ['sts:AssumeRole', 'sts:*', '*'].includes(action))) return false;
    const principal = statement.Principal;
    return (
      principal === '*' ||
      list(typeof principal === 'object' ? principal.Service : undefined).includes(TASKS_PRINCIPAL)
    );
  });
}

/** A role's checks: it exists and trusts ecs-tasks.amazonaws.com. */
export async function roleCheck(iam: IAMClient, parameter: string, roleArn: string): Promise<CheckResult[]> {
  const subject = `role ${roleArn.split('/').pop()} (${parameter})`;
  return attempt(subject, async () => {
    let document: string | undefined;
    try {
      const { Role } = await iam.send(new GetRoleCommand({ RoleName: roleArn.split('/').pop() }));
      document = Role?.AssumeRolePolicyDocument;
    } catch (error) {
      if ((error as Error).name !== 'NoSuchEntityException') throw error;
      return fail(subject, `${roleArn} does not exist: create it (${ROLE_DOCS}) or fix ${parameter}`);
    }
    if (!trustsEcsTasks(document))
      return fail(
        subject,
        `its trust policy does not let ${TASKS_PRINCIPAL} assume it, so tasks cannot use it: allow sts:AssumeRole ` +
          `to the service principal ${TASKS_PRINCIPAL} (${ROLE_DOCS})`,
      );
    return ok(subject, `exists and trusts ${TASKS_PRINCIPAL}`);
  });
}

/** The image's check: the ECR repository exists and holds at least one image, or the tag asked for. */
export async function imageCheck(ecr: ECRClient, repository: string, tag?: string): Promise<CheckResult[]> {
  const subject = `ECR repository ${repository} (EcrRepositoryName)${tag ? `: image tag ${tag}` : ''}`;
  return attempt(subject, async () => {
    try {
      await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }));
    } catch (error) {
      if ((error as Error).name !== 'RepositoryNotFoundException') throw error;
      return fail(subject, 'the repository does not exist: create it, or fix EcrRepositoryName');
    }
    if (tag) {
      try {
        await ecr.send(
          new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: tag }] }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ImageNotFoundException') throw error;
        return fail(subject, `no image is tagged ${tag}: push it, or name a tag the repository holds`);
      }
      return ok(subject, 'present');
    }
    const { imageDetails = [] } = await ecr.send(
      new DescribeImagesCommand({ repositoryName: repository, maxResults: 1 }),
    );
    if (imageDetails.length === 0)
      return fail(
        subject,
        'the repository holds no image: push one (the buildspec does on each build), or check EcrRepositoryName',
      );
    return ok(subject, 'holds images');
  });
}

/** An awslogs log configuration of taskdef.json: its container, group, Region and whether ECS may create it. */
export interface AwsLogsGroup {
  container: string;
  group: string;
  region?: string;
  createGroup: boolean;
}

/** The awslogs log configurations of a task definition template (its containers' logConfiguration). */
export function awslogsGroups(taskdef: unknown): AwsLogsGroup[] {
  const containers = (taskdef as { containerDefinitions?: unknown })?.containerDefinitions;
  if (!Array.isArray(containers)) return [];
  const groups: AwsLogsGroup[] = [];
  for (const container of containers as { name?: unknown; logConfiguration?: unknown }[]) {
    const config = container?.logConfiguration as
      | { logDriver?: unknown; options?: Record<string, unknown> }
      | undefined;
    const group = config?.options?.['awslogs-group'];
    if (config?.logDriver !== 'awslogs' || typeof group !== 'string') continue;
    const region = config.options?.['awslogs-region'];
    groups.push({
      container: String(container.name ?? '?'),
      group,
      ...(typeof region === 'string' ? { region } : {}),
      createGroup: String(config.options?.['awslogs-create-group'] ?? '').toLowerCase() === 'true',
    });
  }
  return groups;
}

/** The log group checks: each exists, or ECS creates it on the first task start (awslogs-create-group). */
export async function logGroupChecks(
  groups: readonly AwsLogsGroup[],
  region: string,
  file: string,
): Promise<CheckResult[]> {
  if (groups.length === 0) return [ok(`log groups of ${file}`, 'no container logs with awslogs')];
  const results: CheckResult[] = [];
  for (const entry of groups) {
    const subject = `log group ${entry.group} (${file}, container ${entry.container})`;
    const logs = new CloudWatchLogsClient({ region: entry.region ?? region });
    try {
      results.push(
        ...(await attempt(subject, async () => {
          const { logGroups = [] } = await logs.send(
            new DescribeLogGroupsCommand({ logGroupNamePrefix: entry.group, limit: 50 }),
          );
          if (logGroups.some((group) => group.logGroupName === entry.group)) return ok(subject, 'exists');
          if (entry.createGroup)
            return warn(
              subject,
              'does not exist yet; ECS creates it at the first task start (awslogs-create-group), which needs ' +
                'logs:CreateLogGroup in the execution role ' +
                '(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html)',
            );
          return fail(
            subject,
            'does not exist, so tasks fail to start: create it, or set "awslogs-create-group": "true" in the ' +
              "container's logConfiguration options and grant the execution role logs:CreateLogGroup",
          );
        })),
      );
    } finally {
      logs.destroy();
    }
  }
  return results;
}

/** The alarms' checks: each of AlarmNames exists (metric or composite) and can be read. */
export async function alarmChecks(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<CheckResult[]> {
  if (names.length === 0)
    return [ok('alarms (AlarmNames)', 'none configured: no alarm can roll a deployment back')];
  const results: CheckResult[] = [];
  for (let start = 0; start < names.length; start += ALARM_NAMES_PER_CALL) {
    const batch = names.slice(start, start + ALARM_NAMES_PER_CALL);
    const found = await attempt(`alarms ${batch.join(', ')}`, async () => {
      const out = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
      );
      const states = new Map<string, string>();
      for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])])
        states.set(alarm.AlarmName ?? '', alarm.StateValue ?? 'unknown');
      return batch.map((name) => {
        const state = states.get(name);
        return state
          ? ok(`alarm ${name}`, `exists (${state})`)
          : fail(
              `alarm ${name}`,
              'does not exist in this account and Region: create it, or remove it from AlarmNames',
            );
      });
    });
    results.push(...found);
  }
  return results;
}
