/**
 * `switchyard verify`'s checks of the target side: the ECS service (it exists, is ACTIVE, uses the EXTERNAL
 * deployment controller, and its PRIMARY task set serves one of the pair), the listeners (their default action and
 * rules forward to the pair, as the deploy stage reads them: functions/lib/deploy/listener.ts) and the two target
 * groups (ip targets, as awsvpc tasks register, with a port).
 */
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { classifyForward, readForward } from '../../functions/lib/deploy/listener';
import { readRules, rulesToShift } from '../../functions/lib/deploy/listener-rules';
import { findTaskSetsFromCli } from './task-sets-from-cli';
import { attempt, type CheckResult, fail, ok, warn } from './verify-report';

/** The pair's short names for messages: `app-a` of `…:targetgroup/app-a/1234`. */
function groupName(arn: string): string {
  return /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn;
}

/** The service's checks: exists and ACTIVE, EXTERNAL controller, PRIMARY task set on one of the pair. */
export async function serviceChecks(
  ecs: ECSClient,
  values: Record<string, string>,
  pair: readonly [string, string],
): Promise<CheckResult[]> {
  const cluster = values.ClusterName ?? '';
  const service = values.ServiceName ?? '';
  const subject = `service ${service} (cluster ${cluster})`;
  const exists = `${subject} exists`;
  if (!cluster || !service) return [warn(exists, 'not checked: ClusterName and ServiceName must be set')];
  const described = await attempt(exists, async () => {
    const { services, failures } = await ecs.send(
      new DescribeServicesCommand({ cluster, services: [service] }),
    );
    const found = services?.[0];
    if (!found)
      return fail(
        exists,
        `not found (${failures?.[0]?.reason ?? 'not returned'}): check ClusterName, ServiceName and AWS_REGION, ` +
          'or create the service (examples/ has an infrastructure template)',
      );
    if (found.status !== 'ACTIVE')
      return fail(exists, `it is ${found.status}, not ACTIVE: deploy to an active service`);
    const controller = found.deploymentController?.type ?? 'ECS';
    return [
      ok(exists, 'ACTIVE'),
      controller === 'EXTERNAL'
        ? ok(`service ${service} uses the EXTERNAL deployment controller`)
        : fail(
            `service ${service} uses the EXTERNAL deployment controller`,
            `it uses ${controller}; Switchyard creates task sets itself, which only an EXTERNAL service allows ` +
              '(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-external.html): ' +
              'create the service again with DeploymentController {Type: EXTERNAL}',
          ),
    ];
  });
  if (described.some((result) => result.status === 'fail')) return described;
  const what = `service ${service}'s PRIMARY task set serves one of the pair`;
  const primary = await attempt(what, async () => {
    const sets = await findTaskSetsFromCli(ecs, cluster, service);
    const set = sets.primary;
    if (!set)
      return warn(
        what,
        'none yet: the first deployment creates it (its network comes from the AppSpec or TaskSubnetIds and TaskSecurityGroupIds)',
      );
    if (set.targetGroupArn && pair.includes(set.targetGroupArn))
      return ok(what, `${set.id} serves ${groupName(set.targetGroupArn)}`);
    return fail(
      what,
      `${set.id} serves ${set.targetGroupArn ?? 'no target group'}, which is neither TargetGroupAArn nor ` +
        'TargetGroupBArn: set those parameters to the group the service serves and its partner',
    );
  });
  return [...described, ...primary];
}

/** A listener's checks: its default action forwards to the pair; its rules that reach the pair can move with it. */
export async function listenerChecks(
  elbv2: ElasticLoadBalancingV2Client,
  label: 'production' | 'test',
  listenerArn: string,
  pair: readonly [string, string],
): Promise<CheckResult[]> {
  const subject = `${label} listener ${listenerArn.split('/').slice(-3).join('/')}`;
  const what = `${subject} forwards to the pair`;
  const forward = await attempt(what, async () => {
    const traffic = classifyForward(listenerArn, await readForward(elbv2, listenerArn), pair);
    if (traffic.kind === 'single') return ok(what, `all to ${groupName(traffic.live)}`);
    return warn(
      what,
      `split between ${traffic.targetGroups.map((g) => `${groupName(g.arn)} ${g.percent} %`).join(' and ')}: ` +
        'an earlier deployment stopped halfway; the next one rolls back to the larger share first',
    );
  });
  if (forward.some((result) => result.status === 'fail')) return forward;
  const rulesSubject = `${subject}'s rules can move with it`;
  const rules = await attempt(rulesSubject, async () => {
    const shifted = rulesToShift(listenerArn, await readRules(elbv2, listenerArn), pair, 'refuse');
    return ok(
      rulesSubject,
      shifted.length === 0
        ? 'none forwards to the pair'
        : `${shifted.length} forward${shifted.length === 1 ? 's' : ''} only to the pair and move with it`,
    );
  });
  return [...forward, ...rules];
}

/** The target groups' checks: the two are distinct, exist, take ip targets (awsvpc) and have a port. */
export async function targetGroupChecks(
  elbv2: ElasticLoadBalancingV2Client,
  pair: readonly [string, string],
): Promise<CheckResult[]> {
  if (pair[0] === pair[1])
    return [
      fail(
        `target groups ${groupName(pair[0])}`,
        'TargetGroupAArn and TargetGroupBArn are the same group: give two groups, one live and one for green',
      ),
    ];
  const results: CheckResult[] = [];
  for (const [parameter, arn] of [
    ['TargetGroupAArn', pair[0]],
    ['TargetGroupBArn', pair[1]],
  ] as const) {
    const subject = `target group ${groupName(arn)} (${parameter})`;
    results.push(
      ...(await attempt(subject, async () => {
        let found: Awaited<ReturnType<typeof describe>>;
        try {
          found = await describe(elbv2, arn);
        } catch (error) {
          if ((error as Error).name !== 'TargetGroupNotFoundException') throw error;
          found = undefined;
        }
        if (!found)
          return fail(subject, `${arn} does not exist: check ${parameter} (region and account too)`);
        if (found.TargetType !== 'ip')
          return fail(
            subject,
            `its target type is ${found.TargetType ?? 'instance'}, but tasks in awsvpc mode register by IP ` +
              '(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html): create it with TargetType ip',
          );
        if (found.Port === undefined)
          return fail(subject, 'it has no port: create it with the port the container listens on');
        return ok(subject, `ip targets, ${found.Protocol ?? ''} port ${found.Port}`.replace('  ', ' '));
      })),
    );
  }
  return results;
}

async function describe(elbv2: ElasticLoadBalancingV2Client, arn: string) {
  const { TargetGroups } = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
  return TargetGroups?.[0];
}
