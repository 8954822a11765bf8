import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkHookNames,
  hookExecutionId,
  hookFunctionName,
  hookPayload,
  type RunHooksInput,
  runHooks,
} from '../../../functions/lib/deploy/hooks';
import type { GreenState } from '../../../functions/lib/deploy/state';
import { HookFailedError, InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';
import { type FakeLambda, fakeLambda, lambdaError } from '../../support/fake-lambda-invoker';

const sample = loadEvent<RunHooksInput>('run-hooks');

describe('hookFunctionName', () => {
  it('takes the name out of a name, a qualified name, a partial or a full ARN', () => {
    expect(hookFunctionName('CodeDeployHook_smoke')).toBe('CodeDeployHook_smoke');
    expect(hookFunctionName('CodeDeployHook_smoke:live')).toBe('CodeDeployHook_smoke');
    expect(hookFunctionName('123456789012:function:CodeDeployHook_smoke')).toBe('CodeDeployHook_smoke');
    expect(hookFunctionName('arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_smoke:7')).toBe(
      'CodeDeployHook_smoke',
    );
    expect(hookFunctionName('arn:aws-cn:lambda:cn-north-1:123456789012:function:smoke')).toBe('smoke');
    // A function may be called "function": the name is what follows the ARN's prefix, not a search for the word.
    expect(hookFunctionName('function:live')).toBe('function');
  });
});

describe('checkHookNames', () => {
  it('passes names, qualified names and ARNs with the prefix', () => {
    expect(() =>
      checkHookNames(
        {
          BeforeInstall: ['CodeDeployHook_a'],
          AfterAllowTraffic: ['arn:aws:lambda:us-east-1:123456789012:function:CodeDeployHook_b:live'],
        },
        'CodeDeployHook_',
      ),
    ).not.toThrow();
  });

  it('names every hook outside the prefix, with its event (the prefix is case-sensitive, as IAM is)', () => {
    expect(() =>
      checkHookNames(
        { AfterInstall: ['codedeployhook_a', 'CodeDeployHook_b'], AfterAllowTraffic: ['prod-check'] },
        'CodeDeployHook_',
      ),
    ).toThrow(/\(AfterInstall: codedeployhook_a, AfterAllowTraffic: prod-check\)/);
  });
});

describe('hookExecutionId', () => {
  it('is switchyard- and 32 hex digits, the same for the same deployment, event and function', () => {
    const id = hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_smoke');
    expect(id).toMatch(/^switchyard-[0-9a-f]{32}$/);
    expect(hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_smoke')).toBe(id);
  });

  it('differs for another deployment, event or function (the function as the AppSpec names it)', () => {
    const ids = [
      hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_smoke'),
      hookExecutionId('other-exec', 'AfterInstall', 'CodeDeployHook_smoke'),
      hookExecutionId('sample-exec', 'BeforeAllowTraffic', 'CodeDeployHook_smoke'),
      hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_load'),
      hookExecutionId('sample-exec', 'AfterInstall', 'CodeDeployHook_smoke:live'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('hookPayload', () => {
  it('carries the deployment, the revision, green and the CodeDeploy fields of this function', () => {
    expect(hookPayload(sample, 'CodeDeployHook_web-smoke-test')).toEqual({
      deploymentId: 'sample-exec',
      hook: 'AfterAllowTestTraffic',
      commitId: '7f3c2a9e5b1d4c8f6a0e2b9d3c7f1a5e8b4d6c02',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
      greenTargetGroupArn: sample.green?.greenTargetGroupArn,
      testListenerArn: sample.green?.testListenerArn,
      DeploymentId: 'sample-exec',
      LifecycleEventHookExecutionId: hookExecutionId(
        'sample-exec',
        'AfterAllowTestTraffic',
        'CodeDeployHook_web-smoke-test',
      ),
    });
  });

  it('is what docs/HOOKS.md shows for events/run-hooks.json', () => {
    const page = readFileSync(join(__dirname, '../../../docs/HOOKS.md'), 'utf8');
    const shown = /```json\n([\s\S]*?)```/.exec(page)?.[1] ?? '';
    expect(JSON.parse(shown)).toEqual(hookPayload(sample, 'CodeDeployHook_web-smoke-test'));
  });

  it('has null green fields before CreateGreen, and a null test listener when there is none', () => {
    const { green, ...before } = sample;
    expect(hookPayload({ ...before, hook: 'BeforeInstall' }, 'CodeDeployHook_a')).toMatchObject({
      greenTargetGroupArn: null,
      testListenerArn: null,
    });
    expect(
      hookPayload(
        { ...sample, green: { ...(green as GreenState), testListenerArn: '' } },
        'CodeDeployHook_a',
      ),
    ).toMatchObject({ testListenerArn: null });
  });
});

describe('runHooks faults the emulator cannot make', () => {
  // The Invoke is a signed request (shared/lambda-invoke.ts): answered by a fake Lambda.
  let fake: FakeLambda;
  let lambda: FakeLambda['lambda'];
  const config = { hookFunctionPrefix: 'CodeDeployHook_' };
  beforeEach(() => {
    fake = fakeLambda();
    lambda = fake.lambda;
  });

  it('turns a throttled Invoke into TransientAwsError (the machine retries the state)', async () => {
    fake.answer = () => {
      throw lambdaError('TooManyRequestsException', 429, 'Rate exceeded');
    };

    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(TransientAwsError);
  });

  it('turns a denied Invoke into HookFailedError that points at the prefix', async () => {
    fake.answer = () => {
      throw lambdaError('AccessDeniedException', 403, 'not authorized to perform lambda:InvokeFunction');
    };

    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(HookFailedError);
    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(
      /could not be invoked: AccessDeniedException: .*named with the stack's HookFunctionPrefix$/,
    );
  });

  it('sends RequestResponse with the payload and LogType Tail, and times each function with the clock it is given', async () => {
    fake.answer = () => ({ StatusCode: 200, Payload: '{"status":"Succeeded"}' });
    let tick = 0;

    const out = await runHooks(sample, { lambda, clock: () => (tick += 250) }, config);

    const payload = hookPayload(sample, 'CodeDeployHook_web-smoke-test');
    expect(out).toEqual({
      hook: 'AfterAllowTestTraffic',
      invoked: [
        {
          functionName: 'CodeDeployHook_web-smoke-test',
          lifecycleEventHookExecutionId: payload.LifecycleEventHookExecutionId,
          durationMs: 250,
          status: 'Succeeded',
        },
      ],
    });
    const input = fake.invokes[0];
    expect(input?.FunctionName).toBe('CodeDeployHook_web-smoke-test');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(input?.LogType).toBe('Tail');
    expect(JSON.parse(String(input?.Payload))).toEqual(payload);
  });

  it('reads the status line of this execution id from LogResult, base64 as Lambda sends it', async () => {
    const id = hookExecutionId('sample-exec', 'AfterAllowTestTraffic', 'CodeDeployHook_web-smoke-test');
    const tail = (status: string) =>
      Buffer.from(
        `START RequestId: r1 Version: $LATEST\nSWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId":"${id}",` +
          `"status":"${status}"}\nEND RequestId: r1\n`,
      ).toString('base64');
    const Payload = '"the validation result was reported"';
    const tails = [tail('Succeeded'), tail('Failed')];
    fake.answer = () => ({ Payload, LogResult: tails.shift() });

    await expect(runHooks(sample, { lambda }, config)).resolves.toMatchObject({
      invoked: [{ lifecycleEventHookExecutionId: id, status: 'Succeeded' }],
    });
    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(
      /CodeDeployHook_web-smoke-test failed after \d+ ms: reported status "Failed" through PutLifecycleEventHookExecutionStatus$/,
    );
  });

  it("fails with the function's error when Lambda answers X-Amz-Function-Error", async () => {
    fake.answer = () => ({
      FunctionError: 'Unhandled',
      Payload: '{"errorType":"Error","errorMessage":"database unreachable"}',
    });

    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(
      /CodeDeployHook_web-smoke-test failed after \d+ ms: Error: database unreachable$/,
    );
  });

  it('refuses an unknown event before invoking anything', async () => {
    await expect(
      runHooks({ ...sample, hook: 'ApplicationStart' } as unknown as RunHooksInput, { lambda }, config),
    ).rejects.toThrow(InvalidInputError);
    expect(fake.invokes).toHaveLength(0);
  });
});
