/**
 * State `AllowTestTraffic` (AllowTestTrafficFunction).
 * Input: `{deployment, green}`.
 * Output: `{testListenerArn, observedWeights}` (read back), or `{skipped: true}` without a test listener.
 * Throws WeightsMismatchError, ServiceNotReadyError (test listener missing or not forwarding), InvalidInputError, or
 * AWS errors.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { type AllowTestTrafficOutput, allowTestTraffic, type GreenStepInput } from '../lib/deploy/green';

const elbv2 = new ElasticLoadBalancingV2Client({});

/** Lambda entry point. */
export async function handler(event: GreenStepInput): Promise<AllowTestTrafficOutput> {
  const result = await allowTestTraffic(event, { elbv2 });
  console.log('skipped' in result ? 'no test listener' : `test listener: ${JSON.stringify(result)}`);
  return result;
}
