/**
 * A hook's idempotency key and its time budget, with real functions in the emulator: RunHooks run twice for the
 * same input (what a retry of an `<Event>Hooks` state does) hands every hook the same LifecycleEventHookExecutionId,
 * which hooks/switchyard-codedeploy.js gives a hook as its idempotency key; and a hook the event's budget does not
 * cover fails the event with HookFailedError naming it.
 */
import { readFileSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createNodeFunction } from '../../../cli/emulator/functions';
import { createHookLambdaClient } from '../../../functions/lib/deploy/hook-budget';
import { hookExecutionId, type RunHooksInput, runHooks } from '../../../functions/lib/deploy/hooks';
import type { RenderedRevision } from '../../../functions/lib/deploy/state';
import type { HookEvent } from '../../../functions/lib/render/appspec';
import { HookFailedError } from '../../../functions/lib/shared/errors';
import { HELPER_PATH } from '../../support/codedeploy-hooks';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

// RunHooks invokes with its handler's signed invoker; the SDK client invokes a hook directly, as a person would.
const lambda = createHookLambdaClient();
const sdkLambda = new LambdaClient({});
const logs = new CloudWatchLogsClient({});
const PREFIX = 'CodeDeployHook_';

/** `keyed` logs the key the helper gives it (read back from its log group) and answers with it. */
const HOOKS = `
const { idempotencyKey } = require('./switchyard-codedeploy');
exports.keyed = async (event) => {
  const key = idempotencyKey(event);
  console.log('KEY ' + key);
  return { status: 'Succeeded', key };
};
exports.hangs = () => new Promise(() => setInterval(() => {}, 1000));
`;

describe('RunHooks retried for the same input', () => {
  const moto = useMoto();
  const sample = loadEvent<RunHooksInput>('run-hooks');
  const createHook = (name: string, handlerName: string, timeout = 10) =>
    createNodeFunction(moto.endpoint, {
      name,
      files: { 'index.js': HOOKS, 'switchyard-codedeploy.js': readFileSync(HELPER_PATH, 'utf8') },
      handler: `index.${handlerName}`,
      timeout,
    });
  const input = (hook: HookEvent, hooks: Partial<Record<HookEvent, string[]>>): RunHooksInput => {
    const render: RenderedRevision = { ...sample.render, appspec: { ...sample.render.appspec, hooks } };
    return { ...sample, render, hook };
  };
  /** RunHooks' core as its handler calls it (the handler adds only its settings from the environment). */
  const handler = (event: RunHooksInput) =>
    runHooks(event, { lambda }, { hookFunctionPrefix: PREFIX, hookTimeoutSeconds: 60 });
  /** The ids RunHooks reports it gave the hooks. */
  const keysOf = (out: Awaited<ReturnType<typeof handler>>) =>
    out.invoked.map((hook) => hook.lifecycleEventHookExecutionId);
  /** The keys a hook function logged, in the order of its invocations. */
  const keysLogged = async (name: string): Promise<string[]> => {
    const group = `/aws/lambda/${name}`;
    const streams =
      (await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams ?? [];
    const lines: { at: number; key: string }[] = [];
    for (const stream of streams) {
      const out = await logs.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: stream.logStreamName ?? '' }),
      );
      for (const event of out.events ?? []) {
        const at = event.message?.indexOf('KEY ') ?? -1;
        if (at >= 0)
          lines.push({ at: event.timestamp ?? 0, key: (event.message ?? '').slice(at + 4).trim() });
      }
    }
    return lines.sort((a, b) => a.at - b.at).map((line) => line.key);
  };

  it('passes every hook the same LifecycleEventHookExecutionId on both invocations, and the helper exposes it', async () => {
    await createHook('CodeDeployHook_migrate', 'keyed');
    await createHook('CodeDeployHook_smoke', 'keyed');
    const event = input('AfterInstall', { AfterInstall: ['CodeDeployHook_migrate', 'CodeDeployHook_smoke'] });

    const first = await handler(event);
    const retried = await handler(structuredClone(event));

    expect(keysOf(retried)).toEqual(keysOf(first));
    // What each hook itself saw, through the helper: its id, the same on both invocations.
    expect(await keysLogged('CodeDeployHook_migrate')).toEqual([keysOf(first)[0], keysOf(first)[0]]);
    expect(await keysLogged('CodeDeployHook_smoke')).toEqual([keysOf(first)[1], keysOf(first)[1]]);
    expect(keysOf(first)).toEqual([
      hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_migrate'),
      hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_smoke'),
    ]);
    expect(new Set(keysOf(first)).size).toBe(2);
  });

  it('gives a function the AppSpec lists twice in one event a distinct key each time, each stable on a retry', async () => {
    await createHook('CodeDeployHook_check', 'keyed');
    const event = input('AfterAllowTestTraffic', {
      AfterAllowTestTraffic: ['CodeDeployHook_check', 'CodeDeployHook_check'],
    });

    const first = keysOf(await handler(event));
    const retried = keysOf(await handler(event));

    expect(retried).toEqual(first);
    expect(await keysLogged('CodeDeployHook_check')).toEqual([...first, ...first]);
    expect(first[0]).toBe(hookExecutionId('sample-exec', 'AfterAllowTestTraffic', 'CodeDeployHook_check'));
    expect(first[1]).toBe(hookExecutionId('sample-exec', 'AfterAllowTestTraffic', 'CodeDeployHook_check', 2));
    expect(first[1]).not.toBe(first[0]);
  });

  it("fails a hook invoked without an id with the helper's message (not a lifecycle hook invocation)", async () => {
    await createHook('CodeDeployHook_migrate', 'keyed');

    const answered = await sdkLambda.send(
      new InvokeCommand({ FunctionName: 'CodeDeployHook_migrate', Payload: JSON.stringify({}) }),
    );

    expect(answered.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(answered.Payload ?? []).toString('utf8'))).toMatchObject({
      errorType: 'TypeError',
      errorMessage: expect.stringMatching(/^the event has no LifecycleEventHookExecutionId: /),
    });
  });

  it('stops waiting for a hook when the budget is spent, naming it and the hooks not run', async () => {
    await createHook('CodeDeployHook_slow', 'hangs', 3);
    await createHook('CodeDeployHook_smoke', 'keyed');
    const event = input('AfterInstall', { AfterInstall: ['CodeDeployHook_slow', 'CodeDeployHook_smoke'] });

    const run = runHooks(event, { lambda }, { hookFunctionPrefix: PREFIX, hookTimeoutSeconds: 1 });

    await expect(run).rejects.toThrow(HookFailedError);
    await expect(run).rejects.toThrow(
      /^AfterInstall hook CodeDeployHook_slow did not answer within the 1 s left of the 1 s \(the stack's HookTimeoutSeconds\) for the hooks of AfterInstall \(waited \d+ ms\) \(not run: CodeDeployHook_smoke\); the function may still be running until its own Timeout/,
    );
  });
});
