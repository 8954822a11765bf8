/**
 * The two ends of the deploy stage. Finalize: green becomes the PRIMARY task set, the test listener follows
 * production, blue is deleted. Rollback: whatever point the deployment reached, production (and test) traffic
 * back on the target group that was live before it, the old task set PRIMARY, the green task set deleted.
 * Both are idempotent, so the machine may retry them freely.
 */
import type { Deployment, DeploymentsTable } from '../record/deployments';
import { type CaughtError, type FailureSummary, summarizeFailure } from '../record/record-result';
import { InvalidInputError, ServiceNotReadyError } from '../shared/errors';
import type { DeployClients, DeployConfig } from './deploy-config';
import { greenClientToken } from './green-task-set';
import { classifyForward, readForward, setWeights, weightsOf } from './listener';
import { refuseWhileServed } from './listener-rules';
import {
  type DeployInput,
  type GreenState,
  requireDeployment,
  requireGreen,
  type TrafficState,
} from './state';
import type { TaskSetInfo } from './task-set-info';
import { deleteTaskSet, type EcsClient, findTaskSets, makePrimary } from './task-sets';

/** Input of Finalize. */
export interface FinalizeInput {
  deployment: Deployment;
  render?: DeployInput['render'];
  green: GreenState;
  traffic?: TrafficState;
}

/** Output of Finalize: the service's PRIMARY task set and the blue one that is gone (null on a first deployment). */
export interface FinalizeOutput {
  primaryTaskSetArn: string;
  deletedTaskSetArn: string | null;
}

/**
 * Finalize: only once production sends everything to green. The test listener follows production, green becomes
 * PRIMARY (full ARN, verified), then blue is deleted; a second call finds each step done and changes nothing.
 */
export async function finalize(
  input: FinalizeInput,
  deps: DeployClients & { table: DeploymentsTable; fence?: () => Promise<void> },
  now: () => Date = () => new Date(),
): Promise<FinalizeOutput> {
  const green = requireGreen(input, 'Finalize', 'events/finalize.json');
  const { ecs, elbv2 } = deps;
  const production = weightsOf(await readForward(elbv2, green.productionListenerArn));
  const elsewhere = Object.entries(production).filter(
    ([arn, weight]) => arn !== green.greenTargetGroupArn && weight > 0,
  );
  if (!production[green.greenTargetGroupArn] || elsewhere.length > 0) {
    throw new ServiceNotReadyError(
      `production listener ${green.productionListenerArn} does not send all traffic to green ` +
        `${green.greenTargetGroupArn} (${formatWeights(production)}); Finalize deletes blue only after the ` +
        'traffic shift has reached 100 % green: something changed the listener during the deployment',
    );
  }
  // A rule still on blue would lose its traffic with blue's task set: refuse before writing anything.
  const { blueTaskSetArn: blue, liveTargetGroupArn: live, productionListenerArn, testListenerArn } = green;
  if (blue) await refuseWhileServed(elbv2, [productionListenerArn], live, blue);
  // The fence (record/fence.ts) before the listener and PRIMARY writes.
  await deps.fence?.();
  if (green.testListenerArn) {
    await setWeights(elbv2, green.testListenerArn, {
      [green.greenTargetGroupArn]: 100,
      [green.liveTargetGroupArn]: 0,
    });
  }
  const primary = await makePrimary(ecs, ref(green, green.greenTaskSetArn));
  if (green.blueTaskSetArn) {
    // Read again just before the delete: a listener or rule changed meanwhile must not lose its traffic.
    const listeners = testListenerArn ? [productionListenerArn, testListenerArn] : [productionListenerArn];
    await refuseWhileServed(elbv2, listeners, live, green.blueTaskSetArn);
    await deleteTaskSet(ecs, ref(green, green.blueTaskSetArn));
  }
  const output: FinalizeOutput = {
    primaryTaskSetArn: primary.arn,
    deletedTaskSetArn: green.blueTaskSetArn,
  };
  await deps.table.update(input.deployment, {
    finalizedAt: now().toISOString(),
    primaryTaskSetArn: output.primaryTaskSetArn,
    deletedTaskSetArn: output.deletedTaskSetArn,
  });
  return output;
}

/** Input of Rollback: `green` is missing when CreateGreen did not return. */
export interface RollbackInput {
  deployment: Deployment;
  render?: DeployInput['render'];
  green?: GreenState;
  error: CaughtError;
}

