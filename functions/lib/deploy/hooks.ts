/**
 * RunHooks: invokes the AppSpec's lifecycle hooks of one event (Lambda functions, in the AppSpec's order,
 * synchronously, with LogType Tail). A hook passes only when it said Succeeded, by its answer or by a status line
 * that hooks/switchyard-codedeploy.js wrote to its log; anything else fails the deployment (hook-outcome.ts).
 * Only functions whose name starts with HOOK_FUNCTION_PREFIX may be hooks: the stack's IAM policy allows
 * lambda:InvokeFunction on `function:<prefix>*` and nothing else, so the name is checked before anything runs.
 *
 * Each hook gets CodeDeploy's two fields beside Switchyard's own: DeploymentId (the Switchyard deployment id) and
 * LifecycleEventHookExecutionId, the same on every invocation of one hook of one event of one deployment (a retry
 * of this state invokes every hook of the event again), so hooks can use it as an idempotency key.
 *
 * A hook's own Timeout is the hook's business (it comes back as a function error, Sandbox.Timedout); how long
 * RunHooks may wait for the hooks of one event in all is the stack's HookTimeoutSeconds (hook-budget.ts): each
 * Invoke gets what is left of it, and a hook that is not reached or not done in time fails with HookFailedError.
 * See docs/HOOKS.md.
 */
import { createHash } from 'node:crypto';
import type { Deployment } from '../record/deployments';
import { HOOK_EVENTS, type HookEvent } from '../render/hook-events';
import {
  asTransient,
  describeError,
  HookFailedError,
  InvalidInputError,
  isTransient,
} from '../shared/errors';
import { echo } from '../shared/json';
import { type InvokeOutput, invokeSync, type LambdaInvoker } from '../shared/lambda-invoke';
import { logger } from '../shared/log';
import { DEFAULT_HOOK_TIMEOUT_SECONDS, HookBudget } from './hook-budget';
import { hookOutcome } from './hook-outcome';
import type { GreenState, RenderedRevision } from './state';

/** RunHooks' configuration (from HOOK_FUNCTION_PREFIX and HOOK_TIMEOUT_SECONDS). */
export interface RunHooksConfig {
  hookFunctionPrefix: string;
  /** How long the hooks of one event may take together (default DEFAULT_HOOK_TIMEOUT_SECONDS). */
  hookTimeoutSeconds?: number;
}

/** What RunHooks works with: the Lambda invoker (hook-budget.ts), and in Lambda the context's remaining time. */
export interface RunHooksDeps {
  lambda: LambdaInvoker;
  /** A monotonic clock in milliseconds (default performance.now). */
  clock?: () => number;
  /** The Lambda context's getRemainingTimeInMillis: the budget never outlasts RunHooks' own run. */
  remainingTimeMs?: () => number;
}

/** Input of the `<Event>Hooks` states: `green` is there from AfterInstall on. */
export interface RunHooksInput {
  deployment: Deployment;
  render: RenderedRevision;
  green?: GreenState | null;
  hook: HookEvent;
}

/** One hook function that ran and passed. */
export interface HookInvocation {
  functionName: string;
  /** The id the hook was given (its idempotency key). */
  lifecycleEventHookExecutionId: string;
  durationMs: number;
  status: 'Succeeded';
}

/** RunHooks' result (`$.hooks.<Event>`). */
export interface RunHooksOutput {
  hook: HookEvent;
  invoked: HookInvocation[];
}

/** The event each hook function receives. The green fields are null before CreateGreen (BeforeInstall). */
export interface HookPayload {
  deploymentId: string;
  hook: HookEvent;
  commitId: string;
  taskDefinitionArn: string;
  greenTargetGroupArn: string | null;
  /** Null before CreateGreen and when the stack has no test listener. */
  testListenerArn: string | null;
  /** CodeDeploy's field, for hooks written for CodeDeploy: the Switchyard deployment id (= deploymentId). */
  DeploymentId: string;
  /** CodeDeploy's field: `switchyard-<32 hex>`, one per deployment, event and hook function; the idempotency key. */
  LifecycleEventHookExecutionId: string;
}

