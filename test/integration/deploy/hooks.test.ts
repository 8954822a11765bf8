import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { createNodeFunction } from '../../../cli/emulator/functions';
import { createLocalStack } from '../../../cli/local/local-stack';
import { createHookLambdaClient } from '../../../functions/lib/deploy/hook-budget';
import {
  type HookPayload,
  hookExecutionId,
  type RunHooksInput,
  runHooks,
} from '../../../functions/lib/deploy/hooks';
import type { GreenState, RenderedRevision } from '../../../functions/lib/deploy/state';
import type { Deployment } from '../../../functions/lib/record/deployments';
import type { HookEvent } from '../../../functions/lib/render/appspec';
import { HookFailedError } from '../../../functions/lib/shared/errors';
import { handler } from '../../../functions/run-hooks/handler';
import { hookFiles, migrated, SAMPLE_V2, SAMPLE_V3, SWALLOWING_V2 } from '../../support/codedeploy-hooks';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

// The invoker RunHooks' handler makes: a signed synchronous Invoke (shared/lambda-invoke.ts).
const lambda = createHookLambdaClient();
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
exports.answersWithoutStatus = async (event) => {
  received(event);
  return { ok: true, checks: 12 };
};
exports.reportsThenLogs = async (event) => {
  received(event);
  process.stdout.write('SWITCHYARD_HOOK_STATUS ' + JSON.stringify({
    lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId, status: 'Succeeded' }) + '\\n');
  for (let i = 0; i < 60; i += 1) console.log('probe ' + i + ' ' + 'ok '.repeat(30));
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
  /** Every line a function logged, from CloudWatch Logs. */
  const logLines = async (name: string): Promise<string[]> => {
    const group = `/aws/lambda/${name}`;
    let streams: string[] = [];
    try {
      const out = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
      streams = (out.logStreams ?? []).map((stream) => stream.logStreamName ?? '');
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') return [];
      throw error;
    }
    const lines: string[] = [];
    for (const stream of streams) {
      const out = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream }));
      lines.push(...(out.events ?? []).map((event) => event.message ?? ''));
    }
    return lines;
  };
  /** The events a function received, from the lines it logged. */
  const received = async (name: string): Promise<HookPayload[]> =>
    (await logLines(name))
      .filter((line) => line.includes('EVENT '))
      .map((line) => JSON.parse(line.slice(line.indexOf('EVENT ') + 6)) as HookPayload);
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

  it('invokes the functions of the event in order and sends each the deployment, revision, green and its ids', async () => {
    await createHook('CodeDeployHook_smoke', 'passes');
    const arn = await createHook('CodeDeployHook_second', 'passes');

    const out = await run('AfterAllowTestTraffic', {
      AfterAllowTestTraffic: ['CodeDeployHook_smoke', arn],
      BeforeAllowTraffic: ['CodeDeployHook_never'],
    });

    const smokeId = hookExecutionId('sample-exec', 'AfterAllowTestTraffic', 'CodeDeployHook_smoke');
    const secondId = hookExecutionId('sample-exec', 'AfterAllowTestTraffic', arn);
    expect(out).toEqual({
      hook: 'AfterAllowTestTraffic',
      invoked: [
        {
          functionName: 'CodeDeployHook_smoke',
          lifecycleEventHookExecutionId: smokeId,
          durationMs: expect.any(Number),
          status: 'Succeeded',
        },
        {
          functionName: arn,
          lifecycleEventHookExecutionId: secondId,
          durationMs: expect.any(Number),
          status: 'Succeeded',
        },
      ],
    });
    const payload: HookPayload = {
      deploymentId: 'sample-exec',
      hook: 'AfterAllowTestTraffic',
      commitId: deployment.commitId,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
      greenTargetGroupArn: green.greenTargetGroupArn,
      testListenerArn: green.testListenerArn,
      DeploymentId: 'sample-exec',
      LifecycleEventHookExecutionId: smokeId,
    };
    expect(await received('CodeDeployHook_smoke')).toEqual([payload]);
    expect(await received('CodeDeployHook_second')).toEqual([
      { ...payload, LifecycleEventHookExecutionId: secondId },
    ]);
    expect(smokeId).toMatch(/^switchyard-[0-9a-f]{32}$/);
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

  it('fails a hook that answers nothing, or an object without a status, saying what it answered', async () => {
    await createHook('CodeDeployHook_quiet', 'answersNothing');
    await createHook('CodeDeployHook_vague', 'answersWithoutStatus');

    const quiet = run('AfterInstall', { AfterInstall: ['CodeDeployHook_quiet', 'CodeDeployHook_vague'] });
    await expect(quiet).rejects.toThrow(HookFailedError);
    await expect(quiet).rejects.toThrow(
      /^AfterInstall hook CodeDeployHook_quiet failed after \d+ ms: answered null and reported no status; a hook passes only when it answers \{"status": "Succeeded"\} .*\(not run: CodeDeployHook_vague\)$/,
    );
    await expect(run('AfterInstall', { AfterInstall: ['CodeDeployHook_vague'] })).rejects.toThrow(
      /CodeDeployHook_vague failed after \d+ ms: answered \{"ok":true,"checks":12\} and reported no status/,
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
    // The handler reads the record's abort flag first (record/fence.ts) in the stack's table.
    process.env.TABLE_NAME = (await createLocalStack({})).resources.DeploymentsTable as string;
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
      delete process.env.TABLE_NAME;
    }
  });

  describe('hooks written for CodeDeploy', () => {
    const NAME = 'CodeDeployHook_validate';
    const createFixture = (source: string, options: { helper?: boolean; result?: string } = {}) =>
      createNodeFunction(moto.endpoint, {
        name: NAME,
        files: hookFiles(source, options),
        timeout: 10,
        ...(options.result ? { environment: { VALIDATION_RESULT: options.result } } : {}),
      });
    const validate = () => run('AfterAllowTestTraffic', { AfterAllowTestTraffic: [NAME] });
    const statusLines = async () =>
      (await logLines(NAME)).filter((line) => line.includes('SWITCHYARD_HOOK_STATUS'));

    it('fails the user guide sample unchanged: its status goes to CodeDeploy, which knows no such deployment', async () => {
      await createFixture(SAMPLE_V2);

      const failed = validate();

      await expect(failed).rejects.toThrow(HookFailedError);
      await expect(failed).rejects.toThrow(
        /^AfterAllowTestTraffic hook CodeDeployHook_validate failed after \d+ ms: string: the validation result could not be reported$/,
      );
      expect(await logLines(NAME)).toContainEqual(
        expect.stringMatching(/CodeDeploy PutLifecycleEventHookExecutionStatus failed: /),
      );
    });

    it('fails the sample that swallows the API error and answers null: no status counts', async () => {
      await createFixture(SWALLOWING_V2);

      const failed = validate();

      await expect(failed).rejects.toThrow(HookFailedError);
      await expect(failed).rejects.toThrow(
        /failed after \d+ ms: answered null and reported no status; .* last 4 KB of the hook's log, all that Lambda returns: report the status last, or answer \{"status": "Succeeded"\}$/,
      );
    });

    it('passes the sample with the one-line change when it reports Succeeded, without calling CodeDeploy', async () => {
      const changed = migrated(SAMPLE_V2);
      const before = SAMPLE_V2.split('\n');
      expect(changed.split('\n').filter((line, at) => line !== before[at])).toEqual([
        "const codedeploy = require('./switchyard-codedeploy').client(new AWS.CodeDeploy({ apiVersion: '2014-10-06' }));",
      ]);
      await createFixture(changed, { helper: true });

      const out = await validate();

      const id = hookExecutionId('sample-exec', 'AfterAllowTestTraffic', NAME);
      expect(out.invoked).toEqual([
        expect.objectContaining({ lifecycleEventHookExecutionId: id, status: 'Succeeded' }),
      ]);
      expect(await statusLines()).toEqual([
        `SWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId":"${id}","status":"Succeeded"}`,
      ]);
      expect(await logLines(NAME)).not.toContainEqual(expect.stringMatching(/CodeDeploy .* failed/));
    });

    it('fails the sample with the one-line change when it reports Failed', async () => {
      await createFixture(migrated(SAMPLE_V2), { helper: true, result: 'Failed' });

      await expect(validate()).rejects.toThrow(
        /^AfterAllowTestTraffic hook CodeDeployHook_validate failed after \d+ ms: reported status "Failed" through PutLifecycleEventHookExecutionStatus$/,
      );
    });

    it('fails an SDK v3 hook unchanged, and passes it with the one-line change', async () => {
      await createFixture(SAMPLE_V3);
      await expect(validate()).rejects.toThrow(HookFailedError);
      expect(await logLines(NAME)).toContainEqual(
        expect.stringMatching(/CodeDeploy PutLifecycleEventHookExecutionStatus failed: /),
      );

      await moto.reset();
      await createFixture(migrated(SAMPLE_V3), { helper: true });
      expect((await validate()).invoked).toEqual([expect.objectContaining({ status: 'Succeeded' })]);

      await moto.reset();
      await createFixture(migrated(SAMPLE_V3), { helper: true, result: 'Failed' });
      await expect(validate()).rejects.toThrow(
        /reported status "Failed" through PutLifecycleEventHookExecutionStatus$/,
      );
    });

    it('fails a hook whose status line is more than 4 KB before the end of its log', async () => {
      await createHook('CodeDeployHook_chatty', 'reportsThenLogs');

      await expect(run('AfterInstall', { AfterInstall: ['CodeDeployHook_chatty'] })).rejects.toThrow(
        /CodeDeployHook_chatty failed after \d+ ms: answered null and reported no status; .*report the status last/,
      );
      expect(await logLines('CodeDeployHook_chatty')).toContainEqual(
        expect.stringContaining('SWITCHYARD_HOOK_STATUS'),
      );
    });
  });

  it('gives a hook the same LifecycleEventHookExecutionId on every invocation, another to each hook, event and deployment', async () => {
    await createHook('CodeDeployHook_smoke', 'passes');
    await createHook('CodeDeployHook_other', 'passes');
    const hooks = { AfterInstall: ['CodeDeployHook_smoke'], AfterAllowTestTraffic: ['CodeDeployHook_smoke'] };

    await run('AfterInstall', hooks);
    await run('AfterInstall', hooks);
    await run('AfterAllowTestTraffic', hooks);
    await run('AfterInstall', { AfterInstall: ['CodeDeployHook_other'] });
    await runHooks(
      { deployment: { ...deployment, id: 'next-exec' }, render: render(hooks), green, hook: 'AfterInstall' },
      { lambda },
      { hookFunctionPrefix: PREFIX },
    );

    const byRun: Record<string, string[]> = {};
    for (const event of await received('CodeDeployHook_smoke')) {
      const key = `${event.DeploymentId} ${event.hook}`;
      byRun[key] = [...(byRun[key] ?? []), event.LifecycleEventHookExecutionId];
    }
    const [other] = await received('CodeDeployHook_other');
    const [twice, once] = [byRun['sample-exec AfterInstall'], byRun['sample-exec AfterAllowTestTraffic']];
    expect(byRun).toEqual({
      'sample-exec AfterInstall': [expect.any(String), expect.any(String)],
      'sample-exec AfterAllowTestTraffic': [expect.any(String)],
      'next-exec AfterInstall': [expect.any(String)],
    });
    expect(twice?.[0]).toBe(twice?.[1]);
    const distinct = [
      twice?.[0],
      once?.[0],
      byRun['next-exec AfterInstall']?.[0],
      other?.LifecycleEventHookExecutionId,
    ];
    expect(new Set(distinct).size).toBe(4);
  });
});
