/**
 * States `BeforeInstallHooks`, `AfterInstallHooks`, `AfterAllowTestTrafficHooks`, `BeforeAllowTrafficHooks` and
 * `AfterAllowTrafficHooks` (RunHooksFunction).
 * Input: `{deployment, render, green?, hook}`.
 * Output: `{hook, invoked: [{functionName, lifecycleEventHookExecutionId, durationMs, status}]}`.
 * Throws HookFailedError (a hook did not say Succeeded, is not named with HOOK_FUNCTION_PREFIX, or the event's
 * HOOK_TIMEOUT_SECONDS ran out), InvalidInputError, ConfigurationError, TransientAwsError. The hook contract:
 * docs/HOOKS.md. DeploymentAbortedError, before any hook, when the operator aborted (record/fence.ts). AlarmError
 * while AfterAllowTraffic hooks run, when a configured alarm goes into ALARM (deploy/hook-alarm-watch.ts).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { watchingAlarms } from '../lib/deploy/hook-alarm-watch';
import { createHookLambdaClient, hookTimeoutFromEnv } from '../lib/deploy/hook-budget';
import { type RunHooksInput, type RunHooksOutput, runHooks } from '../lib/deploy/hooks';
import { parseAlarmNames } from '../lib/deploy/shift-config';
import { assertNotAborted } from '../lib/record/fence';
import { recordHooks } from '../lib/record/hook-record';
import { awsClient } from '../lib/shared/aws-clients';
import { configFromEnv } from '../lib/shared/config';
import { lambdaHandler } from '../lib/shared/handler';

const lambda = createHookLambdaClient();
const config = configFromEnv(['HOOK_FUNCTION_PREFIX']);
const table = configFromEnv(['TABLE_NAME']);
const dynamodb = awsClient(DynamoDBClient);
const cloudwatch = awsClient(CloudWatchClient);

/** The function's work, called through lambdaHandler. */
async function handle(event: RunHooksInput, context?: Context): Promise<RunHooksOutput> {
  // Before any hook runs: an abort ends the deployment (ABORTED before CreateGreen, else rolled back).
  await assertNotAborted({ dynamodb, tableName: table().TABLE_NAME }, event.deployment);
  const run = () =>
    runHooks(
      event,
      { lambda, remainingTimeMs: context ? () => context.getRemainingTimeInMillis() : undefined },
      {
        hookFunctionPrefix: config().HOOK_FUNCTION_PREFIX,
        hookTimeoutSeconds: hookTimeoutFromEnv(process.env.HOOK_TIMEOUT_SECONDS),
      },
    );
  // Green serves production while AfterAllowTraffic hooks run: the alarms are watched meanwhile.
  const result =
    event.hook !== 'AfterAllowTraffic'
      ? await run()
      : await watchingAlarms(
          {
            cloudwatch,
            alarmNames: parseAlarmNames(process.env.ALARM_NAMES ?? ''),
            deployment: event.deployment,
          },
          run,
        );
  // On the record, for `switchyard status --follow` (record/hook-record.ts).
  await recordHooks({ dynamodb, tableName: table().TABLE_NAME }, event.deployment, result.hook, {
    invoked: result.invoked,
    at: new Date().toISOString(),
  });
  return result;
}

/** Lambda entry point: `handle`, whose transient AWS errors reach the machine as TransientAwsError. */
export const handler = lambdaHandler(handle);