const FUNCTION_REF = /^(?:arn:[^:]+:lambda:[^:]+:\d{12}:function:|\d{12}:function:)?([^:]+)(?::[^:]+)?$/;
/** The prefix of every LifecycleEventHookExecutionId Switchyard makes (hooks/switchyard-codedeploy.js knows it). */
const EXECUTION_ID_PREFIX = 'switchyard-';

/** The function name of a hook reference: a name, `name:qualifier`, a partial or a full ARN. */
export function hookFunctionName(reference: string): string {
  return FUNCTION_REF.exec(reference)?.[1] ?? reference;
}

/**
 * The LifecycleEventHookExecutionId of one hook: a hash of the deployment id, the event and the function as the
 * AppSpec names it, so every invocation of that hook in that deployment (retries included) gets the same id. Not
 * random on purpose: a retry of the state must hand the hook the id it had, for the hook to deduplicate on.
 * `occurrence` counts the function's appearances in the event's list from 1: a function the AppSpec lists twice
 * gets a distinct id the second time, as CodeDeploy runs each entry as its own hook execution.
 */
export function hookExecutionId(
  deploymentId: string,
  hook: HookEvent,
  functionName: string,
  occurrence = 1,
): string {
  const key = `${deploymentId}|${hook}|${functionName}${occurrence > 1 ? `|${occurrence}` : ''}`;
  const digest = createHash('sha256').update(key).digest('hex');
  return `${EXECUTION_ID_PREFIX}${digest.slice(0, 32)}`;
}

/** The payload sent to `functionName`, the `occurrence`th time the functions of `input.hook` name it. */
export function hookPayload(input: RunHooksInput, functionName: string, occurrence = 1): HookPayload {
  return {
    deploymentId: input.deployment.id,
    hook: input.hook,
    commitId: input.deployment.commitId,
    taskDefinitionArn: input.render.taskDefinitionArn,
    greenTargetGroupArn: input.green?.greenTargetGroupArn || null,
    testListenerArn: input.green?.testListenerArn || null,
    DeploymentId: input.deployment.id,
    LifecycleEventHookExecutionId: hookExecutionId(input.deployment.id, input.hook, functionName, occurrence),
  };
}

/**
 * Every hook of the AppSpec (all events, not only this one, so a misnamed AfterAllowTraffic hook fails before
 * green exists) must be named with the prefix; HookFailedError naming them otherwise.
 */
export function checkHookNames(hooks: RenderedRevision['appspec']['hooks'], prefix: string): void {
  const outside = HOOK_EVENTS.flatMap((event) =>
    (hooks[event] ?? [])
      .filter((reference) => !hookFunctionName(reference).startsWith(prefix))
      .map((reference) => `${event}: ${reference}`),
  );
  if (outside.length === 0) return;
  throw new HookFailedError(
    `appspec.yaml Hooks name function(s) whose name does not start with "${prefix}" (${outside.join(', ')}); ` +
      `Switchyard may invoke only functions named ${prefix}* (its IAM policy allows no others): rename the ` +
      "function(s), or change the stack's HookFunctionPrefix parameter. Nothing was invoked",
  );
}

/**
 * Invokes the functions of `input.hook`, in order, within the event's time budget; stops at the first that fails
 * or that the budget does not cover (HookFailedError).
 */
