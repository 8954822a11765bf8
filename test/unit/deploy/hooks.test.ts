import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  checkHookNames,
  hookFailure,
  hookFunctionName,
  hookPayload,
  type RunHooksInput,
  runHooks,
} from '../../../functions/lib/deploy/hooks';
import type { GreenState } from '../../../functions/lib/deploy/state';
import { HookFailedError, InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';

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

describe('hookPayload', () => {
  it('carries the deployment, the revision and green', () => {
    expect(hookPayload(sample)).toEqual({
      deploymentId: 'sample-exec',
      hook: 'AfterAllowTestTraffic',
      commitId: '7f3c2a9e5b1d4c8f6a0e2b9d3c7f1a5e8b4d6c02',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42',
      greenTargetGroupArn: sample.green?.greenTargetGroupArn,
      testListenerArn: sample.green?.testListenerArn,
    });
  });

  it('has null green fields before CreateGreen, and a null test listener when there is none', () => {
    const { green, ...before } = sample;
    expect(hookPayload({ ...before, hook: 'BeforeInstall' })).toMatchObject({
      greenTargetGroupArn: null,
      testListenerArn: null,
    });
    expect(
      hookPayload({ ...sample, green: { ...(green as GreenState), testListenerArn: '' } }),
    ).toMatchObject({ testListenerArn: null });
  });
});

describe('hookFailure', () => {
  it('passes any answer but a failed status', () => {
    for (const answer of [
      '',
      'null',
      '"done"',
      '{"status":"Succeeded"}',
      '{"status":"pending"}',
      'not json',
      '[]',
    ]) {
      expect(hookFailure(undefined, answer)).toBeNull();
    }
  });

  it('fails {"status": "Failed"} in any case, with the message, reason or the answer itself', () => {
    expect(hookFailure(undefined, '{"status":"failed","message":"503"}')).toBe(
      'answered status "failed": 503',
    );
    expect(hookFailure(undefined, '{"status":"FAILED","reason":"p99 800 ms"}')).toBe(
      'answered status "FAILED": p99 800 ms',
    );
    expect(hookFailure(undefined, '{"status":"Failed","checks":3}')).toBe(
      'answered status "Failed" ({"status":"Failed","checks":3})',
    );
  });

  it('fails a function error with its type and message', () => {
    expect(hookFailure('Unhandled', '{"errorType":"TypeError","errorMessage":"boom","trace":[]}')).toBe(
      'TypeError: boom',
    );
    expect(hookFailure('Unhandled', 'garbled')).toBe('Unhandled: garbled');
  });
});

describe('runHooks faults the emulator cannot make', () => {
  const lambdaMock = mockClient(LambdaClient);
  const lambda = new LambdaClient({});
  const config = { hookFunctionPrefix: 'CodeDeployHook_' };
  beforeEach(() => lambdaMock.reset());

  it('turns a throttled Invoke into TransientAwsError (the machine retries the state)', async () => {
    lambdaMock
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));

    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(TransientAwsError);
  });

  it('turns a denied Invoke into HookFailedError that points at the prefix', async () => {
    lambdaMock.on(InvokeCommand).rejects(
      Object.assign(new Error('not authorized to perform lambda:InvokeFunction'), {
        name: 'AccessDeniedException',
      }),
    );

    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(HookFailedError);
    await expect(runHooks(sample, { lambda }, config)).rejects.toThrow(
      /could not be invoked: AccessDeniedException: .*named with the stack's HookFunctionPrefix$/,
    );
  });

  it('sends RequestResponse with the payload and times each function with the clock it is given', async () => {
    // The SDK hands Payload back as a Uint8Array with helpers; the core only reads its bytes.
    const Payload = Buffer.from('{"status":"Succeeded"}') as unknown as InvokeCommandOutput['Payload'];
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload });
    let tick = 0;

    const out = await runHooks(sample, { lambda, clock: () => (tick += 250) }, config);

    expect(out).toEqual({
      hook: 'AfterAllowTestTraffic',
      invoked: [{ functionName: 'CodeDeployHook_web-smoke-test', durationMs: 250, status: 'Succeeded' }],
    });
    const input = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(String(input?.Payload))).toEqual(hookPayload(sample));
  });

  it('refuses an unknown event before invoking anything', async () => {
    await expect(
      runHooks({ ...sample, hook: 'ApplicationStart' } as unknown as RunHooksInput, { lambda }, config),
    ).rejects.toThrow(InvalidInputError);
    expect(lambdaMock.calls()).toHaveLength(0);
  });
});
