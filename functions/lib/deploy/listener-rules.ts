/**
 * The rules of a listener, as the traffic shift sees them (used by listener.ts and by Finalize). A rule whose
 * forward action sends only to target groups of the service's pair moves with the listener's default action, to
 * the same weights; a rule forwarding elsewhere is left alone; a rule that sends traffic to the pair AND to
 * another group cannot be moved without changing the other group's share, so it is refused before anything is
 * written. The listener's default rule is its default action (ModifyListener), never written here.
 */
import {
  type Action,
  DescribeRulesCommand,
  type ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceNotReadyError, WeightsMismatchError } from '../shared/errors';
import {
  call,
  describeListener,
  type ForwardState,
  formatWeights,
  forwardOf,
  resendable,
  sameWeights,
  weightsOf,
  withWeights,
} from './listener-actions';

/** A listener rule other than the default one. */
export interface ListenerRule {
  arn: string;
  priority: string;
  actions: Action[];
}

/** A rule that moves with the default action: the index of its forward action and what that forwards to now. */
export interface ShiftedRule extends ListenerRule {
  forwardIndex: number;
  forward: ForwardState;
}

/** What to do with a rule that forwards to the pair and to another group: refuse, or leave it as it is. */
export type MixedRules = 'refuse' | 'leave';

/**
 * DescribeRules allows up to 400 rules a page and lists the default rule too, marked IsDefault (ELBv2 API
 * reference: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeRules.html).
 */
const PAGE_SIZE = 400;

/** The listener's rules other than its default one, by priority. */
export async function readRules(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<ListenerRule[]> {
  const rules: Rule[] = [];
  let marker: string | undefined;
  do {
    const page = await call(`DescribeRules ${listenerArn}`, () =>
      elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: PAGE_SIZE, Marker: marker })),
    );
    rules.push(...(page?.Rules ?? []));
    marker = page?.NextMarker;
  } while (marker);
  return rules
    .filter((rule) => !rule.IsDefault && rule.RuleArn)
    .map((rule) => ({ arn: rule.RuleArn ?? '', priority: rule.Priority ?? '', actions: rule.Actions ?? [] }))
    .sort((a, b) => Number(a.priority) - Number(b.priority));
}

/**
 * Pure: the rules to move with the default action when it is given weights over `groups`. Throws
 * ServiceNotReadyError for a rule that sends traffic both to one of `groups` and to another group (unless
 * `mixed` is 'leave': Rollback restores only what the shift wrote, and the shift never writes such a rule).
 */
export function rulesToShift(
  listenerArn: string,
  rules: readonly ListenerRule[],
  groups: readonly string[],
  mixed: MixedRules,
): ShiftedRule[] {
  const shifted: ShiftedRule[] = [];
  for (const rule of rules) {
    const forwardIndex = rule.actions.findIndex((action) => action.Type === 'forward');
    const action = rule.actions[forwardIndex];
    if (!action) continue;
    const forward = forwardOf(`rule ${rule.arn}`, action);
    const ours = forward.targetGroups.filter((group) => groups.includes(group.arn));
    const others = forward.targetGroups.filter((group) => !groups.includes(group.arn));
    if (ours.length === 0) continue;
    if (others.length === 0) {
      shifted.push({ ...rule, forwardIndex, forward });
      continue;
    }
    // The pair named at weight 0 beside groups that take the traffic: nothing of ours flows through it.
    if (ours.every((group) => group.weight === 0) || mixed === 'leave') continue;
    throw new ServiceNotReadyError(
      `rule ${rule.arn} (priority ${rule.priority}) of listener ${listenerArn} forwards both to the service's ` +
        `target group ${ours.map((g) => `${g.arn} (${g.percent} %)`).join(', ')} and to ` +
        `${others.map((g) => `${g.arn} (${g.percent} %)`).join(', ')}: Switchyard cannot move the service's ` +
        "share without changing the other group's; make the rule forward only to the service's target group " +
        '(put the other group behind a rule of its own), or only to other groups, then deploy again',
    );
  }
  return shifted;
}

/** Writes the rule's forward action with these weights (ModifyRule), every other action and its Order kept. */
export async function writeRule(
  elbv2: ElasticLoadBalancingV2Client,
  rule: ShiftedRule,
  weights: Readonly<Record<string, number>>,
): Promise<void> {
  const actions = rule.actions.map((action, i) =>
    i === rule.forwardIndex ? withWeights(action, weights) : action,
  );
  await call(`ModifyRule ${rule.arn}`, () =>
    elbv2.send(new ModifyRuleCommand({ RuleArn: rule.arn, Actions: resendable(actions) })),
  );
}

/** Throws WeightsMismatchError naming the first shifted rule that does not read back with these weights. */
export function checkRules(
  listenerArn: string,
  shifted: readonly ShiftedRule[],
  observed: readonly ListenerRule[],
  weights: Readonly<Record<string, number>>,
): void {
  for (const rule of shifted) {
    const now = observed.find((other) => other.arn === rule.arn);
    const action = now?.actions.find((a) => a.Type === 'forward');
    const seen = action ? forwardOf(`rule ${rule.arn}`, action) : null;
    if (seen && sameWeights(weights, seen)) continue;
    throw new WeightsMismatchError(
      `rule ${rule.arn} of listener ${listenerArn} does not carry the weights just written: expected ` +
        `${formatWeights(weights)}, observed ${seen ? formatWeights(weightsOf(seen)) : 'no forward action (the rule is gone or changed)'}; ` +
        "something else may be changing the listener's rules (another pipeline, a stack update, a person)",
    );
  }
}

/** Where the listener sends traffic to the target group: its default action and rules with a weight above 0. */
export async function sendersTo(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
  targetGroupArn: string,
): Promise<string[]> {
  const listener = await describeListener(elbv2, listenerArn);
  const places: { where: string; actions: Action[] }[] = [
    { where: `listener ${listenerArn}'s default action`, actions: listener.DefaultActions ?? [] },
    ...(await readRules(elbv2, listenerArn)).map((rule) => ({
      where: `rule ${rule.arn} (priority ${rule.priority}) of listener ${listenerArn}`,
      actions: rule.actions,
    })),
  ];
  return places.flatMap(({ where, actions }) => {
    const action = actions.find((a) => a.Type === 'forward');
    const group = action
      ? forwardOf(where, action).targetGroups.find((g) => g.arn === targetGroupArn && g.weight > 0)
      : undefined;
    return group ? [`${where} (${group.percent} %)`] : [];
  });
}

/**
 * Refuses (ServiceNotReadyError) while any listener of `listenerArns` still sends traffic to the target group
 * of the task set about to be deleted: deleting it would cut that traffic off.
 */
export async function refuseWhileServed(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArns: readonly string[],
  targetGroupArn: string,
  taskSetArn: string,
): Promise<void> {
  const senders: string[] = [];
  for (const listenerArn of listenerArns)
    senders.push(...(await sendersTo(elbv2, listenerArn, targetGroupArn)));
  if (senders.length === 0) return;
  throw new ServiceNotReadyError(
    `task set ${taskSetArn} is not deleted: ${senders.join('; ')} still sends traffic to its target group ` +
      `${targetGroupArn}; point them at the new version's target group (or let the deployment roll back), ` +
      'then run the deployment again',
  );
}