/** Output of Rollback: what the listeners and the service look like afterwards. */
export interface RollbackOutput {
  /** Production listener weights read back, by target group ARN. */
  productionWeights: Record<string, number>;
  testWeights: Record<string, number> | null;
  primaryTaskSetArn: string | null;
  /** This deployment's task set, deleted (by this call or an earlier one, when known); null when there was none. */
  deletedGreenTaskSetArn: string | null;
  cause: FailureSummary;
  /** What was done, for logs and the record. */
  summary: string;
  /**
   * Production stays on this deployment's revision: Finalize had already deleted blue (or made a first deployment's
   * green PRIMARY), so there is nothing to go back to. The record must then say SUCCEEDED, not ROLLED_BACK.
   */
  keptGreen: boolean;
}

/** What Rollback found, before it changes anything. */
interface Situation {
  cluster: string;
  service: string;
  productionListenerArn: string;
  testListenerArn: string;
  /** The group live before the deployment; null when it cannot be told (no task set of ours, listener split). */
  live: string | null;
  greenGroup: string | null;
  blue: TaskSetInfo | undefined;
  green: TaskSetInfo | undefined;
  greenArn: string | null;
  /** Blue was there and is gone (Finalize deleted it), or a first deployment's green is already PRIMARY. */
  keepGreen: boolean;
}

/**
 * Rollback: reads where the deployment got to, then moves production and test traffic back to the previously
 * live group (read back), makes the old task set PRIMARY again and deletes the green one, in that order, so that
 * a failure at any point leaves traffic on blue. Never sends traffic to a group whose task set is gone: when
 * Finalize already deleted blue, traffic stays on green and the summary says to redeploy the previous revision.
 */
export async function rollback(
  input: RollbackInput,
  config: DeployConfig,
  deps: DeployClients & { table: DeploymentsTable },
  now: () => Date = () => new Date(),
): Promise<RollbackOutput> {
  requireDeployment(input.deployment, 'Rollback', 'events/rollback.json');
  if (!input.error || typeof input.error.Error !== 'string') {
    throw new InvalidInputError(
      'Rollback expects "error": {"Error", "Cause"} as the Catch leaves it (see events/rollback.json)',
    );
  }
  const cause = summarizeFailure(input.error);
  const { ecs, elbv2 } = deps;
  // The machine seeds `$.green` with {} before CreateGreen (a Pass with a null Result would pass its input
  // through in the local engine): an empty green is no green.
  const green = input.green && Object.keys(input.green).length > 0 ? input.green : undefined;
  const at = await situation({ ...input, green }, config, ecs, elbv2);
  const serve = at.keepGreen ? at.greenGroup : at.live;
  const other = at.keepGreen ? at.live : at.greenGroup;

  let productionWeights: Record<string, number>;
  let testWeights: Record<string, number> | null = null;
  if (serve && other) {
    const target = { [serve]: 100, [other]: 0 };
    // Every rule the shift moved comes back with the default action; a rule that also forwards to another
    // group was never moved (setWeights refuses it), so it is left as it is rather than failing the rollback.
    const restore = { mixedRules: 'leave' } as const;
    productionWeights = weightsOf(await setWeights(elbv2, at.productionListenerArn, target, restore));
    if (at.testListenerArn) {
      testWeights = weightsOf(await setWeights(elbv2, at.testListenerArn, target, restore));
    }
  } else {
    // CreateGreen refused this listener before writing anything: it is not ours to change.
    productionWeights = weightsOf(await readForward(elbv2, at.productionListenerArn));
  }

  let summary: string;
  if (at.keepGreen && at.green) {
    await makePrimary(ecs, ref(at, at.green.arn));
    summary =
      `the task set that served ${at.live} before this deployment is gone (deleted or draining), so ` +
      `traffic stays on green ${at.greenGroup} (task set ${at.green.arn}, PRIMARY); to go back, deploy the previous ` +
      'revision (switchyard rollback)';
  } else {
    if (at.blue) await makePrimary(ecs, ref(at, at.blue.arn));
    if (at.green) await deleteTaskSet(ecs, ref(at, at.green.arn));
    summary = at.live
      ? `traffic back on ${at.live}${at.blue ? `, task set ${at.blue.arn} PRIMARY` : ' (no task set before this deployment)'}` +
        `${at.greenArn ? `, green task set ${at.greenArn} deleted` : ', no green task set to delete'}`
      : 'no task set of this deployment, and the production listener does not send all traffic to one group of the ' +
        `pair (${formatWeights(productionWeights)}), as before this deployment: nothing changed`;
  }

  const { primary } = await findTaskSets(ecs, at.cluster, at.service);
  const output: RollbackOutput = {
    productionWeights,
    testWeights,
    primaryTaskSetArn: primary?.arn ?? null,
    deletedGreenTaskSetArn: at.keepGreen ? null : at.greenArn,
    cause,
    summary,
    keptGreen: at.keepGreen && at.green !== undefined,
  };
  await deps.table.update(input.deployment, {
    rollback: output,
    rolledBackAt: now().toISOString(),
  });
  return output;
}

