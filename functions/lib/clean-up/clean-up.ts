/**
 * The CleanUp core: an execution that was aborted, timed out or failed outside the machine's catches runs none of
 * its states again, so what it left is undone here. In order: the record is marked `stopping` (record/fence.ts:
 * from then on the fence refuses the stopped tasks' writes); its build is stopped; CleanUp waits until no task of
 * the stopped execution can still run (stop-wait.ts); then, reading the record afresh, it rolls production back
 * and removes green (also a green task set the record never learnt of: orphan-green.ts); last, it closes the
 * record and the commit's claim and releases the service's lock and queue place, waking the deployments waiting
 * for it (record/lock-wait.ts), so they go at once.
 */
import { type CodeBuildCalls, getBuild, stopBuild } from '../build/codebuild';
import type { GreenState } from '../deploy/state';
import type { DeploymentEvents } from '../record/deployment-events';
import type { Deployment, DeploymentStatus, DeploymentsTable } from '../record/deployments';
import type { StoppingMark } from '../record/fence';
import { releaseLock } from '../record/lock';
import { getLock, type LockTable, type ServiceRef } from '../record/lock-table';
import { ENDINGS, type ExecutionStatusChange, parseStatusChange } from './status-change';
import { type StopClock, waitForStoppedTasks } from './stop-wait';

export type { ExecutionStatusChange } from './status-change';

/** What CleanUp did. */
export interface CleanUpResult {
  deploymentId: string;
  action: 'closed' | 'already-ended' | 'no-record';
  stoppedBuild: string | null;
  /** True when the execution still held the service's lock and CleanUp released it. */
  releasedLock: boolean;
  /** True when the deployment had started green and CleanUp rolled it back. */
  rolledBack?: boolean;
  /** A green task set of this deployment the record did not know (CreateGreen's answer lost), removed. */
  orphanGreenTaskSetArn?: string | null;
  /** Milliseconds CleanUp waited for the stopped execution's tasks. */
  waitedMs?: number;
  /** No record: the claim Prepare made before it stopped, ended here. */
  closedClaim?: boolean;
}

/** What CleanUp works with; the handler wires AWS, tests inject. */
export interface CleanUpDeps {
  codebuild: CodeBuildCalls;
  table: DeploymentsTable;
  repository: string;
  lock: ServiceRef & { table: LockTable };
  /**
   * Puts production back on the live target group and removes green, as the machine's Rollback state does; without
   * `green` it finds the task set by the deployment's externalId (deploy/finalize-rollback.ts).
   */
  rollBack?: (deployment: Deployment, green: GreenState | undefined, cause: string) => Promise<unknown>;
  /** record/fence.ts markStopping: true when the record carries the mark (false: it is no longer RUNNING). */
  markStopping?: (deployment: Deployment, mark: StoppingMark) => Promise<boolean>;
  /** When given, CleanUp undoes nothing before the stopped execution's tasks are over. */
  clock?: StopClock;
  /** The ARN of a task set made for the deployment (by externalId), if any. */
  findOrphanGreen?: (deployment: Deployment) => Promise<string | undefined>;
  /** Without a record: ends the claim the deployment still holds RUNNING; true when it did. */
  closeClaim?: (deploymentId: string, status: DeploymentStatus) => Promise<boolean>;
  /**
   * The deployment state-change events (record/deployment-events.ts): the end this run records is put once, by the
   * run that closed the record; its `publish` never throws (a failure is logged and the clean-up goes on).
   */
  events?: DeploymentEvents;
  /** The end-of-deployment metrics (shared/metrics.ts), written once, by the run that closes the record. */
  metrics?: (deployment: Deployment, status: DeploymentStatus, rolledBack: boolean) => void;
}

