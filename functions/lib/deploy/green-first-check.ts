/**
 * How long to wait before green's first health check by CheckGreen: the time an ECS task takes to start, then
 * one health check interval of green's target group, since a registered target "must pass one health check to
 * be considered healthy" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * Polling before that only finds targets still `initial`; after it CheckGreen polls every GREEN_POLL_SECONDS.
 */
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';

/** A Fargate task's usual time from CreateTaskSet to RUNNING (image pull and ENI included). */
export const TASK_START_SECONDS = 60;

/** The target group health check interval when the group does not report one (ELB's default). */
const DEFAULT_INTERVAL_SECONDS = 30;

/** Seconds from CreateGreen until green's targets can first be healthy. */
export async function firstGreenCheckSeconds(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
): Promise<number> {
  const { TargetGroups = [] } = await elbv2.send(
    new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] }),
  );
  return TASK_START_SECONDS + (TargetGroups[0]?.HealthCheckIntervalSeconds ?? DEFAULT_INTERVAL_SECONDS);
}
