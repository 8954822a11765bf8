import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_HOOK_TIMEOUT_SECONDS,
  HOOK_INVOKES,
  HookBudget,
  hookTimeoutFromEnv,
  INVOKE_REQUEST_TIMEOUT_MS,
  MAX_HOOK_TIMEOUT_SECONDS,
  MIN_HOOK_TIMEOUT_SECONDS,
  RESERVE_MS,
} from '../../../functions/lib/deploy/hook-budget';
import { type RunHooksInput, runHooks } from '../../../functions/lib/deploy/hooks';
import { ConfigurationError, HookFailedError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';
import { type FakeLambda, fakeLambda } from '../../support/fake-lambda-invoker';
import { ROOT, readTemplate, resourceOf } from '../../support/sam-template';

const sample = loadEvent<RunHooksInput>('run-hooks');
const SUCCEEDED = '{"status":"Succeeded"}';
const HOOK_STATES = [
  'BeforeInstallHooks',
  'AfterInstallHooks',
  'AfterAllowTestTrafficHooks',
  'BeforeAllowTrafficHooks',
  'AfterAllowTrafficHooks',
];

/** `sample` with three hooks for its event. */
const threeHooks: RunHooksInput = {
  ...sample,
  render: {
    ...sample.render,
    appspec: {
      ...sample.render.appspec,
      hooks: { AfterAllowTestTraffic: ['CodeDeployHook_a', 'CodeDeployHook_b', 'CodeDeployHook_c'] },
    },
  },
};

describe('HookBudget', () => {
  it('is HookTimeoutSeconds when RunHooks has more time left than that', () => {
    let now = 1000;
    const budget = new HookBudget({
      hookTimeoutSeconds: 60,
      remainingTimeMs: () => 900_000,
      clock: () => now,
    });

    expect(budget.totalMs).toBe(60_000);
    expect(budget.describe()).toBe("60 s (the stack's HookTimeoutSeconds)");
    now += 45_000;
    expect(budget.remainingMs()).toBe(15_000);
    now += 20_000;
    expect(budget.remainingMs()).toBe(0);
  });

  it("is RunHooksFunction's remaining time less the reserve when that is shorter", () => {
    const budget = new HookBudget({
      hookTimeoutSeconds: 900,
      remainingTimeMs: () => 300_000,
      clock: () => 0,
    });

    expect(budget.totalMs).toBe(300_000 - RESERVE_MS);
    expect(budget.describe()).toBe(
      '298 s (what RunHooksFunction had left of its Timeout, less 2 s to report)',
    );
  });

  it('ignores a remaining time that is not a number (a local runner without a numeric Timeout)', () => {
    const budget = new HookBudget({
      hookTimeoutSeconds: 30,
      remainingTimeMs: () => Number.NaN,
      clock: () => 0,
    });

    expect(budget.totalMs).toBe(30_000);
  });
});

describe('hookTimeoutFromEnv', () => {
  it('reads whole seconds within the parameter bounds, and defaults when unset', () => {
    expect(hookTimeoutFromEnv('120')).toBe(120);
    expect(hookTimeoutFromEnv(String(MIN_HOOK_TIMEOUT_SECONDS))).toBe(MIN_HOOK_TIMEOUT_SECONDS);
    expect(hookTimeoutFromEnv(String(MAX_HOOK_TIMEOUT_SECONDS))).toBe(MAX_HOOK_TIMEOUT_SECONDS);
    expect(hookTimeoutFromEnv(undefined)).toBe(DEFAULT_HOOK_TIMEOUT_SECONDS);
    expect(hookTimeoutFromEnv('')).toBe(DEFAULT_HOOK_TIMEOUT_SECONDS);
  });

  it.each(['901', '5', '12.5', 'fifteen minutes'])(
    'refuses %s naming the variable, the bounds and the parameter',
    (value) => {
      expect(() => hookTimeoutFromEnv(value)).toThrow(ConfigurationError);
      expect(() => hookTimeoutFromEnv(value)).toThrow(
        `environment variable HOOK_TIMEOUT_SECONDS is ${JSON.stringify(value)}; expected a whole number of seconds ` +
          "from 10 to 900: set the stack's HookTimeoutSeconds parameter",
      );
    },
  );
});

describe('runHooks within the budget', () => {
  // The Invoke is a signed request (shared/lambda-invoke.ts): answered by a fake Lambda.
  let fake: FakeLambda;
  let lambda: FakeLambda['lambda'];
  beforeEach(() => {
    fake = fakeLambda();
    lambda = fake.lambda;
  });
  const invokedNames = () => fake.invokes.map((invoke) => invoke.FunctionName);

  it('gives each Invoke an abort signal for what is left, and runs every hook that fits', async () => {
    let now = 0;
    const clock = () => now;
    fake.answer = () => {
      now += 10_000;
      return { StatusCode: 200, Payload: SUCCEEDED };
    };

    const out = await runHooks(
      threeHooks,
      { lambda, clock },
      { hookFunctionPrefix: 'CodeDeployHook_', hookTimeoutSeconds: 60 },
    );

    expect(out.invoked.map((hook) => [hook.functionName, hook.durationMs])).toEqual([
      ['CodeDeployHook_a', 10_000],
      ['CodeDeployHook_b', 10_000],
      ['CodeDeployHook_c', 10_000],
    ]);
    expect(fake.invokes).toHaveLength(3);
    for (const invoke of fake.invokes) {
      expect(invoke.options.abortSignal).toBeInstanceOf(AbortSignal);
      expect(invoke.options.abortSignal?.aborted).toBe(false);
    }
  });

  it('fails with HookFailedError naming the hook the budget no longer covers; the rest are not invoked', async () => {
    let now = 0;
    fake.answer = () => {
      now += 35_000;
      return { StatusCode: 200, Payload: SUCCEEDED };
    };

    const run = runHooks(
      threeHooks,
      { lambda, clock: () => now },
      { hookFunctionPrefix: 'CodeDeployHook_', hookTimeoutSeconds: 60 },
    );

    await expect(run).rejects.toThrow(HookFailedError);
    await expect(run).rejects.toThrow(
      "AfterAllowTestTraffic hook CodeDeployHook_c was not invoked: the 60 s (the stack's HookTimeoutSeconds) for " +
        'the hooks of AfterAllowTestTraffic was spent by the hooks before it (CodeDeployHook_a 35000 ms, ' +
        'CodeDeployHook_b 35000 ms); raise HookTimeoutSeconds (at most 900), or make the hooks shorter (docs/HOOKS.md)',
    );
    expect(invokedNames()).toEqual(['CodeDeployHook_a', 'CodeDeployHook_b']);
  });

  it('fails with HookFailedError naming the hook whose Invoke the budget ended, and the hooks not run', async () => {
    fake.answer = () => {
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    };

    const run = runHooks(
      threeHooks,
      { lambda, clock: () => 0 },
      { hookFunctionPrefix: 'CodeDeployHook_', hookTimeoutSeconds: 30 },
    );

    await expect(run).rejects.toThrow(HookFailedError);
    await expect(run).rejects.toThrow(
      /^AfterAllowTestTraffic hook CodeDeployHook_a did not answer within the 30 s left of the 30 s \(the stack's HookTimeoutSeconds\) for the hooks of AfterAllowTestTraffic \(waited 0 ms\) \(not run: CodeDeployHook_b, CodeDeployHook_c\); the function may still be running until its own Timeout\./,
    );
  });

  it('invokes nothing when RunHooksFunction has less time left than it keeps to report', async () => {
    const run = runHooks(
      threeHooks,
      { lambda, clock: () => 0, remainingTimeMs: () => RESERVE_MS - 1 },
      { hookFunctionPrefix: 'CodeDeployHook_', hookTimeoutSeconds: 900 },
    );

    await expect(run).rejects.toThrow(
      /^AfterAllowTestTraffic hook CodeDeployHook_a was not invoked: the 0 s \(what RunHooksFunction had left of its Timeout, less 2 s to report\) for the hooks of AfterAllowTestTraffic was spent before any hook ran \(not run: CodeDeployHook_b, CodeDeployHook_c\)/,
    );
    expect(fake.invokes).toHaveLength(0);
  });
});

describe('the hooks client and the stack', () => {
  const template = readTemplate('decode');
  const asl = JSON.parse(readFileSync(join(ROOT, 'statemachine/pipeline.asl.json'), 'utf8')) as {
    States: Record<string, { TimeoutSeconds?: number }>;
  };
  const runHooksTimeout = resourceOf(template, 'RunHooksFunction').Properties.Timeout;

  it("waits on a hook's Invoke longer than any hook can run, on a socket that may stay silent meanwhile", () => {
    expect(HOOK_INVOKES.requestTimeoutMs).toBe(INVOKE_REQUEST_TIMEOUT_MS);
    expect(INVOKE_REQUEST_TIMEOUT_MS).toBeGreaterThan(MAX_HOOK_TIMEOUT_SECONDS * 1000);
    // 0: no idle limit; a hook that logs nothing for minutes keeps its connection.
    expect(HOOK_INVOKES.socketTimeoutMs).toBe(0);
  });

  it('gives HookTimeoutSeconds the bounds and default RunHooks reads, and to RunHooks as HOOK_TIMEOUT_SECONDS', () => {
    expect(template.Parameters.HookTimeoutSeconds).toMatchObject({
      Type: 'Number',
      Default: DEFAULT_HOOK_TIMEOUT_SECONDS,
      MinValue: MIN_HOOK_TIMEOUT_SECONDS,
      MaxValue: MAX_HOOK_TIMEOUT_SECONDS,
    });
    expect(template.Globals.Function.Environment.Variables.HOOK_TIMEOUT_SECONDS).toEqual({
      Ref: 'HookTimeoutSeconds',
    });
  });

  it("sets RunHooksFunction's Timeout to Lambda's most, and every hook state's TimeoutSeconds above it", () => {
    expect(runHooksTimeout).toBe(MAX_HOOK_TIMEOUT_SECONDS);
    for (const name of HOOK_STATES) {
      const timeout = asl.States[name]?.TimeoutSeconds;
      // The state's own timeout must not cut RunHooks short: RunHooks ends with its clear error first.
      expect({ name, timeout }).toEqual({ name, timeout: expect.any(Number) });
      expect(timeout).toBeGreaterThan(MAX_HOOK_TIMEOUT_SECONDS);
      expect(timeout).toBeLessThanOrEqual(MAX_HOOK_TIMEOUT_SECONDS + 60);
    }
  });
});
