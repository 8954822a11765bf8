/**
 * The lifecycle hooks a deployment ran, on its record: `hooks` = {<lifecycle event>: {invoked, at}}, written by
 * RunHooks once every hook of the event said Succeeded (a failed hook is the deployment's error). `switchyard status
 * --follow` and `deploy --follow` read them from there, against AWS and a local stack alike (cli/stack/follow.ts).
 * Two conditional writes at most: the event into an existing map, else the map made with the event (a record
 * written before this field existed has none). Informational: a write that fails is logged, never fails the hooks.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describeError } from '../shared/errors';
import { logger } from '../shared/log';
import { type Deployment, recordKey } from './record-model';
import type { RecordSource } from './record-read';

/** One event's hooks as the record keeps them: RunHooks' `invoked`, and when they ended. */
export interface HookRun {
  invoked: ReadonlyArray<{
    functionName: string;
    lifecycleEventHookExecutionId: string;
    durationMs: number;
    status: string;
  }>;
  at: string;
}

async function setEvent(source: RecordSource, deployment: Deployment, hook: string, run: HookRun) {
  const doc = DynamoDBDocumentClient.from(source.dynamodb);
  const common = {
    TableName: source.tableName,
    Key: recordKey(deployment),
    ExpressionAttributeNames: { '#hooks': 'hooks', '#event': hook } as Record<string, string>,
  };
  try {
    await doc.send(
      new UpdateCommand({
        ...common,
        UpdateExpression: 'SET #hooks.#event = :run',
        ConditionExpression: 'attribute_exists(#hooks)',
        ExpressionAttributeValues: { ':run': run },
      }),
    );
    return;
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  await doc.send(
    new UpdateCommand({
      ...common,
      UpdateExpression: 'SET #hooks = :hooks',
      ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#hooks)',
      ExpressionAttributeNames: { '#hooks': 'hooks', '#pk': 'pk' },
      ExpressionAttributeValues: { ':hooks': { [hook]: run } },
    }),
  );
}

/** Puts one event's hooks on the record (a retry writes the same again); never throws. */
export async function recordHooks(
  source: RecordSource,
  deployment: Deployment,
  hook: string,
  run: HookRun,
): Promise<void> {
  if (run.invoked.length === 0) return;
  try {
    await setEvent(source, deployment, hook, run);
  } catch (error) {
    logger.warn(`the ${hook} hooks could not be put on the record: ${describeError(error)}`);
  }
}
