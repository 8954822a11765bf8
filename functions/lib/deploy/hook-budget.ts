/**
 * How long the hooks of one lifecycle event may take together: the stack's HookTimeoutSeconds (environment
 * HOOK_TIMEOUT_SECONDS), and never more than RunHooksFunction has left to run. Each hook's Invoke is given what is
 * left of it; when it is spent RunHooks fails with HookFailedError naming the hook, before Lambda would end
 * RunHooks itself with a bare timeout. docs/HOOKS.md ("How long a hook may take").
 */
import { API_CALLS, type ClientSettings } from '../shared/aws-clients';
import { ConfigurationError } from '../shared/errors';
import { type LambdaInvoker, lambdaInvoker } from '../shared/lambda-invoke';

/** Lambda's most for one invocation, and so for RunHooksFunction's Timeout (template.yaml). */
export const MAX_HOOK_TIMEOUT_SECONDS = 900;
/** The stack parameter's default: everything RunHooksFunction's Timeout allows (docs/HOOKS.md says why). */
export const DEFAULT_HOOK_TIMEOUT_SECONDS = 900;
/** The stack parameter's MinValue. */
export const MIN_HOOK_TIMEOUT_SECONDS = 10;
/** What RunHooks keeps of its own run time to fail with a clear error rather than be stopped by Lambda. */
export const RESERVE_MS = 2000;
/** The HTTP request timeout of the hooks' Lambda client: above the longest a synchronous Invoke can wait. */
export const INVOKE_REQUEST_TIMEOUT_MS = (MAX_HOOK_TIMEOUT_SECONDS + 60) * 1000;

/** Where the budget's bounds come from. */
export interface BudgetSources {
  /** HookTimeoutSeconds. */
  hookTimeoutSeconds: number;
  /** The Lambda context's getRemainingTimeInMillis, when RunHooks runs in Lambda. */
  remainingTimeMs?: () => number;
  /** A monotonic clock in milliseconds. */
  clock: () => number;
}

/** The time left for the hooks of one event, counted from its creation. */
export class HookBudget {
  readonly totalMs: number;
  /** Whether the bound is RunHooksFunction's own remaining time rather than HookTimeoutSeconds. */
  readonly boundByFunction: boolean;
  private readonly deadline: number;

  constructor(private readonly sources: BudgetSources) {
    const configured = sources.hookTimeoutSeconds * 1000;
    const left = sources.remainingTimeMs?.();
    // A local runner without a numeric Timeout gives NaN: the configured budget alone then.
    const ownMs = typeof left === 'number' && Number.isFinite(left) ? left - RESERVE_MS : Infinity;
    this.boundByFunction = ownMs < configured;
    this.totalMs = Math.max(0, Math.min(configured, ownMs));
    this.deadline = sources.clock() + this.totalMs;
  }

  /** Milliseconds left (0 when spent). */
  remainingMs(): number {
    return Math.max(0, Math.floor(this.deadline - this.sources.clock()));
  }

  /** The budget in words, for an error message. */
  describe(): string {
    const seconds = Math.round(this.totalMs / 1000);
    return this.boundByFunction
      ? `${seconds} s (what RunHooksFunction had left of its Timeout, less ${RESERVE_MS / 1000} s to report)`
      : `${seconds} s (the stack's HookTimeoutSeconds)`;
  }
}

/** HookTimeoutSeconds from HOOK_TIMEOUT_SECONDS; unset means the parameter's default. */
export function hookTimeoutFromEnv(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_HOOK_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (
    !Number.isInteger(seconds) ||
    seconds < MIN_HOOK_TIMEOUT_SECONDS ||
    seconds > MAX_HOOK_TIMEOUT_SECONDS
  ) {
    throw new ConfigurationError(
      `environment variable HOOK_TIMEOUT_SECONDS is ${JSON.stringify(value)}; expected a whole number of seconds ` +
        `from ${MIN_HOOK_TIMEOUT_SECONDS} to ${MAX_HOOK_TIMEOUT_SECONDS}: set the stack's HookTimeoutSeconds parameter`,
    );
  }
  return seconds;
}

/**
 * The timeouts of a hook's synchronous Invoke. It holds the HTTP request open while the hook runs, up to 15
 * minutes, so the request timeout must exceed that, and the socket, silent all that time, has no idle timeout;
 * TCP keep-alive (on in the SDK's agent) keeps the idle connection open meanwhile. The connection itself is set up
 * within the control-plane calls' bound, with their attempts.
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html
 */
export const HOOK_INVOKES: ClientSettings = {
  connectionTimeoutMs: API_CALLS.connectionTimeoutMs,
  requestTimeoutMs: INVOKE_REQUEST_TIMEOUT_MS,
  socketTimeoutMs: 0,
  maxAttempts: API_CALLS.maxAttempts,
};

/** The Lambda invoker RunHooks invokes hooks with (a signed request: shared/lambda-invoke.ts), HOOK_INVOKES. */
export function createHookLambdaClient(): LambdaInvoker {
  return lambdaInvoker(HOOK_INVOKES);
}
