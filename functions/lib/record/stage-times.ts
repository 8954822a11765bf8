/**
 * The start of the one stage whose input does not carry it, for its duration metric (shared/metrics.ts): the
 * traffic shift began at the record's first step (ShiftTraffic writes it, traffic-record.ts). (A rollback's start is
 * stamped by its first write: record/fence.ts startRollback.) A metric never fails or delays a deployment: a read
 * that fails is logged as a warning and the metric is left out.
 */
import { describeError } from '../shared/errors';
import { logger } from '../shared/log';
import type { Deployment } from './record-model';
import { type RecordSource, readRecordNow } from './record-read';

/** When the traffic shift began: the time of the first step on the record; undefined when there is none. */
export async function trafficStartedAt(
  source: RecordSource,
  deployment: Deployment,
): Promise<string | undefined> {
  try {
    const record = await readRecordNow(source, deployment);
    const steps = Array.isArray(record?.steps) ? (record.steps as Array<{ at?: unknown }>) : [];
    const at = steps[0]?.at;
    return typeof at === 'string' ? at : undefined;
  } catch (error) {
    logger.warn(
      `the time of the first traffic step could not be read, so its metric is left out: ${describeError(error)}`,
    );
    return undefined;
  }
}
