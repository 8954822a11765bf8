/**
 * Step Functions' own service integrations, which aws-local-stepfunctions does not run: each Task state whose
 * Resource is `arn:aws:states:::<service>:<api>[.pattern]` gets a local handler that does what Step Functions
 * does, against the emulator, so local runs and the tests execute the same definition as AWS.
 */
import { randomUUID } from 'node:crypto';
import { BatchGetBuildsCommand, CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { camelCased, pascalCased } from '../../functions/lib/build/sync-request';
import { closeTaskToken, readTaskToken, registerTaskToken } from '../emulator/task-tokens';

/** A local stand-in of one integration: the state's effective input in, the state's result out. */
export type IntegrationHandler = (input: unknown) => Promise<unknown>;

/** What the stand-ins need from the run. */
export interface IntegrationDeps {
  /** How often a stand-in polls the emulator. */
  pollMs: number;
  /** Invokes a function of the template by ARN, as the run invokes a Task's function. */
  invoke: (functionArn: string, payload: unknown) => Promise<unknown>;
  /** Milliseconds a wait of this many seconds lasts locally (the run's waitMs). */
  waitMs: (state: string, seconds: number, payload?: unknown) => number;
  /** Called on each poll of a callback wait: what EventBridge would deliver meanwhile (alarm-events.ts). */
  tick: () => Promise<void>;
}

/** `$$.Task.Token` in a local run's context; each callback wait replaces it with a token of its own. */
export const LOCAL_TASK_TOKEN = 'switchyard-local-task-token';

/** An error as Step Functions names it for the state's Retry and Catch, with its Cause. */
class IntegrationError extends Error {
  constructor(name: string, cause: unknown) {
    super(typeof cause === 'string' ? cause : JSON.stringify(cause));
    this.name = name;
  }
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * `codebuild:startBuild.sync` (Run a Job): StartBuild with the state's parameters, then wait for the build's end;
 * SUCCEEDED gives `{Build}`, any other end fails the state with States.TaskFailed and the build as its Cause
 * (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-sync,
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-codebuild.html).
 */
function codebuildStartBuildSync(deps: IntegrationDeps): IntegrationHandler {
  const codebuild = new CodeBuildClient({});
  return async (input) => {
    const started = await codebuild.send(new StartBuildCommand(camelCased(input) as never));
    const id = started.build?.id;
    if (!id) throw new IntegrationError('States.TaskFailed', 'StartBuild returned no build id');
    for (;;) {
      const { builds = [] } = await codebuild.send(new BatchGetBuildsCommand({ ids: [id] }));
      const build = builds[0];
      if (build?.buildComplete) {
        if (build.buildStatus === 'SUCCEEDED') return { Build: pascalCased(build) };
        throw new IntegrationError('States.TaskFailed', { Build: pascalCased(build) });
      }
      await sleep(deps.pollMs);
    }
  };
}

function withToken(value: unknown, token: string): unknown {
  if (value === LOCAL_TASK_TOKEN) return token;
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withToken(item, token)]));
}

/**
 * `lambda:invoke.waitForTaskToken` (Wait for a Callback): invokes the function with the payload (its `$$.Task.Token`
 * a fresh token), then waits until someone completes the token (SendTaskSuccess: the state's output;
 * SendTaskFailure: the state fails with that error) or the state's HeartbeatSeconds pass with no heartbeat
 * (States.HeartbeatTimeout). The function's own error fails the state at once. The payload's `waitSeconds` must be
 * the state's HeartbeatSecondsPath value (test/unit/statemachine-waits.test.ts keeps them the same); locally it
 * lasts the run's waitMs. https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */
function lambdaInvokeWaitForTaskToken(stateName: string, deps: IntegrationDeps): IntegrationHandler {
  return async (input) => {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint)
      throw new Error(`state ${stateName}: a callback wait needs the emulator (AWS_ENDPOINT_URL)`);
    const { FunctionName, Payload } = input as { FunctionName: string; Payload: Record<string, unknown> };
    const token = `${LOCAL_TASK_TOKEN}-${randomUUID()}`;
    await registerTaskToken(endpoint, token);
    try {
      await deps.invoke(FunctionName, withToken(Payload, token));
    } catch (error) {
      await closeTaskToken(endpoint, token);
      throw error;
    }
    const seconds = Number(Payload?.waitSeconds ?? 0);
    const deadline = Date.now() + deps.waitMs(stateName, seconds, Payload);
    for (;;) {
      const state = await readTaskToken(endpoint, token);
      if (state.status === 'SUCCEEDED') return JSON.parse(state.output ?? 'null');
      if (state.status === 'FAILED')
        throw new IntegrationError(state.error || 'States.TaskFailed', state.cause ?? '');
      if (Date.now() >= deadline) break;
      await deps.tick();
      await sleep(deps.pollMs);
    }
    const last = await closeTaskToken(endpoint, token).then(() => readTaskToken(endpoint, token));
    if (last.status === 'SUCCEEDED') return JSON.parse(last.output ?? 'null');
    throw new IntegrationError('States.HeartbeatTimeout', `no heartbeat in ${seconds} s`);
  };
}

/** The local handler of an integration Resource, or undefined when the Resource is not one. */
export function integrationHandler(
  stateName: string,
  resource: string,
  deps: IntegrationDeps,
): IntegrationHandler | undefined {
  if (!resource.startsWith('arn:aws:states:::')) return undefined;
  const api = resource.slice('arn:aws:states:::'.length);
  if (api === 'codebuild:startBuild.sync') return codebuildStartBuildSync(deps);
  if (api === 'lambda:invoke.waitForTaskToken') return lambdaInvokeWaitForTaskToken(stateName, deps);
  throw new Error(
    `state ${stateName}: the local runner has no stand-in for the integration ${resource}; add one to cli/local/integrations.ts`,
  );
}
