/**
 * The executions of `switchyard local --watch`. Every deployment, whether the watch saw a commit or someone ran
 * `switchyard deploy` / `rollback` against the local stack, starts as StartExecution on the emulator's pipeline
 * state machine (watch-stack.ts). The emulator only records it (RUNNING); this loop finds each new one with
 * ListExecutions, reads its input, and runs it in this process with the real state machine and handlers, under the
 * same execution ARN, so the deployment record, the task tokens and the other commands all name one execution.
 * When the run ends the emulator's execution is stopped: it cannot be marked SUCCEEDED or FAILED, and the
 * deployment record, not the execution, says how a deployment ended (cli/stack/follow.ts reads it that way).
 * An execution someone stops on the emulator (StopExecution: `aws stepfunctions stop-execution`, the Step Functions
 * API) stops its local run too, as in AWS: no further state runs, and CleanUp, called as EventBridge calls it on the
 * ABORTED status change, rolls back and closes the record
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StopExecution.html).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { abortLocalDeployment } from './local-abort';
import { isManualPause, localWait } from './local-run';
import type { LocalTargetStack } from './local-target';
import { progress } from './progress';
import type { Repository } from './repository';
import { printSummary, summarize } from './run-summary';
import { type LocalHandler, type RunningPipeline, startPipeline } from './state-machine';

/** How often the emulator is asked for new executions. */
const POLL_MS = 250;

/** What runs the watch's deployments. */
export interface WatchExecutor {
  /** The names (deployment ids) of the deployments running now. */
  running(): string[];
  /** Takes no new execution from now on. */
  close(): void;
  /** Aborts every running deployment as `switchyard abort` does, and settles once all have ended. */
  abortAll(): Promise<void>;
}

/**
 * How long a wait of the watch lasts. A pause, the bake and the wait for the lock are callback waits that
 * `switchyard promote`, `abort` or a lock release end at once, so each lasts 1 s at most; a manual pause's waits
 * last as in AWS (localWait), so it expires after ManualPauseTimeoutMinutes of real time. Other waits as a single
 * local run's.
 */
export function watchWait(state: string, seconds: number, payload?: unknown): number {
  if (isManualPause(payload)) return seconds * 1000;
  if (state === 'WaitInPause' || state === 'WaitInBake' || state === 'WaitForLock')
    return Math.min(seconds, 1) * 1000;
  return localWait(state);
}

/** What a line of the execution's input says it deploys. */
function describeInput(input: unknown): string {
  const event = (input ?? {}) as {
    detail?: { commitId?: string; referenceName?: string };
    commitId?: string;
  };
  if (event.detail?.commitId)
    return `push of ${event.detail.commitId.slice(0, 7)} to ${event.detail.referenceName ?? '?'}`;
  const text = JSON.stringify(input);
  return text === '{}' ? 'manual start of the head of the branch' : `manual start ${text}`;
}

/** Starts the loop that runs each new execution of `stateMachineArn`. */
export function startExecutor(options: {
  stack: LocalTargetStack;
  stateMachineArn: string;
  repo: Repository;
  strategy: string;
  endpoint: string;
  handlers?: Record<string, LocalHandler>;
  print: (line: string) => void;
}): WatchExecutor {
  const { stack, print } = options;
  const sfn = new SFNClient({});
  const dynamodb = new DynamoDBClient({});
  const tableName = String(stack.resources.DeploymentsTable);
  const seen = new Set<string>();
  /** The executions stopped from outside, each said and aborted once. */
  const stopped = new Set<string>();
  const runs = new Map<
    string,
    { executionArn: string; pipeline: RunningPipeline; done: Promise<void>; finished: () => boolean }
  >();
  let closed = false;
  let complained = false;

  const run = (executionArn: string, name: string, input: unknown) => {
    const started = Date.now();
    print(`▶ deployment ${name}: ${describeInput(input)}`);
    const stages = progress((line) => print(`  ${line}`));
    const pipeline = startPipeline({
      input,
      stack,
      executionName: name,
      waitMs: watchWait,
      handlers: options.handlers,
      onEvent: stages.onEvent,
    });
    if (pipeline.executionArn !== executionArn)
      print(`  warning: the local run's ARN ${pipeline.executionArn} is not the emulator's ${executionArn}`);
    let finished = false;
    const done = (async () => {
      const result = await pipeline.result;
      finished = true;
      stages.finish();
      await sfn
        .send(new StopExecutionCommand({ executionArn, error: `Local.${result.status}` }))
        .catch(() => undefined);
      const table = new DeploymentsTable(dynamodb, tableName);
      const record = (await table.listRecords(options.repo.name, 50)).find(
        (item) => item.deploymentId === name,
      );
      if (!record) {
        // Prepare ended it before writing a record: a commit already deployed or running, an invalid input.
        const reason = (result.output as { reason?: unknown } | null)?.reason;
        const why =
          typeof reason === 'string'
            ? reason
            : result.error
              ? `${result.error.name}: ${result.error.cause}`
              : '';
        print(
          `■ deployment ${name} ended ${result.status} without a deployment record${why ? `: ${why}` : ''}`,
        );
        return;
      }
      const commitId = typeof record.commitId === 'string' ? record.commitId : '';
      const summary = await summarize(result, {
        repo: { ...options.repo, commitId },
        strategy: options.strategy,
        target: stack.target,
        started,
        endpoint: options.endpoint,
        tableName,
        executionName: name,
      });
      print(`■ deployment ${name} ended ${String(record.status ?? result.status)}`);
      printSummary(summary, result, (line) => print(`  ${line}`));
    })()
      .catch((error: unknown) => print(`  deployment ${name}: ${String(error)}`))
      .finally(() => runs.delete(name));
    runs.set(name, { executionArn, pipeline, done, finished: () => finished });
  };

  const poll = async () => {
    const { executions = [] } = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn, statusFilter: 'RUNNING' }),
    );
    // A run whose execution is no longer RUNNING on the emulator, while it still runs here, was stopped by someone.
    const running = new Set(executions.map((execution) => execution.executionArn));
    for (const [name, entry] of runs) {
      if (entry.finished() || running.has(entry.executionArn) || stopped.has(entry.executionArn)) continue;
      stopped.add(entry.executionArn);
      const described = await sfn
        .send(new DescribeExecutionCommand({ executionArn: entry.executionArn }))
        .catch(() => undefined);
      const why = described?.cause || described?.error;
      print(
        `■ deployment ${name}: its execution was stopped${why ? ` (${why})` : ''}; it stops here, and CleanUp ` +
          'rolls it back as in AWS',
      );
      entry.pipeline.abort();
    }
    // Oldest first: the order they were started in.
    for (const execution of [...executions].reverse()) {
      const arn = execution.executionArn;
      if (!arn || !execution.name || seen.has(arn) || closed) continue;
      seen.add(arn);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      run(arn, execution.name, JSON.parse(described.input ?? '{}'));
    }
  };

  void (async () => {
    while (!closed) {
      try {
        await poll();
        complained = false;
      } catch (error) {
        if (!complained) print(`could not read the emulator's executions: ${String(error)}; trying again`);
        complained = true;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();

  return {
    running: () => [...runs.keys()],
    close: () => {
      closed = true;
    },
    abortAll: async () => {
      const ending = [...runs.entries()].map(async ([name, { pipeline, done }]) => {
        await abortLocalDeployment({
          tableName,
          repository: options.repo.name,
          deploymentId: name,
          ended: pipeline.result,
          print,
          fallback: pipeline.abort,
        });
        await done;
      });
      await Promise.all(ending);
    },
  };
}