/** Cleans up after one aborted, timed-out or uncaught-failed execution. */
export async function cleanUp(event: ExecutionStatusChange, deps: CleanUpDeps): Promise<CleanUpResult> {
  const ended = parseStatusChange(event);
  const { reason, name, status } = ENDINGS[ended.status];
  const now = () => (deps.clock?.now ?? Date.now)();
  const found = await deps.table.findRecord(deps.repository, ended.name, ended.startDate);
  // Without a record the execution ended before Prepare opened one: it never reached AcquireLock, but Prepare
  // may have claimed the commit first, and a claim left RUNNING would skip every later push of it.
  if (!found) {
    const closedClaim = (await deps.closeClaim?.(ended.name, status)) ?? false;
    return {
      deploymentId: ended.name,
      action: 'no-record',
      stoppedBuild: null,
      releasedLock: false,
      closedClaim,
    };
  }
  const { deployment } = found;
  // An ended record may still hold the lock when RecordResult's release failed and the execution then stopped.
  if (found.status !== 'RUNNING') return alreadyEnded(deployment, deps, found.status);
  const mark = {
    at: new Date(now()).toISOString(),
    reason,
    executionId: ended.executionArn ?? deployment.executionId,
  };
  if (deps.markStopping && !(await deps.markStopping(deployment, mark)))
    return alreadyEnded(
      deployment,
      deps,
      (await deps.table.getRecord(deployment))?.status as DeploymentStatus,
    );

  let stoppedBuild = await stopRunningBuild(deps.codebuild, found.build?.id);
  let waitedMs = 0;
  if (deps.clock) {
    const stopMs = ended.stopDate ?? stoppingSince(await deps.table.getRecord(deployment)) ?? now();
    waitedMs = await waitForStoppedTasks(stopMs, deps.clock);
  }
  // Afresh: during the wait a stopped task may have ended the record, started a build or created green.
  const record = (await deps.table.getRecord(deployment)) ?? {};
  if (record.status !== undefined && record.status !== 'RUNNING')
    return alreadyEnded(deployment, deps, record.status as DeploymentStatus);
  const build = record.build as { id?: string } | undefined;
  if (build?.id && build.id !== stoppedBuild)
    stoppedBuild = (await stopRunningBuild(deps.codebuild, build.id)) ?? stoppedBuild;

  const green = nonEmpty(record.green) ?? nonEmpty(found.green);
  const holder = await getLock(deps.lock.table, deps.lock);
  // CreateGreen runs only under the lock (and the fence refuses it without): without it there is no green to find.
  const orphan =
    !green && holder?.deploymentId === deployment.id ? await deps.findOrphanGreen?.(deployment) : undefined;
  let rolledBack = false;
  let keptGreen = false;
  if ((green || orphan) && deps.rollBack) {
    const result = await deps.rollBack(deployment, green as GreenState | undefined, reason);
    // Finalize had deleted blue (RecordSuccess then failed, say): production serves the new revision and keeps
    // it, so the record says SUCCEEDED, never FAILED or ABORTED while green serves 100 % (RollbackOutput).
    keptGreen = (result as { keptGreen?: unknown } | undefined)?.keptGreen === true;
    rolledBack = !keptGreen;
  }
  const done = [
    stoppedBuild ? `; build ${stoppedBuild} was stopped` : '',
    rolledBack ? '; production was rolled back to the live target group and green removed' : '',
    keptGreen
      ? '; Finalize had already made the new revision PRIMARY and deleted the old one: production keeps it'
      : '',
    orphan ? ` (task set ${orphan}, which the record did not know)` : '',
  ].join('');
  const ending = keptGreen ? 'SUCCEEDED' : status;
  const error = { name, message: `${reason}${done}` };
  const { previous } = await deps.table.finish(deployment, ending, { error });
  // Only the run whose write ended the record (it was RUNNING) announces the end: a later, retried or concurrent
  // one finds it ended (alreadyEnded, or here a previous status already final), so the end is put and counted once;
  // before the release, whose failure Lambda retries, so a retry does not lose it either. The state is the record's:
  // production is on the live target group (ABORTED, FAILED) or keeps green (SUCCEEDED), as the machine's own end
  // events say (docs/EVENTS.md).
  if (previous === 'RUNNING') {
    await deps.events?.publish({ deployment, state: ending, error });
    deps.metrics?.(deployment, ending, rolledBack);
  }
  const releasedLock = await release(deployment, deps.lock);
  return {
    deploymentId: ended.name,
    action: 'closed',
    stoppedBuild,
    releasedLock,
    rolledBack,
    orphanGreenTaskSetArn: orphan ?? null,
    waitedMs,
  };
}

async function alreadyEnded(
  deployment: Deployment,
  deps: CleanUpDeps,
  status?: DeploymentStatus,
): Promise<CleanUpResult> {
  // RecordResult writes the record, then the claim: its retries may have run out between the two.
  if (status && status !== 'RUNNING') await deps.table.endClaim(deployment, status);
  const releasedLock = await release(deployment, deps.lock);
  return { deploymentId: deployment.id, action: 'already-ended', stoppedBuild: null, releasedLock };
}

/** Stops the build when it is still in progress; its id when this call stopped it. */
async function stopRunningBuild(
  codebuild: CodeBuildCalls,
  buildId: string | undefined,
): Promise<string | null> {
  if (!buildId) return null;
  const build = await getBuild(codebuild, buildId);
  if (build.buildStatus !== 'IN_PROGRESS') return null;
  await stopBuild(codebuild, buildId);
  return buildId;
}

/** When CleanUp first marked the record (the stop time of an event that lacks one). */
function stoppingSince(record: Record<string, unknown> | undefined): number | undefined {
  const at = Date.parse(String((record?.stopping as StoppingMark | undefined)?.at));
  return Number.isNaN(at) ? undefined : at;
}

/** The machine seeds `green` with {} before CreateGreen: an empty green is no green. */
function nonEmpty(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && Object.keys(value).length > 0
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Releases the service's lock and queue item of the deployment; true when it held the lock. */
async function release(deployment: Deployment, lock: ServiceRef & { table: LockTable }): Promise<boolean> {
  const { released } = await releaseLock(lock.table, {
    deployment,
    cluster: lock.cluster,
    service: lock.service,
  });
  return released;
}
