/**
 * What aws-local-stepfunctions runs instead of AWS in a local run: each Task state's handler (the function's
 * handler, or a stand-in of a Step Functions integration: integrations.ts), and the compressed waits and retry
 * intervals.
 */
import { type IntegrationDeps, integrationHandler } from './integrations';
import { handlerOf, type LocalHandler } from './lambda-runtime';
import type { PipelineDefinition, TemplateFunction } from './template';

/** How often a local integration stand-in polls the emulator (a build that runs for real takes seconds). */
const INTEGRATION_POLL_MS = 20;

/** The library's overrides of one run. */
export function localOverrides(
  definition: PipelineDefinition,
  byArn: Map<string, TemplateFunction>,
  options: {
    handlers?: Record<string, LocalHandler>;
    waitMs?: (state: string, seconds: number, payload?: unknown) => number;
    retryMs?: number;
  },
  callTask: (
    state: string,
    fn: TemplateFunction,
    handler: LocalHandler,
    arn: string,
  ) => (input: unknown) => Promise<unknown>,
  tick: IntegrationDeps['tick'],
) {
  const taskHandlers: Record<string, (input: unknown) => Promise<unknown>> = {};
  const waits: Record<string, number> = {};
  const retries: Record<string, number> = {};
  const functionOf = (state: string, arn: string) => {
    const fn = byArn.get(arn);
    if (!fn) throw new Error(`state ${state}: resource ${arn} is not a function of template.yaml`);
    return fn;
  };
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type === 'Wait') {
      const seconds = typeof state.Seconds === 'number' ? state.Seconds : 0;
      waits[stateName] = options.waitMs ? options.waitMs(stateName, seconds) : 0;
    }
    if (Array.isArray(state.Retry)) retries[stateName] = options.retryMs ?? 0;
    if (state.Type !== 'Task' || typeof state.Resource !== 'string') continue;
    // Step Functions' own integrations (a .sync build, a callback wait): what Step Functions would do, locally.
    const integration = integrationHandler(stateName, state.Resource, {
      pollMs: INTEGRATION_POLL_MS,
      waitMs: (name, seconds, payload) => (options.waitMs ? options.waitMs(name, seconds, payload) : 0),
      tick,
      invoke: (arn, payload) => {
        const fn = functionOf(stateName, arn);
        return callTask(stateName, fn, handlerOf(fn, options.handlers), arn)(payload);
      },
    });
    if (integration) {
      taskHandlers[stateName] = integration;
      continue;
    }
    const fn = functionOf(stateName, state.Resource);
    taskHandlers[stateName] = callTask(stateName, fn, handlerOf(fn, options.handlers), state.Resource);
  }
  return {
    taskResourceLocalHandlers: taskHandlers as never,
    waitTimeOverrides: waits,
    retryIntervalOverrides: retries,
  };
}