export async function runHooks(
  input: RunHooksInput,
  deps: RunHooksDeps,
  config: RunHooksConfig,
): Promise<RunHooksOutput> {
  checkInput(input);
  const { hook } = input;
  const hooks = input.render.appspec.hooks ?? {};
  checkHookNames(hooks, config.hookFunctionPrefix);
  const clock = deps.clock ?? (() => performance.now());
  const budget = new HookBudget({
    hookTimeoutSeconds: config.hookTimeoutSeconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS,
    remainingTimeMs: deps.remainingTimeMs,
    clock,
  });
  const functions = hooks[hook] ?? [];
  const invoked: HookInvocation[] = [];
  for (const [index, functionName] of functions.entries()) {
    const notRun = () => notRunClause(functions.slice(index + 1));
    const occurrence = functions.slice(0, index + 1).filter((name) => name === functionName).length;
    const payload = hookPayload(input, functionName, occurrence);
    const executionId = payload.LifecycleEventHookExecutionId;
    const leftMs = budget.remainingMs();
    if (leftMs <= 0) {
      throw new HookFailedError(
        `${hook} hook ${functionName} was not invoked: the ${budget.describe()} for the hooks of ${hook} was ` +
          `spent ${spentBy(invoked)}${notRun()}; raise HookTimeoutSeconds (at most ` +
          '900), or make the hooks shorter (docs/HOOKS.md)',
      );
    }
    const started = clock();
    let output: InvokeOutput;
    try {
      output = await invokeSync(
        deps.lambda,
        // The last 4 KB of the log come back in LogResult: where switchyard-codedeploy.js's status lines are.
        { functionName, payload: JSON.stringify(payload), logType: 'Tail' },
        // The wait ends with the budget; an aborted call is not retried.
        { abortSignal: AbortSignal.timeout(leftMs) },
      );
    } catch (error) {
      const waitedMs = Math.round(clock() - started);
      if ((error as Error)?.name === 'AbortError') {
        throw new HookFailedError(
          `${hook} hook ${functionName} did not answer within the ${Math.round(leftMs / 1000)} s left of the ` +
            `${budget.describe()} for the hooks of ${hook} (waited ${waitedMs} ms)${notRun()}; the function may ` +
            'still be running until its own Timeout. Raise HookTimeoutSeconds (at most 900), or make the hook ' +
            'shorter (docs/HOOKS.md)',
          { cause: error },
        );
      }
      if (isTransient(error)) throw asTransient(`Invoke of ${hook} hook ${functionName}`, error);
      throw new HookFailedError(
        `${hook} hook ${functionName} could not be invoked: ${describeError(error)}${invokeHint(error)}`,
        { cause: error },
      );
    }
    const durationMs = Math.round(clock() - started);
    const outcome = hookOutcome(
      {
        functionError: output.FunctionError,
        payload: Buffer.from(output.Payload).toString('utf8'),
        logTail: Buffer.from(output.LogResult ?? '', 'base64').toString('utf8'),
      },
      executionId,
    );
    if (!outcome.passed) {
      throw new HookFailedError(
        `${hook} hook ${functionName} failed after ${durationMs} ms: ${outcome.reason}${notRun()}`,
      );
    }
    logger.info(
      `${hook} hook ${functionName} (${executionId}) succeeded by its ${outcome.by} in ${durationMs} ms`,
      {
        hook,
        hookFunction: functionName,
        durationMs,
      },
    );
    invoked.push({
      functionName,
      lifecycleEventHookExecutionId: executionId,
      durationMs,
      status: 'Succeeded',
    });
  }
  return { hook, invoked };
}

function notRunClause(skipped: string[]): string {
  return skipped.length > 0 ? ` (not run: ${skipped.join(', ')})` : '';
}

function spentBy(invoked: HookInvocation[]): string {
  if (invoked.length === 0) return 'before any hook ran';
  return `by the hooks before it (${invoked.map((done) => `${done.functionName} ${done.durationMs} ms`).join(', ')})`;
}

function checkInput(input: RunHooksInput): void {
  if (!input?.deployment || typeof input.deployment.id !== 'string' || !input.render?.appspec) {
    throw new InvalidInputError(
      'RunHooks expects {"deployment": {...}, "render": {"taskDefinitionArn", "appspec": {...}}, "green"?: {...}, ' +
        '"hook": <event>} (see events/run-hooks.json)',
    );
  }
  if (!HOOK_EVENTS.includes(input.hook)) {
    throw new InvalidInputError(
      `RunHooks field "hook" is ${echo(input.hook)}; expected one of ${HOOK_EVENTS.join(', ')}`,
    );
  }
}

function invokeHint(error: unknown): string {
  const name = (error as Error)?.name;
  if (name === 'ResourceNotFoundException') {
    return '; create the function in this account and region, or fix its name in appspec.yaml';
  }
  if (name === 'AccessDeniedException') {
    return "; RunHooks may invoke only functions of this account and region named with the stack's HookFunctionPrefix";
  }
  return '';
}
