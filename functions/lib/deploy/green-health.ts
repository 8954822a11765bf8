/**
 * Whether green is ready to take traffic, read from the task set's stability and its target group's health (the
 * CheckGreen poll). Draining targets, the group's previous task set leaving, count neither way.
 *
 * Facts this relies on (ECS API reference): a task set's `computedDesiredCount` is the service's desiredCount
 * times the task set's scale, rounded up; `STEADY_STATE` means runningCount = computedDesiredCount, no pending
 * task and every task healthy for the load balancer.
 *
 * Target states (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html): a new target is
 * `initial` (Elb.RegistrationInProgress, Elb.InitialHealthChecking) until it passes a health check, so green waits.
 * `unused` (Target.NotInUse) means the load balancer does not health-check the target at all: its group is in no
 * listener rule, or its Availability Zone is not enabled. Nothing then shows green can serve, so it is not ready
 * either. CreateGreen puts green in the production listener at weight 0 before its task set (ECS refuses a target
 * group with no load balancer), so in AWS green's targets go initial → healthy; `unused` means that forward was
 * removed (or a zone is missing) and waiting ends in GreenUnhealthyError saying so. CodeDeploy itself waits for
 * the replacement task set only; Switchyard waits for its targets' health too.
 */
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GreenUnhealthyError } from '../shared/errors';
import { readTargetHealth } from './listener';
import type { TaskSetInfo } from './task-set-info';
import { describeService, describeTaskSet, type EcsClient, type TaskSetRef } from './task-sets';

/** A registered target that is not healthy, with the ALB's words for why. */
export interface UnhealthyTarget {
  id: string;
  port?: number;
  state: string;
  reason?: string;
  description?: string;
}

/** One CheckGreen poll. */
export interface GreenCheck {
  ready: boolean;
  stability: string;
  /** Tasks the task set wants (computedDesiredCount). */
  desired: number;
  healthy: { id: string; port?: number }[];
  /** Targets failing their health checks (or in a state that is no step towards healthy). */
  unhealthy: UnhealthyTarget[];
  /** Targets still `initial`: being registered or in their first health checks. */
  initial: UnhealthyTarget[];
  /** Targets `unused`: the load balancer does not health-check them (group in no listener rule, zone not enabled). */
  unused: UnhealthyTarget[];
  /** One line for logs: why green is (not) ready. */
  summary: string;
}

/** Targets leaving the group (the previous task set on this group being deleted): neither healthy nor failing. */
const LEAVING = new Set(['draining', 'unhealthy.draining']);

/**
 * Polls green: ready when the task set is STEADY_STATE and its target group has at least computedDesiredCount
 * healthy targets and no other target failing. Zero targets registered with tasks wanted is never ready.
 * Draining targets (the group's previous task set leaving) are ignored.
 */
export async function checkGreen(
  ecs: EcsClient,
  elbv2: ElasticLoadBalancingV2Client,
  input: TaskSetRef & { targetGroupArn: string },
): Promise<GreenCheck> {
  const taskSet = await describeTaskSet(ecs, input);
  if (!taskSet || taskSet.status === 'DRAINING') {
    throw new GreenUnhealthyError(
      `green task set ${input.taskSetArn} of service "${input.service}" is ${taskSet ? 'draining' : 'gone'}; ` +
        'something else deleted it while the deployment waited for it',
    );
  }
  const desired = taskSet.computedDesiredCount ?? (await computedDesiredCount(ecs, input, taskSet));

  const healthy: GreenCheck['healthy'] = [];
  const unhealthy: UnhealthyTarget[] = [];
  const initial: UnhealthyTarget[] = [];
  const unused: UnhealthyTarget[] = [];
  for (const description of await readTargetHealth(elbv2, input.targetGroupArn)) {
    const id = description.Target?.Id ?? '';
    const port = description.Target?.Port;
    const state = description.TargetHealth?.State ?? 'unknown';
    if (LEAVING.has(state)) continue;
    if (state === 'healthy') {
      healthy.push({ id, ...(port === undefined ? {} : { port }) });
      continue;
    }
    const list = state === 'initial' ? initial : state === 'unused' ? unused : unhealthy;
    list.push({
      id,
      ...(port === undefined ? {} : { port }),
      state,
      ...(description.TargetHealth?.Reason ? { reason: description.TargetHealth.Reason } : {}),
      ...(description.TargetHealth?.Description ? { description: description.TargetHealth.Description } : {}),
    });
  }

  const stability = taskSet.stabilityStatus ?? 'UNKNOWN';
  const running = taskSet.runningCount;
  const problems: string[] = [];
  if (stability !== 'STEADY_STATE') problems.push(`task set is ${stability}`);
  if (running !== undefined && running < desired) problems.push(`${running} of ${desired} tasks running`);
  if (unhealthy.length > 0) {
    problems.push(`${unhealthy.length} target(s) not healthy: ${unhealthy.map(formatTarget).join('; ')}`);
  }
  if (initial.length > 0) {
    problems.push(
      `${initial.length} target(s) still in their initial health checks: ${initial.map(formatTarget).join('; ')}`,
    );
  }
  if (unused.length > 0) {
    problems.push(
      `${unused.length} target(s) unused, so the load balancer does not health-check them (is ` +
        `${input.targetGroupArn} still in the production listener's forward action, and is every target's ` +
        `Availability Zone enabled for the load balancer?): ${unused.map(formatTarget).join('; ')}`,
    );
  }
  if (healthy.length < desired) {
    const registered = healthy.length + unhealthy.length + initial.length + unused.length;
    problems.push(
      registered === 0
        ? `no target registered in ${input.targetGroupArn} yet, ${desired} wanted (ECS registers tasks as they start)`
        : `${healthy.length} of ${desired} wanted targets healthy`,
    );
  }
  const ready = problems.length === 0;
  return {
    ready,
    stability,
    desired,
    healthy,
    unhealthy,
    initial,
    unused,
    summary: ready
      ? `green ready: ${healthy.length} healthy target(s), ${desired} wanted, task set ${stability}`
      : `green not ready: ${problems.join('; ')}`,
  };
}

/** ECS's own rule (service desiredCount × scale, rounded up), for responses without computedDesiredCount (moto). */
async function computedDesiredCount(ecs: EcsClient, ref: TaskSetRef, taskSet: TaskSetInfo): Promise<number> {
  const { desiredCount } = await describeService(ecs, ref.cluster, ref.service);
  const percent = taskSet.scale?.unit === 'PERCENT' ? (taskSet.scale.value ?? 100) : 100;
  return Math.ceil((desiredCount * percent) / 100);
}

function formatTarget(target: UnhealthyTarget): string {
  const address = target.port === undefined ? target.id : `${target.id}:${target.port}`;
  const why = [target.reason, target.description].filter(Boolean).join(': ');
  return why ? `${address} ${target.state} (${why})` : `${address} ${target.state}`;
}
