/**
 * The deploy stage's ELBv2 adapter, its only code that calls ELBv2 (with listener-actions.ts and
 * listener-rules.ts). The production (or test) listener's default forward action: read the target groups and
 * their weights, tell which one is live, and move traffic with ModifyListener, together with every rule that
 * forwards to the same pair (ModifyRule), reading the listener and its rules back after the writes and comparing
 * (argo-rollouts' VerifyWeight). Also the health of a target group's targets, which CheckGreen reads.
 */
import {
  type Action,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  ModifyListenerCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { InvalidInputError, ServiceNotReadyError, WeightsMismatchError } from '../shared/errors';
import {
  call,
  describeListener,
  type ForwardState,
  formatWeights,
  forwardOf,
  resendable,
  sameWeights,
  type WeightedTargetGroup,
  weightsOf,
  withWeights,
} from './listener-actions';
import { checkRules, type MixedRules, readRules, rulesToShift, writeRule } from './listener-rules';

export type { ForwardState, WeightedTargetGroup } from './listener-actions';
export { weightsOf } from './listener-actions';

/**
 * Which target group is live. `single`: exactly one of the pair takes traffic; the other is green for this
 * deployment. `split`: both take traffic, which only happens when an earlier deployment stopped halfway
 * (a crash between two traffic steps, a rollback that failed): the caller decides (roll back to the larger
 * one, or refuse and ask an operator); this module never guesses.
 */
export type LiveTraffic =
  | { kind: 'single'; live: string; green: string; targetGroups: WeightedTargetGroup[] }
  | { kind: 'split'; targetGroups: WeightedTargetGroup[] };

/** ALB target group weights range from 0 to 999 (ELBv2 API reference, TargetGroupTuple.Weight). */
export const MAX_WEIGHT = 999;

/** Reads the target groups and weights of a listener's default forward action. */
export async function readForward(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<ForwardState> {
  const listener = await describeListener(elbv2, listenerArn);
  return forwardOf(`listener ${listenerArn}`, forwardAction(listenerArn, listener).action);
}

/** Reads the listener and tells which of the two configured target groups is live (see LiveTraffic). */
export async function liveTargetGroup(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
  pair: readonly [string, string],
): Promise<LiveTraffic> {
  return classifyForward(listenerArn, await readForward(elbv2, listenerArn), pair);
}

/** Pure: which of `pair` the forward state sends traffic to; errors if it sends to neither or to a third group. */
export function classifyForward(
  listenerArn: string,
  state: ForwardState,
  pair: readonly [string, string],
): LiveTraffic {
  const taking = state.targetGroups.filter((group) => group.weight > 0);
  const stranger = taking.find((group) => !pair.includes(group.arn));
  if (stranger) {
    throw new ServiceNotReadyError(
      `listener ${listenerArn} forwards ${stranger.percent} % to ${stranger.arn}, which is not one of the ` +
        `configured target groups (${pair.join(', ')}); fix the listener or the stack's target group parameters`,
    );
  }
  if (taking.length === 0) {
    throw new ServiceNotReadyError(
      `listener ${listenerArn} forwards no traffic (every weight is 0); set the live target group's weight ` +
        `(one of ${pair.join(', ')}) before deploying`,
    );
  }
  if (taking.length > 1) return { kind: 'split', targetGroups: state.targetGroups };
  const live = taking[0]?.arn ?? '';
  const green = pair[0] === live ? pair[1] : pair[0];
  return { kind: 'single', live, green, targetGroups: state.targetGroups };
}

/**
 * Makes the listener's default forward action, and every rule whose forward action sends only to target groups
 * named in `weights` (listener-rules.ts), send to exactly these target groups with these weights (the other fields
 * and actions, such as stickiness and authentication, are kept), then reads the listener and those rules back and
 * returns what the default action shows. A read-back that differs throws WeightsMismatchError naming the listener
 * or the rule. A rule that forwards to one of these groups and to another is refused before anything is written,
 * unless `mixedRules` is 'leave' (Rollback). Writes nothing where the listener or a rule already matches.
 */
export async function setWeights(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
  weights: Readonly<Record<string, number>>,
  options: { mixedRules?: MixedRules } = {},
): Promise<ForwardState> {
  validateWeights(listenerArn, weights);
  const listener = await describeListener(elbv2, listenerArn);
  const { action, index } = forwardAction(listenerArn, listener);
  const rules = rulesToShift(
    listenerArn,
    await readRules(elbv2, listenerArn),
    Object.keys(weights),
    options.mixedRules ?? 'refuse',
  );
  const current = forwardOf(`listener ${listenerArn}`, action);
  const listenerMatches = sameWeights(weights, current);
  const stale = rules.filter((rule) => !sameWeights(weights, rule.forward));
  if (listenerMatches && stale.length === 0) return current;

  if (!listenerMatches) {
    const actions = (listener.DefaultActions ?? []).map((other, i) =>
      i === index ? withWeights(action, weights) : other,
    );
    await call(`ModifyListener ${listenerArn}`, () =>
      elbv2.send(
        new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: resendable(actions) }),
      ),
    );
  }
  for (const rule of stale) await writeRule(elbv2, rule, weights);

  const observed = await readForward(elbv2, listenerArn);
  if (!sameWeights(weights, observed)) {
    throw new WeightsMismatchError(
      `listener ${listenerArn} does not carry the weights just written: expected ${formatWeights(weights)}, ` +
        `observed ${formatWeights(weightsOf(observed))}; ` +
        'something else may be changing this listener (another pipeline, a stack update, a person)',
    );
  }
  if (rules.length > 0) checkRules(listenerArn, rules, await readRules(elbv2, listenerArn), weights);
  return observed;
}

/** Every target registered in the target group, with its health as the ALB reports it. */
export async function readTargetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
): Promise<TargetHealthDescription[]> {
  const { TargetHealthDescriptions = [] } = await call(`DescribeTargetHealth ${targetGroupArn}`, () =>
    elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn })),
  );
  return TargetHealthDescriptions;
}

function validateWeights(listenerArn: string, weights: Readonly<Record<string, number>>): void {
  const entries = Object.entries(weights);
  const bad = entries.find(([, weight]) => !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT);
  if (bad) {
    throw new InvalidInputError(
      `weight ${bad[1]} for target group ${bad[0]} on listener ${listenerArn} is not a whole number from 0 to ${MAX_WEIGHT}`,
    );
  }
  if (!entries.some(([, weight]) => weight > 0)) {
    throw new InvalidInputError(
      `weights for listener ${listenerArn} send no traffic anywhere (${formatWeights(weights)}); at least one must be above 0`,
    );
  }
}

function forwardAction(listenerArn: string, listener: Listener): { action: Action; index: number } {
  const actions = listener.DefaultActions ?? [];
  const index = actions.findIndex((action) => action.Type === 'forward');
  const action = actions[index];
  if (!action) {
    const types = actions.map((a) => a.Type).join(', ') || 'none';
    throw new ServiceNotReadyError(
      `listener ${listenerArn} has no forward default action (actions: ${types}); Switchyard moves traffic by ` +
        'weighting the default forward action between the two target groups: make its default action forward to the live one',
    );
  }
  return { action, index };
}
