/**
 * The EventBridge "Step Functions Execution Status Change" event CleanUp acts on: what it must hold, how each
 * ending is recorded, and the same event synthesized from a DescribeExecution answer, so that the reconciler and
 * `switchyard cleanup --resume` re-drive a CleanUp that was lost exactly as EventBridge would have driven it.
 * Event shape: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-states.html (delivery: best effort)
 */
import { InvalidInputError } from '../shared/errors';

/** The part of the EventBridge "Step Functions Execution Status Change" event CleanUp reads. */
export interface ExecutionStatusChange {
  'detail-type'?: string;
  source?: string;
  detail?: {
    executionArn?: string;
    stateMachineArn?: string;
    name?: string;
    status?: string;
    startDate?: number;
    stopDate?: number | null;
  };
}

/** The statuses CleanUp handles: the ends the machine's own states did not record. */
export const ENDED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];

/** How each ending is written on the record. */
export const ENDINGS = {
  ABORTED: { reason: 'the execution was aborted', name: 'ExecutionAborted', status: 'ABORTED' },
  TIMED_OUT: { reason: 'the execution timed out', name: 'ExecutionTimedOut', status: 'ABORTED' },
  // A failure the machine did not catch (a runtime error in a Choice or a path): its states never ended it.
  FAILED: { reason: 'the execution failed outside any catch', name: 'ExecutionFailed', status: 'FAILED' },
} as const;

/** What CleanUp needs of the event, checked. */
export interface EndedExecution {
  name: string;
  executionArn: string | undefined;
  status: EndedStatus;
  startDate: number;
  /** When Step Functions stopped the execution (epoch ms); absent in a hand-made event. */
  stopDate: number | undefined;
}

/** Checks the event before any side effect; InvalidInputError says what was expected. */
export function parseStatusChange(event: ExecutionStatusChange): EndedExecution {
  const detail = event?.detail;
  if (
    event?.source !== 'aws.states' ||
    !detail?.name ||
    typeof detail.startDate !== 'number' ||
    !(ENDED_STATUSES as readonly string[]).includes(detail.status ?? '')
  ) {
    throw new InvalidInputError(
      'CleanUp expects an EventBridge "Step Functions Execution Status Change" event with detail.name, ' +
        'detail.startDate (epoch ms) and detail.status ABORTED, TIMED_OUT or FAILED (see events/clean-up.json; ' +
        '`switchyard cleanup --resume` builds one from the execution)',
    );
  }
  return {
    name: detail.name,
    executionArn: detail.executionArn,
    status: detail.status as EndedStatus,
    startDate: detail.startDate,
    stopDate: typeof detail.stopDate === 'number' ? detail.stopDate : undefined,
  };
}

/** An ended execution as DescribeExecution reports it. */
export interface DescribedExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
}

/**
 * The status-change event EventBridge sends for an execution that ended ABORTED, TIMED_OUT or FAILED, rebuilt from
 * DescribeExecution; InvalidInputError for an execution that is still running or succeeded (nothing to clean up).
 */
export function statusChangeEvent(
  execution: DescribedExecution,
  by: string,
): ExecutionStatusChange & {
  id: string;
  resources: string[];
} {
  if (!(ENDED_STATUSES as readonly string[]).includes(execution.status)) {
    throw new InvalidInputError(
      `execution ${execution.executionArn} is ${execution.status}: CleanUp only handles an execution that ended ` +
        `${ENDED_STATUSES.join(', ')}${execution.status === 'RUNNING' ? '; stop it first (aws stepfunctions stop-execution), and EventBridge calls CleanUp' : ''}`,
    );
  }
  const [, , , region = '', account = ''] = execution.executionArn.split(':');
  return {
    id: `${by}-${execution.name}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    ...{ account, region, time: new Date().toISOString() },
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: execution.stopDate ? execution.stopDate.getTime() : null,
    },
  };
}
