import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createNodeFunction } from '../../../cli/emulator/functions';
import { type HookPayload, type RunHooksInput, runHooks } from '../../../functions/lib/deploy/hooks';
import type { GreenState, RenderedRevision } from '../../../functions/lib/deploy/state';
import type { Deployment } from '../../../functions/lib/record/deployments';
import type { HookEvent } from '../../../functions/lib/render/appspec';
import { HookFailedError } from '../../../functions/lib/shared/errors';
import { handler } from '../../../functions/run-hooks/handler';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const lambda = new LambdaClient({});
const logs = new CloudWatchLogsClient({});
const PREFIX = 'CodeDeployHook_';

/** Every hook logs the event it received (read back from its log group), then answers as its name says. */
const HOOKS = `
const received = (event) => console.log('EVENT ' + JSON.stringify(event));
exports.passes = async (event) => {
  received(event);
  return { status: 'Succeeded', echo: event };
};
exports.answersNothing = async (event) => {
  received(event);
};
exports.answersFailed = async (event) => {
  received(event);
  return { status: 'FAILED', message: 'GET /health on the test listener answered 503' };
};
exports.throws = async (event) => {
  received(event);
  throw new TypeError('migration 0042 cannot run: column "email" already exists');
};
exports.hangs = (event) => {
  received(event);
  return new Promise(() => setInterval(() => {}, 1000));
};
`;

