/**
 * State `CheckGreen` (CheckGreenFunction), polled through `WaitForGreen`.
 * Input: `{deployment, green}`.
 * Output: `{ready, summary}` (`$.greenCheck`).
 * Throws GreenUnhealthyError (not ready past `green.healthyBy`, or the task set is gone), InvalidInputError, or AWS
 * errors.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type GreenStepInput, pollGreen } from '../lib/deploy/green';
import type { GreenCheckState } from '../lib/deploy/state';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

/** Lambda entry point. */
export async function handler(event: GreenStepInput): Promise<GreenCheckState> {
  const check = await pollGreen(event, { ecs, elbv2 });
  console.log(check.summary);
  return check;
}
