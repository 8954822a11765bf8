/**
 * The ALB actions as the deploy stage's ELBv2 adapter (listener.ts, listener-rules.ts) reads and writes them: the
 * target groups and weights of a forward action, the same action with new weights, an action list that can be
 * sent back, and DescribeListeners of one listener.
 */
import {
  type Action,
  DescribeListenersCommand,
  type ElasticLoadBalancingV2Client,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { asTransient, ServiceNotReadyError } from '../shared/errors';

/** A target group of the forward action with its raw weight and its share of the traffic in percent. */
export interface WeightedTargetGroup {
  arn: string;
  weight: number;
  percent: number;
}

/** What a forward action (a listener's default one, or a rule's) forwards to. */
export interface ForwardState {
  targetGroups: WeightedTargetGroup[];
}

/** The target groups and weights of a forward action; `where` names the listener or rule in errors. */
export function forwardOf(where: string, action: Action): ForwardState {
  const tuples = action.ForwardConfig?.TargetGroups;
  const raw =
    tuples && tuples.length > 0
      ? // DescribeListeners reports every weight; a missing one counts as an equal share (1), never as idle.
        tuples.map((tuple) => ({ arn: tuple.TargetGroupArn ?? '', weight: tuple.Weight ?? 1 }))
      : action.TargetGroupArn
        ? [{ arn: action.TargetGroupArn, weight: 1 }]
        : [];
  if (raw.length === 0 || raw.some((group) => group.arn === '')) {
    throw new ServiceNotReadyError(`${where}'s forward action names no target group`);
  }
  const total = raw.reduce((sum, group) => sum + group.weight, 0);
  return {
    targetGroups: raw.map((group) => ({
      ...group,
      percent: total === 0 ? 0 : Math.round((group.weight * 1000) / total) / 10,
    })),
  };
}

/** The forward action with exactly these target groups and weights; its other fields (stickiness, Order) kept. */
export function withWeights(action: Action, weights: Readonly<Record<string, number>>): Action {
  // TargetGroupArn and a ForwardConfig of several groups cannot be sent together (ELBv2 API reference, Action).
  const { TargetGroupArn: _single, ...rest } = action;
  return {
    ...rest,
    ForwardConfig: {
      ...action.ForwardConfig,
      TargetGroups: Object.entries(weights).map(([arn, weight]) => ({ TargetGroupArn: arn, Weight: weight })),
    },
  };
}

/**
 * A described action list made fit to send back in ModifyListener or ModifyRule, in the same order with the same
 * Order fields. DescribeListeners and DescribeRules never return an authenticate-oidc action's ClientSecret, and
 * a modify that gives neither the secret nor UseExistingClientSecret=true is refused, so each OIDC action asks to
 * keep the existing secret (ELBv2 API reference, AuthenticateOidcActionConfig:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_AuthenticateOidcActionConfig.html).
 * authenticate-cognito has no secret of ours to send and is sent back as described.
 */
export function resendable(actions: readonly Action[]): Action[] {
  return actions.map((action) => {
    if (action.Type !== 'authenticate-oidc' || !action.AuthenticateOidcConfig) return action;
    const { ClientSecret: _hidden, ...config } = action.AuthenticateOidcConfig;
    return { ...action, AuthenticateOidcConfig: { ...config, UseExistingClientSecret: true } };
  });
}

/** Equal when the forward state names exactly these target groups with exactly these weights. */
export function sameWeights(expected: Readonly<Record<string, number>>, observed: ForwardState): boolean {
  const seen = new Map(observed.targetGroups.map((group) => [group.arn, group.weight]));
  const arns = Object.keys(expected);
  return seen.size === arns.length && arns.every((arn) => seen.get(arn) === expected[arn]);
}

/** `arn=weight, ...` for messages. */
export function formatWeights(weights: Readonly<Record<string, number>>): string {
  return Object.entries(weights)
    .map(([arn, weight]) => `${arn}=${weight}`)
    .join(', ');
}

/** The weights of a forward state by target group ARN. */
export function weightsOf(state: ForwardState): Record<string, number> {
  return Object.fromEntries(state.targetGroups.map((group) => [group.arn, group.weight]));
}

/** The listener as DescribeListeners returns it; a missing listener is a ServiceNotReadyError naming the fix. */
export async function describeListener(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<Listener> {
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

/** Transient failures become TransientAwsError (the machine retries the state); others keep their name. */
export async function call<T>(label: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw asTransient(label, error);
  }
}