describe('RunHooks with real functions in the emulator', () => {
  const moto = useMoto();
  const sample = loadEvent<RunHooksInput>('run-hooks');
  const deployment: Deployment = sample.deployment;
  const green: GreenState = sample.green as GreenState;

  const createHook = (name: string, handlerName: string, options: { timeout?: number } = {}) =>
    createNodeFunction(moto.endpoint, {
      name,
      files: { 'index.js': HOOKS },
      handler: `index.${handlerName}`,
      timeout: options.timeout ?? 10,
    });
  /** The events a function received, from the lines it logged. */
  const received = async (name: string): Promise<HookPayload[]> => {
    const group = `/aws/lambda/${name}`;
    let streams: string[] = [];
    try {
      const out = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
      streams = (out.logStreams ?? []).map((stream) => stream.logStreamName ?? '');
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return [];
      throw error;
    }
    const events: HookPayload[] = [];
    for (const stream of streams) {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream }));
      for (const event of out.events ?? []) {
        const at = event.message?.indexOf('EVENT ') ?? -1;
        if (at >= 0) events.push(JSON.parse(event.message?.slice(at + 6) ?? '') as HookPayload);
      }
    }
    return events;
  };
  const render = (hooks: Partial<Record<HookEvent, string[]>>): RenderedRevision => ({
    taskDefinitionArn: sample.render.taskDefinitionArn,
    appspec: { ...sample.render.appspec, hooks },
  });
  const run = (hook: HookEvent, hooks: Partial<Record<HookEvent, string[]>>, withGreen = true) =>
    runHooks(
      { deployment, render: render(hooks), ...(withGreen ? { green } : {}), hook },
      { lambda },
      { hookFunctionPrefix: PREFIX },
    );

  it('invokes the functions of the event in order and sends each the deployment, revision and green', async () => {
    await createHook('CodeDeployHook_smoke', 'passes');
    const arn = await createHook('CodeDeployHook_quiet', 'answersNothing');

    const out = await run('AfterAllowTestTraffic', {
      AfterAllowTestTraffic: ['CodeDeployHook_smoke', arn],
      BeforeAllowTraffic: ['CodeDeployHook_never'],
    });

    expect(out).toEqual({
      hook: 'AfterAllowTestTraffic',
      invoked: [
        { functionName: 'CodeDeployHook_smoke', durationMs: expect.any(Number), status: 'Succeeded' },
        { functionName: arn, durationMs: expect.any(Number), status: 'Succeeded' },
      ],
    });
    const payload: HookPayload = {
      deploymentId: 'sample-exec',
      hook: 'AfterAllowTestTraffic',
      commitId: deployment.commitId,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
      greenTargetGroupArn: green.greenTargetGroupArn,
      testListenerArn: green.testListenerArn,
    };
    expect(await received('CodeDeployHook_smoke')).toEqual([payload]);
    expect(await received('CodeDeployHook_quiet')).toEqual([payload]);
  });

  it('sends null green fields before CreateGreen (BeforeInstall)', async () => {
    await createHook('CodeDeployHook_prepare', 'passes');

    await run('BeforeInstall', { BeforeInstall: ['CodeDeployHook_prepare'] }, false);

    expect(await received('CodeDeployHook_prepare')).toEqual([
      expect.objectContaining({ hook: 'BeforeInstall', greenTargetGroupArn: null, testListenerArn: null }),
    ]);
  });

  it('returns an empty list for an event without hooks', async () => {
    expect(await run('AfterInstall', {})).toEqual({ hook: 'AfterInstall', invoked: [] });
  });

  it('fails on an answer {"status": "Failed"} (any case), naming the hook, the function and its message', async () => {
    await createHook('CodeDeployHook_health', 'answersFailed');

    const failed = run('AfterAllowTestTraffic', { AfterAllowTestTraffic: ['CodeDeployHook_health'] });

    await expect(failed).rejects.toThrow(HookFailedError);
    await expect(failed).rejects.toThrow(
      /^AfterAllowTestTraffic hook CodeDeployHook_health failed after \d+ ms: answered status "FAILED": GET \/health on the test listener answered 503$/,
    );
  });

  it('fails on a thrown error with its type and message; the next function is not invoked', async () => {
    await createHook('CodeDeployHook_migrate', 'throws');
    await createHook('CodeDeployHook_after', 'passes');

    const failed = run('BeforeAllowTraffic', {
      BeforeAllowTraffic: ['CodeDeployHook_migrate', 'CodeDeployHook_after'],
    });

    await expect(failed).rejects.toThrow(HookFailedError);
    await expect(failed).rejects.toThrow('BeforeAllowTraffic hook CodeDeployHook_migrate failed after');
    await expect(failed).rejects.toThrow(
      /: TypeError: migration 0042 cannot run: column "email" already exists \(not run: CodeDeployHook_after\)$/,
    );
    expect(await received('CodeDeployHook_migrate')).toHaveLength(1);
    expect(await received('CodeDeployHook_after')).toEqual([]);
  });

  it('fails a hook that runs past its own Timeout', async () => {
    await createHook('CodeDeployHook_slow', 'hangs', { timeout: 1 });

    await expect(run('AfterInstall', { AfterInstall: ['CodeDeployHook_slow'] })).rejects.toThrow(
      /AfterInstall hook CodeDeployHook_slow failed after \d+ ms: Sandbox\.Timedout: .*Task timed out after 1\.00 seconds/,
    );
  });

  it('refuses a function outside the prefix before invoking anything, in this event or a later one', async () => {
    await createHook('CodeDeployHook_smoke', 'passes');
    await createHook('smoke-test', 'passes');

    const here = run('AfterInstall', { AfterInstall: ['CodeDeployHook_smoke', 'smoke-test'] });
    await expect(here).rejects.toThrow(HookFailedError);
    await expect(here).rejects.toThrow(
      'appspec.yaml Hooks name function(s) whose name does not start with "CodeDeployHook_" ' +
        '(AfterInstall: smoke-test); Switchyard may invoke only functions named CodeDeployHook_* (its IAM policy ' +
        "allows no others): rename the function(s), or change the stack's HookFunctionPrefix parameter. " +
        'Nothing was invoked',
    );
    const later = run('BeforeInstall', {
      BeforeInstall: ['CodeDeployHook_smoke'],
      AfterAllowTraffic: ['arn:aws:lambda:us-east-1:123456789012:function:smoke-test:live'],
    });
    await expect(later).rejects.toThrow(/\(AfterAllowTraffic: arn:aws:lambda:.*:function:smoke-test:live\)/);
    expect(await received('CodeDeployHook_smoke')).toEqual([]);
    expect(await received('smoke-test')).toEqual([]);
  });

  it('fails a hook that does not exist, saying so', async () => {
    await expect(run('AfterInstall', { AfterInstall: ['CodeDeployHook_missing'] })).rejects.toThrow(
      /^AfterInstall hook CodeDeployHook_missing could not be invoked: ResourceNotFoundException: .*; create the function in this account and region, or fix its name in appspec\.yaml$/,
    );
  });

  it('is what the handler runs, with HOOK_FUNCTION_PREFIX from the environment', async () => {
    const saved = process.env.HOOK_FUNCTION_PREFIX;
    process.env.HOOK_FUNCTION_PREFIX = 'web-hooks-';
    try {
      await createHook('web-hooks-smoke', 'passes');
      await createHook('CodeDeployHook_smoke', 'passes');
      const input = { ...sample, render: render({ AfterAllowTestTraffic: ['web-hooks-smoke'] }) };

      expect(await handler(input)).toMatchObject({ invoked: [{ functionName: 'web-hooks-smoke' }] });
      await expect(
        handler({ ...sample, render: render({ AfterAllowTestTraffic: ['CodeDeployHook_smoke'] }) }),
      ).rejects.toThrow(/does not start with "web-hooks-"/);
    } finally {
      if (saved === undefined) delete process.env.HOOK_FUNCTION_PREFIX;
      else process.env.HOOK_FUNCTION_PREFIX = saved;
    }
  });
});
