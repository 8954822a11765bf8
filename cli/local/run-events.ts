/**
 * How a local run reports itself: the library's state events as RunEvents (each state entered recorded), and how
 * an execution that did not succeed ended.
 */
import type { ListenerEvent } from './execution-status-change';

/** One event of a run, for progress output. */
export type RunEvent =
  | { type: 'state-entered'; state: string; stateType: string; at: number }
  | { type: 'state-exited'; state: string; stateType: string; at: number; output: unknown }
  | { type: 'state-retried'; state: string; attempt: number; at: number }
  | { type: 'state-failed'; state: string; error: string; cause: unknown; at: number }
  | ListenerEvent;

/** How a run that did not succeed ended. */
type Ending = { status: 'FAILED' | 'ABORTED'; output: null; error: { name: string; cause: string } };

type EventLogs = ReturnType<import('aws-local-stepfunctions').StateMachine['run']>['eventLogs'];

/** Records each state entered in `statesVisited` and reports the library's state events as RunEvents. */
export async function followEvents(
  events: EventLogs,
  statesVisited: string[],
  onEvent: ((event: RunEvent) => void) | undefined,
): Promise<void> {
  for await (const event of events) {
    if (event.type === 'StateEntered') {
      statesVisited.push(event.state.name);
      onEvent?.({
        type: 'state-entered',
        state: event.state.name,
        stateType: event.state.type,
        at: event.timestamp,
      });
    } else if (event.type === 'StateExited') {
      onEvent?.({
        type: 'state-exited',
        state: event.state.name,
        stateType: event.state.type,
        at: event.timestamp,
        output: event.state.output,
      });
    } else if (event.type === 'StateRetried') {
      onEvent?.({
        type: 'state-retried',
        state: event.state.name,
        attempt: event.retry.attempt,
        at: event.timestamp,
      });
    } else if (event.type === 'StateFailed') {
      onEvent?.({
        type: 'state-failed',
        state: event.state.name,
        error: event.Error,
        cause: event.Cause,
        at: event.timestamp,
      });
    }
  }
}
export function failureOf(error: unknown): Ending {
  const err = error instanceof Error ? error : new Error(String(error));
  if (err.name === 'ExecutionAbortedError')
    return { status: 'ABORTED', output: null, error: { name: 'Aborted', cause: err.message } };
  // ExecutionError carries the Fail state's (or the uncaught task's) error in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const inner = cause as Error & { cause?: unknown };
    const detail = typeof inner.cause === 'string' ? inner.cause : inner.message;
    return { status: 'FAILED', output: null, error: { name: inner.name, cause: detail } };
  }
  return { status: 'FAILED', output: null, error: { name: err.name, cause: err.message } };
}
