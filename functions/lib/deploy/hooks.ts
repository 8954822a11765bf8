/**
 * RunHooks: invokes the AppSpec's lifecycle hooks of one event (Lambda functions, in the AppSpec's order,
 * synchronously). A function error or an answer `{"status": "Failed"}` fails the deployment; any other answer
 * passes. Only functions whose name starts with HOOK_FUNCTION_PREFIX may be hooks: the stack's IAM policy allows
 * lambda:InvokeFunction on `function:<prefix>*` and nothing else, so the name is checked before anything runs.
 *
 * A hook's own Timeout is the hook's business (it comes back as a function error, Sandbox.Timedout); how long
 * RunHooks may wait in all is the Step Functions task's timeout.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { Deployment } from '../record/deployments';
import { HOOK_EVENTS, type HookEvent } from '../render/appspec';
import {
  asTransient,
  describeError,
  HookFailedError,
  InvalidInputError,
  isTransient,
} from '../shared/errors';
import type { GreenState, RenderedRevision } from './state';

/** RunHooks' configuration (from HOOK_FUNCTION_PREFIX). */
export interface RunHooksConfig {
  hookFunctionPrefix: string;
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
}

const FUNCTION_REF = /^(?:arn:[^:]+:lambda:[^:]+:\d{12}:function:|\d{12}:function:)?([^:]+)(?::[^:]+)?$/;
const MAX_MESSAGE = 1000;

/** The function name of a hook reference: a name, `name:qualifier`, a partial or a full ARN. */
export function hookFunctionName(reference: string): string {
  return FUNCTION_REF.exec(reference)?.[1] ?? reference;
}

/** The payload sent to every function of `hook`. */
export function hookPayload(input: RunHooksInput): HookPayload {
  return {
    deploymentId: input.deployment.id,
    hook: input.hook,
    commitId: input.deployment.commitId,
    taskDefinitionArn: input.render.taskDefinitionArn,
    greenTargetGroupArn: input.green?.greenTargetGroupArn || null,
    testListenerArn: input.green?.testListenerArn || null,
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

/** What a hook's answer means: null when it passed, else the failure's message. */
export function hookFailure(functionError: string | undefined, payloadText: string): string | null {
  let payload: unknown = payloadText;
  try {
    payload = payloadText === '' ? null : JSON.parse(payloadText);
  } catch {
    // Not JSON: the answer is the text itself, which passes unless the function reported an error.
  }
  const fields = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  if (functionError) {
    const type = typeof fields.errorType === 'string' ? fields.errorType : functionError;
    const message = typeof fields.errorMessage === 'string' ? fields.errorMessage : truncate(payloadText);
    return `${type}: ${message}`;
  }
  if (typeof fields.status === 'string' && fields.status.toLowerCase() === 'failed') {
    const said = [fields.message, fields.reason, fields.errorMessage].find(
      (value) => typeof value === 'string',
    );
    return `answered status "${fields.status}"${said ? `: ${said}` : ` (${truncate(payloadText)})`}`;
  }
  return null;
}

/** Invokes the functions of `input.hook`, in order; stops at the first that fails (HookFailedError). */
export async function runHooks(
  input: RunHooksInput,
  deps: { lambda: LambdaClient; clock?: () => number },
  config: RunHooksConfig,
): Promise<RunHooksOutput> {
  checkInput(input);
  const { hook } = input;
  const hooks = input.render.appspec.hooks ?? {};
  checkHookNames(hooks, config.hookFunctionPrefix);
  const clock = deps.clock ?? (() => performance.now());
  const payload = JSON.stringify(hookPayload(input));
  const invoked: HookInvocation[] = [];
  for (const functionName of hooks[hook] ?? []) {
    const started = clock();
    let output: InvokeCommandOutput;
    try {
      output = await deps.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: payload,
        }),
      );
    } catch (error) {
      if (isTransient(error)) throw asTransient(`Invoke of ${hook} hook ${functionName}`, error);
      throw new HookFailedError(
        `${hook} hook ${functionName} could not be invoked: ${describeError(error)}${invokeHint(error)}`,
        { cause: error },
      );
    }
    const durationMs = Math.round(clock() - started);
    const failure = hookFailure(
      output.FunctionError,
      Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'),
    );
    if (failure !== null) {
      const skipped = (hooks[hook] ?? []).slice(invoked.length + 1);
      throw new HookFailedError(
        `${hook} hook ${functionName} failed after ${durationMs} ms: ${failure}` +
          (skipped.length > 0 ? ` (not run: ${skipped.join(', ')})` : ''),
      );
    }
    console.log(`${hook} hook ${functionName} succeeded in ${durationMs} ms`);
    invoked.push({ functionName, durationMs, status: 'Succeeded' });
  }
  return { hook, invoked };
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
      `RunHooks field "hook" is ${JSON.stringify(input.hook)}; expected one of ${HOOK_EVENTS.join(', ')}`,
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

function truncate(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
