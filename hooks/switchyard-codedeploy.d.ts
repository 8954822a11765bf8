/**
 * Wraps a CodeDeploy client (AWS SDK v2 `new AWS.CodeDeploy()` or v3 `new CodeDeployClient({})`): a
 * PutLifecycleEventHookExecutionStatus for a Switchyard execution id (`switchyard-…`) is reported to Switchyard
 * through the hook's log instead of AWS; everything else goes to the client unchanged.
 */
export declare function client<T extends object>(codedeploy: T): T;

/**
 * The idempotency key of one hook execution: `event.LifecycleEventHookExecutionId`, the same on every invocation of
 * this hook for this lifecycle event of this deployment (Switchyard's retries included). Throws a TypeError when the
 * event has none.
 */
export declare function idempotencyKey(
  event: { LifecycleEventHookExecutionId?: string } | null | undefined,
): string;
