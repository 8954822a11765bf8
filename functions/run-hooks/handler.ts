/**
 * States `BeforeInstallHooks`, `AfterInstallHooks`, `AfterAllowTestTrafficHooks`, `BeforeAllowTrafficHooks` and
 * `AfterAllowTrafficHooks` (RunHooksFunction).
 * Input: `{deployment, render, green?, hook}`.
 * Output: `{hook, invoked: [{functionName, lifecycleEventHookExecutionId, durationMs, status}]}`.
 * Throws HookFailedError (a hook did not say Succeeded, or is not named with HOOK_FUNCTION_PREFIX),
 * InvalidInputError, ConfigurationError, TransientAwsError. The hook contract: docs/HOOKS.md.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { type RunHooksInput, type RunHooksOutput, runHooks } from '../lib/deploy/hooks';
import { configFromEnv } from '../lib/shared/config';

const lambda = new LambdaClient({});
const config = configFromEnv(['HOOK_FUNCTION_PREFIX']);

/** Lambda entry point. */
export async function handler(event: RunHooksInput): Promise<RunHooksOutput> {
  return runHooks(event, { lambda }, { hookFunctionPrefix: config().HOOK_FUNCTION_PREFIX });
}
