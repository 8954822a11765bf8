/**
 * The start times of the stages whose input does not carry one, for the duration metrics (shared/metrics.ts):
 * the traffic shift began at the record's first step (ShiftTraffic writes it, traffic-record.ts), and a rollback
 * began at its first attempt, stamped once on the record so that a retried Rollback measures from the first.
 * A metric never fails or delays a deployment: a read or stamp that fails is logged as a warning and the metric
 * is left out.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describeError } from '../shared/errors';
import { logger } from '../shared/log';
import { type Deployment, recordKey } from './record-model';
import { type RecordSource, readRecordNow } from './record-read';

/** The record's field that dates the first attempt of a rollback. */
export const ROLLBACK_STARTED_FIELD = 'rollbackStartedAt';

async function orWarn<T>(what: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    logger.warn(`${what} could not be read, so its metric is left out: ${describeError(error)}`);
    return undefined;
  }
}

/** When the traffic shift began: the time of the first step on the record; undefined when there is none. */
export function trafficStartedAt(source: RecordSource, deployment: Deployment): Promise<string | undefined> {
  return orWarn('the time of the first traffic step', async () => {
    const record = await readRecordNow(source, deployment);
    const steps = Array.isArray(record?.steps) ? (record.steps as Array<{ at?: unknown }>) : [];
    const at = steps[0]?.at;
    return typeof at === 'string' ? at : undefined;
  });
}

/**
 * When the rollback began: the record's rollbackStartedAt, written by this call when it is the first attempt
 * (`if_not_exists`, so a retry keeps the first time). Writes nothing when the deployment has no record.
 */
export function rollbackStartedAt(
  source: RecordSource,
  deployment: Deployment,
  now: Date = new Date(),
): Promise<string | undefined> {
  return orWarn('the start of the rollback', async () => {
    try {
      const out = await DynamoDBDocumentClient.from(source.dynamodb).send(
        new UpdateCommand({
          TableName: source.tableName,
          Key: recordKey(deployment),
          UpdateExpression: 'SET #started = if_not_exists(#started, :now)',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#started': ROLLBACK_STARTED_FIELD, '#pk': 'pk' },
          ExpressionAttributeValues: { ':now': now.toISOString() },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const started = out.Attributes?.[ROLLBACK_STARTED_FIELD];
      return typeof started === 'string' ? started : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  });
}
