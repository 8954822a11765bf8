/**
 * What EventBridge does when a local execution ends other than SUCCEEDED: the "Step Functions Execution Status
 * Change" event, delivered in turn to each function of the template whose rule matches it (CleanUp).
 */
import { randomUUID } from 'node:crypto';
import { handlerOf, invokeHandler, type LocalHandler } from './lambda-runtime';
import { functionArn, type LocalStack } from './pipeline-definition';
import { type SamTemplate, type TemplateFunction, templateFunctions } from './template';

/** What became of one listener's call, for progress output. */
export type ListenerEvent =
  | { type: 'listener-invoked'; function: string; output: unknown; at: number }
  | { type: 'listener-failed'; function: string; error: string; at: number };

/**
 * Seconds CleanUp waits after the stop for the stopped execution's tasks, locally: they are calls to the emulator
 * in this process, not Lambda invocations that may run 900 s (template.yaml's MAX_TASK_SECONDS). The environment
 * variable SWITCHYARD_LOCAL_MAX_TASK_SECONDS overrides it.
 */
export const LOCAL_MAX_TASK_SECONDS = '1';

/** The execution that ended, as the event describes it. */
export interface EndedExecution {
  executionArn: string;
  executionName: string;
  machineName: string;
  startedAt: number;
  status: string;
  input: unknown;
}

/**
 * Delivers the status change of `execution` to the functions whose rule matches it; returns how many were called.
 * A listener that fails is reported through `onEvent`, as EventBridge would not stop the others.
 */
export async function deliverStatusChange(options: {
  template: SamTemplate;
  stack: LocalStack;
  execution: EndedExecution;
  handlers?: Record<string, LocalHandler>;
  logFor: (logicalId: string) => (line: string) => void;
  onEvent?: (event: ListenerEvent) => void;
}): Promise<number> {
  const change = executionStatusChange(options.stack, options.execution);
  const listeners = statusChangeListeners(options.template, options.execution.status);
  // The run applied the template's environment; only the bound on a stopped task differs locally.
  process.env.MAX_TASK_SECONDS = process.env.SWITCHYARD_LOCAL_MAX_TASK_SECONDS ?? LOCAL_MAX_TASK_SECONDS;
  for (const fn of listeners) {
    const handler = handlerOf(fn, options.handlers);
    try {
      const arn = functionArn(options.stack, fn.logicalId);
      const output = await invokeHandler(handler, fn, arn, change, options.logFor(fn.logicalId));
      options.onEvent?.({ type: 'listener-invoked', function: fn.logicalId, output, at: Date.now() });
    } catch (error) {
      options.onEvent?.({
        type: 'listener-failed',
        function: fn.logicalId,
        error: error instanceof Error ? error.message : String(error),
        at: Date.now(),
      });
    }
  }
  return listeners.length;
}

/** The EventBridge event Step Functions sends when an execution ends. */
function executionStatusChange(stack: LocalStack, execution: EndedExecution) {
  const { region, accountId } = stack;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn: `arn:aws:states:${region}:${accountId}:stateMachine:${execution.machineName}`,
      name: execution.executionName,
      status: execution.status,
      startDate: execution.startedAt,
      stopDate: Date.now(),
      input: JSON.stringify(execution.input ?? null),
      output: null,
    },
  };
}

/** Functions of the template with an EventBridge rule on this state machine's executions ending with `status`. */
function statusChangeListeners(template: SamTemplate, status: string): TemplateFunction[] {
  return templateFunctions(template).filter((fn) => {
    const events = (template.Resources[fn.logicalId]?.Properties?.Events ?? {}) as Record<
      string,
      { Type?: string; Properties?: { Pattern?: { source?: string[]; detail?: { status?: string[] } } } }
    >;
    return Object.values(events).some(
      (event) =>
        (event.Type === 'EventBridgeRule' || event.Type === 'CloudWatchEvent') &&
        event.Properties?.Pattern?.source?.includes('aws.states') &&
        event.Properties.Pattern.detail?.status?.includes(status),
    );
  });
}