/** Reads the service's task sets and, when needed, the production listener; changes nothing. */
async function situation(
  input: RollbackInput,
  config: DeployConfig,
  ecs: EcsClient,
  elbv2: DeployClients['elbv2'],
): Promise<Situation> {
  const cluster = input.green?.cluster ?? config.cluster;
  const service = input.green?.service ?? config.service;
  const { primary, active } = await findTaskSets(ecs, cluster, service);
  const sets = primary ? [primary, ...active] : active;
  const byArn = (arn: string | null) => (arn ? sets.find((set) => set.arn === arn) : undefined);

  if (input.green) {
    const green = requireGreen(input, 'Rollback', 'events/rollback.json');
    const blue = byArn(green.blueTaskSetArn);
    const mine = byArn(green.greenTaskSetArn);
    const blueGone = green.blueTaskSetArn !== null && !blue;
    const firstAndPrimary = green.blueTaskSetArn === null && mine?.status === 'PRIMARY';
    return {
      cluster,
      service,
      productionListenerArn: green.productionListenerArn,
      testListenerArn: green.testListenerArn,
      live: green.liveTargetGroupArn,
      greenGroup: green.greenTargetGroupArn,
      blue,
      green: mine,
      greenArn: green.greenTaskSetArn,
      keepGreen: mine !== undefined && (blueGone || firstAndPrimary),
    };
  }

  // CreateGreen did not return: its task set, if it made one, carries the deployment's token as externalId.
  const pair = config.targetGroups;
  const token = greenClientToken(input.deployment.id);
  const mine = sets.find((set) => set.externalId === token);
  let live: string | null = null;
  let greenGroup: string | null = null;
  if (mine?.targetGroupArn && pair.includes(mine.targetGroupArn)) {
    greenGroup = mine.targetGroupArn;
    live = pair[0] === greenGroup ? pair[1] : pair[0];
  } else if (mine) {
    throw new ServiceNotReadyError(
      `task set ${mine.arn} of this deployment serves ${mine.targetGroupArn ?? 'no target group'}, not one of ` +
        `${pair.join(', ')}; the stack's target group parameters changed during the deployment: delete the task ` +
        'set and point the production listener at the live group by hand',
    );
  } else {
    const forward = await readForward(elbv2, config.productionListenerArn);
    const traffic = classifyOrNull(config.productionListenerArn, forward, pair);
    if (traffic?.kind === 'single') ({ live, green: greenGroup } = traffic);
  }
  const blue = primary && primary !== mine ? primary : undefined;
  return {
    cluster,
    service,
    productionListenerArn: config.productionListenerArn,
    testListenerArn: config.testListenerArn,
    live,
    greenGroup,
    blue,
    green: mine,
    greenArn: mine?.arn ?? null,
    keepGreen: false,
  };
}

/** The listener's traffic, or null when it forwards to no group of the pair (CreateGreen refused it: not ours). */
function classifyOrNull(
  ...args: Parameters<typeof classifyForward>
): ReturnType<typeof classifyForward> | null {
  try {
    return classifyForward(...args);
  } catch (error) {
    if (error instanceof ServiceNotReadyError) return null;
    throw error;
  }
}

function ref(where: { cluster: string; service: string }, taskSetArn: string) {
  return { cluster: where.cluster, service: where.service, taskSetArn };
}

function formatWeights(weights: Record<string, number>): string {
  return Object.entries(weights)
    .map(([arn, weight]) => `${arn}=${weight}`)
    .join(', ');
}
