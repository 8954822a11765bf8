/**
 * The reconciler, run on a schedule: EventBridge delivers pushes and status changes at least once but on a best
 * effort basis, and Lambda drops an asynchronous CleanUp after its retries. So, each run:
 * 1. a branch head nobody deployed (no claim for the commit in the deployments table) is started as if its push
 *    had arrived: a push-shaped input under a name fixed per commit (push-input.ts), so the reconciler starts it
 *    at most once; if the push's own execution also runs, Prepare's claim lets one of them deploy and the other
 *    end as a duplicate (AlreadyHandled);
 * 2. a claim (or a recent record) still RUNNING whose execution no longer runs gets CleanUp again, with the
 *    status-change event EventBridge sent for it (clean-up/status-change.ts), once CleanUp's own attempts are
 *    surely over (`redriveAfterMs` after the stop), so a claim is never left RUNNING.
 */
import { type ExecutionStatusChange, statusChangeEvent } from '../clean-up/status-change';
import type { DeploymentsTable } from '../record/deployments';
import type { RunningItem } from '../record/running-claims';
import type { JsonClient } from '../shared/aws-json';
import { InvalidInputError } from '../shared/errors';
import { resolveBranchHead } from '../source/prepare';
import { describeExecution, executionArnOf, startNamedExecution } from './executions';
import { pushInput, reconcileExecutionName } from './push-input';

/** What the schedule hands the reconciler (template.yaml, ReconcileSchedule's Input). */
export interface ReconcileInput {
  stateMachineArn: string;
  cleanUpFunctionArn: string;
}

/** What one run did. */
export interface ReconcileResult {
  head: {
    commitId: string;
    action: 'started' | 'already-started' | 'handled';
    executionArn?: string;
    /** Who holds the commit when it was handled already. */
    claim?: { deploymentId: string; status: string };
  };
  redriven: { deploymentId: string; executionArn: string; status: string }[];
  /** RUNNING items left alone, and why. */
  left: { deploymentId: string; executionArn: string; why: string }[];
}

/** A CleanUp is re-driven only this long after the stop: its own attempts (three, and its wait) are over by then. */
export const REDRIVE_AFTER_MS = 30 * 60 * 1000;

export interface ReconcileDeps {
  /** CodeCommit (GetBranch) and Step Functions as JSON calls: `jsonClient(CODECOMMIT)`, `jsonClient(STEP_FUNCTIONS)`. */
  codecommit: JsonClient;
  sfn: JsonClient;
  table: DeploymentsTable;
  pipeline: { repository: string; branch: string };
  runningItems: () => Promise<RunningItem[]>;
  /** Invokes CleanUp (asynchronously) with the event. */
  redrive: (event: ExecutionStatusChange) => Promise<void>;
  now?: () => Date;
  redriveAfterMs?: number;
}

const STATE_MACHINE_ARN = /^arn:[\w-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[\w-]{1,80}$/;
const FUNCTION_ARN = /^arn:[\w-]+:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}$/;

/** Checks the schedule's input before any call; InvalidInputError names the field and the fix. */
export function parseReconcileInput(input: unknown): ReconcileInput {
  const value = (input ?? {}) as Record<string, unknown>;
  for (const [field, pattern] of [
    ['stateMachineArn', STATE_MACHINE_ARN],
    ['cleanUpFunctionArn', FUNCTION_ARN],
  ] as const) {
    if (typeof value[field] !== 'string' || !pattern.test(value[field] as string)) {
      throw new InvalidInputError(
        `Reconcile input field "${field}" is ${JSON.stringify(value[field])}: expected ${pattern.source}, as ` +
          "template.yaml's ReconcileSchedule passes it (see events/reconcile.json)",
      );
    }
  }
  return value as unknown as ReconcileInput;
}

/** One run of the reconciler. */
export async function reconcile(input: unknown, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { stateMachineArn } = parseReconcileInput(input);
  const now = deps.now ?? (() => new Date());
  const { repository, branch } = deps.pipeline;

  const commitId = await resolveBranchHead(deps.codecommit, repository, branch);
  const claim = await deps.table.getClaim(repository, commitId);
  let head: ReconcileResult['head'];
  if (claim) {
    head = { commitId, action: 'handled', claim: { deploymentId: claim.deploymentId, status: claim.status } };
  } else {
    const [, , , region = '', account = ''] = stateMachineArn.split(':');
    const name = reconcileExecutionName(commitId);
    // An earlier run started it and its Prepare has not claimed the commit yet: nothing more to start.
    const earlier = await describeExecution(deps.sfn, executionArnOf(stateMachineArn, name));
    const { started, executionArn } = earlier
      ? { started: false, executionArn: earlier.executionArn }
      : await startNamedExecution(deps.sfn, {
          stateMachineArn,
          name,
          input: pushInput({ repository, branch, commitId, region, account, time: now() }),
        });
    head = { commitId, action: started ? 'started' : 'already-started', executionArn };
  }

  const redriven: ReconcileResult['redriven'] = [];
  const left: ReconcileResult['left'] = [];
  const seen = new Set<string>();
  for (const item of await deps.runningItems()) {
    if (seen.has(item.executionId)) continue;
    seen.add(item.executionId);
    const leave = (why: string) =>
      left.push({ deploymentId: item.deploymentId, executionArn: item.executionId, why });
    const execution = await describeExecution(deps.sfn, item.executionId);
    if (!execution) {
      // Never started here, or its history expired (90 days): nothing of it runs; CleanUp dates the stop itself.
      const started = new Date(Date.parse(item.startedAt) || 0);
      await redriveFor(
        {
          executionArn: item.executionId,
          stateMachineArn,
          name: item.deploymentId,
          status: 'ABORTED',
          startDate: started,
        },
        item,
      );
      continue;
    }
    if (['RUNNING', 'PENDING_REDRIVE'].includes(execution.status)) {
      leave(`execution ${execution.status}`);
      continue;
    }
    if (execution.status === 'SUCCEEDED') {
      leave('execution SUCCEEDED although the item is RUNNING: not a stop CleanUp handles; see the record');
      continue;
    }
    const stoppedMs = execution.stopDate?.getTime() ?? 0;
    if (now().getTime() - stoppedMs < (deps.redriveAfterMs ?? REDRIVE_AFTER_MS)) {
      leave(`stopped ${execution.stopDate?.toISOString()}: CleanUp's own attempts may still be running`);
      continue;
    }
    await redriveFor(execution, item);
  }
  return { head, redriven, left };

  async function redriveFor(execution: Parameters<typeof statusChangeEvent>[0], item: RunningItem) {
    await deps.redrive(statusChangeEvent(execution, 'switchyard-reconcile'));
    redriven.push({
      deploymentId: item.deploymentId,
      executionArn: item.executionId,
      status: execution.status,
    });
  }
}
