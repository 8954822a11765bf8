/**
 * What a local run would cost and weigh on AWS: the state transitions Step Functions would bill, the Lambda
 * invocations and their GB-seconds, and the events the execution's history would hold (quota 25,000). Counted
 * from the run's own events against the definition, so a local run with compressed waits gives the AWS figures
 * of the same path through the machine. Used by `switchyard local --json` and `npm run bench:cost`.
 */
import type { PipelineDefinition } from './template';

/**
 * Prices in us-east-1. Step Functions Standard: $0.025 per 1,000 state transitions
 * (https://aws.amazon.com/step-functions/pricing/). Lambda: $0.20 per 1M requests and $0.0000166667 per
 * GB-second on x86 (https://aws.amazon.com/lambda/pricing/).
 */
export const PRICES = {
  stateTransitionUsd: 0.000025,
  lambdaRequestUsd: 0.2 / 1_000_000,
  lambdaGbSecondUsd: 0.0000166667,
} as const;

/**
 * The execution history quota of a Standard workflow: an execution that would exceed it fails
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-state-machine-executions).
 */
export const HISTORY_EVENT_QUOTA = 25_000;

/** The AWS figures of one execution. */
export interface AwsFigures {
  transitions: number;
  lambdaInvocations: number;
  historyEvents: number;
  lambdaGbSeconds: number;
  costUsd: number;
}

/** The state-machine events the meter needs (a subset of state-machine.ts's RunEvent). */
export type MeterEvent =
  | { type: 'state-entered'; state: string; stateType: string }
  | { type: 'state-retried'; state: string }
  | { type: 'state-exited'; state: string; stateType: string }
  | { type: string; state?: string };

/**
 * History events per state, as the execution history lists them
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html): every state has its
 * Entered and Exited events; a Lambda task adds Scheduled, Started and Succeeded (or Failed); a `.sync` or
 * `.waitForTaskToken` task adds TaskScheduled, TaskStarted, TaskSubmitted and TaskSucceeded (or Failed, TimedOut).
 * A retried attempt adds its own Scheduled, Started and Failed.
 */
function eventsOfState(state: { Type: string; Resource?: unknown } | undefined): number {
  if (!state) return 2;
  if (state.Type !== 'Task') return 2;
  const resource = String(state.Resource ?? '');
  if (resource.endsWith('.sync') || resource.endsWith('.waitForTaskToken')) return 6;
  return 5;
}

/** Counts one execution's AWS figures from its events; `invoked` reports each Lambda invocation. */
export function awsMeter(definition: PipelineDefinition) {
  const states = allStates(definition);
  let transitions = 0;
  let historyEvents = 2; // ExecutionStarted and the execution's end
  let lambdaInvocations = 0;
  let lambdaGbSeconds = 0;
  return {
    onEvent(event: MeterEvent): void {
      if (event.type === 'state-entered' && event.state) {
        transitions += 1;
        historyEvents += eventsOfState(states[event.state]);
      } else if (event.type === 'state-retried') {
        historyEvents += 3;
      }
    },
    /** One Lambda invocation of `memoryMb` that ran `ms` (Lambda bills by the millisecond). */
    invoked(memoryMb: number, ms: number): void {
      lambdaInvocations += 1;
      lambdaGbSeconds += (memoryMb / 1024) * (Math.max(1, Math.ceil(ms)) / 1000);
    },
    figures(): AwsFigures {
      const costUsd =
        transitions * PRICES.stateTransitionUsd +
        lambdaInvocations * PRICES.lambdaRequestUsd +
        lambdaGbSeconds * PRICES.lambdaGbSecondUsd;
      return {
        transitions,
        lambdaInvocations,
        historyEvents,
        lambdaGbSeconds: round(lambdaGbSeconds, 3),
        costUsd: round(costUsd, 6),
      };
    },
  };
}

function allStates(definition: PipelineDefinition): Record<string, { Type: string; Resource?: unknown }> {
  const out: Record<string, { Type: string; Resource?: unknown }> = {};
  const visit = (states: Record<string, unknown>) => {
    for (const [name, raw] of Object.entries(states)) {
      const state = raw as {
        Type: string;
        Resource?: unknown;
        Branches?: { States: Record<string, unknown> }[];
      };
      out[name] = state;
      for (const branch of state.Branches ?? []) visit(branch.States);
    }
  };
  visit(definition.States as Record<string, unknown>);
  return out;
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
