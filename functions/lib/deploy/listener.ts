/**
 * The deploy stage's ELBv2 adapter, its only module that calls ELBv2. The production (or test) listener's default
 * forward action: read the target groups and their weights, tell which one is live, and move traffic with
 * ModifyListener, reading the listener back after every write and comparing (argo-rollouts' VerifyWeight). Only
 * the listener's default action is read or written; rules are not. Also the health of a target group's targets,
 * which CheckGreen reads.
 */
import {
  type Action,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
  ModifyListenerCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { asTransient, InvalidInputError, ServiceNotReadyError, WeightsMismatchError } from '../shared/errors';

/** A target group of the forward action with its raw weight and its share of the traffic in percent. */
export interface WeightedTargetGroup {
  arn: string;
  weight: number;
  percent: number;
}

/** What the listener's default action forwards to. */
export interface ForwardState {
  targetGroups: WeightedTargetGroup[];
}

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
  return forwardOf(listenerArn, forwardAction(listenerArn, listener).action);
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
 * Makes the listener's default forward action send to exactly these target groups with these weights (the other
 * fields of the action, such as stickiness, are kept), then reads the listener back and returns what it shows.
 * A read-back that differs throws WeightsMismatchError. Writes nothing when the listener already matches.
 */
export async function setWeights(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
  weights: Readonly<Record<string, number>>,
): Promise<ForwardState> {
  validateWeights(listenerArn, weights);
  const listener = await describeListener(elbv2, listenerArn);
  const { action, index } = forwardAction(listenerArn, listener);
  if (sameWeights(weights, forwardOf(listenerArn, action))) return forwardOf(listenerArn, action);

  const { TargetGroupArn: _single, ...rest } = action;
  const forward: Action = {
    ...rest,
    ForwardConfig: {
      ...action.ForwardConfig,
      TargetGroups: Object.entries(weights).map(([arn, weight]) => ({ TargetGroupArn: arn, Weight: weight })),
    },
  };
  const actions = (listener.DefaultActions ?? []).map((other, i) => (i === index ? forward : other));
  await call(`ModifyListener ${listenerArn}`, () =>
    elbv2.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: actions })),
  );

  const observed = await readForward(elbv2, listenerArn);
  if (!sameWeights(weights, observed)) {
    throw new WeightsMismatchError(
      `listener ${listenerArn} does not carry the weights just written: expected ${formatWeights(weights)}, ` +
        `observed ${formatWeights(Object.fromEntries(observed.targetGroups.map((g) => [g.arn, g.weight])))}; ` +
        'something else may be changing this listener (another pipeline, a stack update, a person)',
    );
  }
  return observed;
}

/** The weights of a forward state by target group ARN. */
export function weightsOf(state: ForwardState): Record<string, number> {
  return Object.fromEntries(state.targetGroups.map((group) => [group.arn, group.weight]));
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

/** Equal when the forward action names exactly these target groups with exactly these weights. */
function sameWeights(expected: Readonly<Record<string, number>>, observed: ForwardState): boolean {
  const seen = new Map(observed.targetGroups.map((group) => [group.arn, group.weight]));
  const arns = Object.keys(expected);
  return seen.size === arns.length && arns.every((arn) => seen.get(arn) === expected[arn]);
}

function formatWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([arn, weight]) => `${arn}=${weight}`)
    .join(', ');
}

async function describeListener(elbv2: ElasticLoadBalancingV2Client, listenerArn: string): Promise<Listener> {
  let listeners: Listener[] | undefined;
  try {
    ({ Listeners: listeners } = await elbv2.send(
      new DescribeListenersCommand({ ListenerArns: [listenerArn] }),
    ));
  } catch (error) {
    if ((error as Error).name === 'ListenerNotFoundException') {
      throw new ServiceNotReadyError(
        `listener ${listenerArn} does not exist; check the stack's listener parameter (region and account too)`,
        { cause: error },
      );
    }
    throw asTransient(`DescribeListeners ${listenerArn}`, error);
  }
  const listener = listeners?.[0];
  if (!listener) {
    throw new ServiceNotReadyError(
      `DescribeListeners returned nothing for ${listenerArn}; check the listener ARN`,
    );
  }
  return listener;
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

function forwardOf(listenerArn: string, action: Action): ForwardState {
  const tuples = action.ForwardConfig?.TargetGroups;
  const raw =
    tuples && tuples.length > 0
      ? // DescribeListeners reports every weight; a missing one counts as an equal share (1), never as idle.
        tuples.map((tuple) => ({ arn: tuple.TargetGroupArn ?? '', weight: tuple.Weight ?? 1 }))
      : action.TargetGroupArn
        ? [{ arn: action.TargetGroupArn, weight: 1 }]
        : [];
  if (raw.length === 0 || raw.some((group) => group.arn === '')) {
    throw new ServiceNotReadyError(`listener ${listenerArn}'s forward action names no target group`);
  }
  const total = raw.reduce((sum, group) => sum + group.weight, 0);
  return {
    targetGroups: raw.map((group) => ({
      ...group,
      percent: total === 0 ? 0 : Math.round((group.weight * 1000) / total) / 10,
    })),
  };
}

/** Transient failures become TransientAwsError (the machine retries the state); others keep their name. */
async function call<T>(label: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw asTransient(label, error);
  }
}
