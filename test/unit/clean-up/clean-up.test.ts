/**
 * The CleanUp core's order and decisions, with the table and the lock in memory: the mark before anything, no
 * rollback before the stopped tasks are over, the record read again after the wait, a green the record never knew
 * rolled back, and the claim of a deployment without a record closed.
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { CodeBuildCalls } from '../../../functions/lib/build/codebuild';
import { type CleanUpDeps, cleanUp } from '../../../functions/lib/clean-up/clean-up';
import { CleanUpTooEarlyError } from '../../../functions/lib/clean-up/stop-wait';
import type { Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import type { LockTable } from '../../../functions/lib/record/lock-table';
import { loadEvent } from '../../support/events';

const deployment: Deployment = {
  id: 'exec-1',
  repository: 'app',
  branch: 'main',
  commitId: 'c'.repeat(40),
  trigger: 'push',
  force: false,
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:p:exec-1',
  startedAt: '2026-12-05T08:00:00.000Z',
};
const stopMs = Date.parse('2026-12-05T08:10:00Z');
const event = (() => {
  const sample = loadEvent<{ detail: Record<string, unknown> }>('clean-up');
  return {
    ...sample,
    detail: {
      ...sample.detail,
      name: deployment.id,
      startDate: Date.parse(deployment.startedAt),
      stopDate: stopMs,
    },
  };
})();
const green = { greenTaskSetArn: 'arn:green', liveTargetGroupArn: 'tg-a', greenTargetGroupArn: 'tg-b' };

/** An in-memory deployments table and lock, recording every step in `log`. */
function world(options: { record?: Record<string, unknown> | null; lockHolder?: string | null }) {
  const log: string[] = [];
  let record: Record<string, unknown> | undefined =
    options.record === null ? undefined : { status: 'RUNNING', ...options.record };
  let holder = options.lockHolder === undefined ? deployment.id : options.lockHolder;
  const table = {
    findRecord: async () => (record ? { deployment, status: record.status, green: record.green } : undefined),
    getRecord: async () => record,
    finish: async (_d: Deployment, status: string, details: Record<string, unknown>) => {
      log.push(`finish ${status}`);
      const previous = String(record?.status);
      record = { ...record, ...details, status };
      return { previous };
    },
    endClaim: async (_d: Deployment, status: string) => {
      log.push(`end claim ${status}`);
    },
  } as unknown as DeploymentsTable;
  const lockTable = {
    tableName: 't',
    doc: {
      send: async (command: { constructor: { name: string }; input: { Key: { sk: string } } }) => {
        const kind = command.constructor.name;
        if (kind === 'GetCommand') return { Item: holder ? { deploymentId: holder } : undefined };
        if (kind === 'DeleteCommand' && command.input.Key.sk === 'LOCK') {
          if (holder !== deployment.id)
            throw new ConditionalCheckFailedException({ message: 'not held', $metadata: {} });
          log.push('release lock');
          holder = null;
          return {};
        }
        return {};
      },
    },
  } as unknown as LockTable;
  const deps: CleanUpDeps = {
    codebuild: {} as CodeBuildCalls,
    table,
    repository: 'app',
    lock: { table: lockTable, cluster: 'c', service: 's' },
    markStopping: async () => {
      log.push('mark stopping');
      record = { ...record, stopping: { at: 'x', reason: 'r' } };
      return true;
    },
    rollBack: async (_d, g) => {
      log.push(`roll back ${g ? 'known green' : 'by externalId'}`);
    },
    findOrphanGreen: async () => {
      log.push('find orphan');
      return 'arn:orphan';
    },
    clock: {
      maxTaskSeconds: 910,
      now: () => stopMs + 200_000,
      remainingMs: () => 900_000,
      sleep: async (ms) => {
        log.push(`wait ${ms}`);
      },
    },
  };
  return { log, deps, setRecord: (r: Record<string, unknown>) => (record = { ...record, ...r }) };
}

describe('cleanUp', () => {
  it('marks the record, waits for the stopped tasks, then rolls back, closes the record and releases the lock', async () => {
    const { log, deps } = world({ record: { green } });

    const out = await cleanUp(event, deps);

    expect(log).toEqual([
      'mark stopping',
      'wait 710000',
      'roll back known green',
      'finish ABORTED',
      'release lock',
    ]);
    expect(out).toMatchObject({ action: 'closed', rolledBack: true, releasedLock: true, waitedMs: 710_000 });
  });

  it('reads the record again after the wait: a green the stopped CreateGreen recorded meanwhile is rolled back', async () => {
    const w = world({ record: {} });
    const sleep = w.deps.clock?.sleep;
    w.deps.clock = {
      ...w.deps.clock,
      maxTaskSeconds: 910,
      sleep: async (ms) => {
        await sleep?.(ms);
        w.setRecord({ green });
      },
    };

    await cleanUp(event, w.deps);

    expect(w.log).toEqual([
      'mark stopping',
      'wait 710000',
      'roll back known green',
      'finish ABORTED',
      'release lock',
    ]);
  });

  it('removes a green task set the record does not know, found by externalId, when it held the lock', async () => {
    const { log, deps } = world({ record: { green: {} } });

    const out = await cleanUp(event, deps);

    expect(log).toContain('find orphan');
    expect(log).toContain('roll back by externalId');
    expect(out.orphanGreenTaskSetArn).toBe('arn:orphan');
  });

  it('looks for no green and rolls nothing back when the deployment never held the lock', async () => {
    const { log, deps } = world({ record: {}, lockHolder: 'someone-else' });

    const out = await cleanUp(event, deps);

    expect(log).toEqual(['mark stopping', 'wait 710000', 'finish ABORTED']);
    expect(out).toMatchObject({ rolledBack: false, releasedLock: false });
  });

  it('undoes nothing when the wait does not fit: the error says when a retry may', async () => {
    const { log, deps } = world({ record: { green } });
    deps.clock = { ...deps.clock, maxTaskSeconds: 910, remainingMs: () => 60_000 };

    await expect(cleanUp(event, deps)).rejects.toThrow(CleanUpTooEarlyError);
    expect(log).toEqual(['mark stopping']);
  });

  it('only releases the lock when the record ended while it was being marked', async () => {
    const { log, deps } = world({ record: { green } });
    deps.markStopping = async () => false;

    const out = await cleanUp(event, deps);

    expect(out.action).toBe('already-ended');
    expect(log).toEqual(['release lock']);
  });

  it('gives the claim the status of a record that ended when RecordResult ran out of retries before the claim', async () => {
    const { log, deps } = world({ record: { status: 'SUCCEEDED' } });

    const out = await cleanUp(event, deps);

    expect(out.action).toBe('already-ended');
    expect(log).toEqual(['end claim SUCCEEDED', 'release lock']);
  });

  it('closes the claim of a deployment that stopped before its record was written', async () => {
    const { deps } = world({ record: null, lockHolder: null });
    const closed: string[] = [];
    deps.closeClaim = async (id, status) => {
      closed.push(`${id} ${status}`);
      return true;
    };

    const out = await cleanUp(event, deps);

    expect(out).toMatchObject({ action: 'no-record', closedClaim: true });
    expect(closed).toEqual(['exec-1 ABORTED']);
  });
});
