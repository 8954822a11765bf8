/**
 * The end event of a deployment CleanUp closes (docs/EVENTS.md): put once, by the run that closed the record, with
 * the status it recorded, after the record and before the lock's release; never by a run that finds the record
 * ended (a second or retried CleanUp, RecordResult's end); and a PutEvents that fails is logged while the clean-up
 * goes on, as every other emitter does (deployment-events.ts swallows it).
 */

import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type CleanUpDeps, cleanUp } from '../../../functions/lib/clean-up/clean-up';
import {
  type DeploymentChange,
  type DeploymentEvents,
  deploymentEvents,
} from '../../../functions/lib/record/deployment-events';
import type { Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import type { LockTable } from '../../../functions/lib/record/lock-table';
import { logger } from '../../../functions/lib/shared/log';
import { AwsCallError, type AwsSender } from '../../../functions/lib/shared/signed-request';
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
const green = { greenTaskSetArn: 'arn:green', liveTargetGroupArn: 'tg-a', greenTargetGroupArn: 'tg-b' };

function eventOf(status: string) {
  const sample = loadEvent<{ detail: Record<string, unknown> }>('clean-up');
  const detail = {
    ...sample.detail,
    name: deployment.id,
    startDate: Date.parse(deployment.startedAt),
    status,
  };
  return { ...sample, detail };
}

/** A table and lock in memory, the order of the writes and puts in `log`, the events put in `put`. */
function world(record: Record<string, unknown> | undefined, rollBack: unknown = {}) {
  const log: string[] = [];
  const put: DeploymentChange[] = [];
  let current = record;
  let holder: string | null = deployment.id;
  let releaseFailures = 0;
  const table = {
    findRecord: async () =>
      current ? { deployment, status: current.status, green: current.green } : undefined,
    getRecord: async () => current,
    finish: async (_d: Deployment, status: string, details: Record<string, unknown>) => {
      log.push(`finish ${status}`);
      const previous = String(current?.status);
      current = { ...current, ...details, status };
      return { previous };
    },
    endClaim: async () => undefined,
  } as unknown as DeploymentsTable;
  const lockTable = {
    tableName: 't',
    doc: {
      send: async (command: { constructor: { name: string }; input: { Key: { sk: string } } }) => {
        const kind = command.constructor.name;
        if (kind === 'GetCommand') return { Item: holder ? { deploymentId: holder } : undefined };
        if (kind === 'DeleteCommand' && command.input.Key.sk === 'LOCK') {
          if (releaseFailures > 0) {
            releaseFailures -= 1;
            throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
          }
          if (holder !== deployment.id)
            throw new ConditionalCheckFailedException({ message: 'not held', $metadata: {} });
          log.push('release lock');
          holder = null;
        }
        return {};
      },
    },
  } as unknown as LockTable;
  const events: DeploymentEvents = {
    publish: async (change) => {
      log.push(`put ${change.state}`);
      put.push(change);
    },
  };
  const deps: CleanUpDeps = {
    codebuild: {} as CleanUpDeps['codebuild'],
    table,
    repository: 'app',
    lock: { table: lockTable, cluster: 'c', service: 's' },
    markStopping: async () => current?.status === 'RUNNING',
    rollBack: async () => rollBack,
    events,
  };
  return { log, put, deps, failReleases: (count: number) => (releaseFailures = count) };
}

describe('the end event of a deployment CleanUp closes', () => {
  it('is put once, after the record and before the release, with the status and error it recorded', async () => {
    const { log, put, deps } = world({ status: 'RUNNING', green });

    const out = await cleanUp(eventOf('ABORTED'), deps);

    expect(out.action).toBe('closed');
    expect(log).toEqual(['finish ABORTED', 'put ABORTED', 'release lock']);
    expect(put).toEqual([
      {
        deployment,
        state: 'ABORTED',
        error: {
          name: 'ExecutionAborted',
          message:
            'the execution was aborted; production was rolled back to the live target group and green removed',
        },
      },
    ]);
  });

  it.each([
    ['TIMED_OUT', 'ABORTED', 'ExecutionTimedOut'],
    ['FAILED', 'FAILED', 'ExecutionFailed'],
  ])('says an execution that ended %s as %s with %s', async (status, state, name) => {
    const { put, deps } = world({ status: 'RUNNING' });

    await cleanUp(eventOf(status), deps);

    expect(put.map((change) => [change.state, change.error?.name])).toEqual([[state, name]]);
  });

  it('says SUCCEEDED when production keeps green (Finalize had deleted blue), as the record does', async () => {
    const { put, deps } = world({ status: 'RUNNING', green }, { keptGreen: true });

    await cleanUp(eventOf('ABORTED'), deps);

    expect(put.map((change) => change.state)).toEqual(['SUCCEEDED']);
    expect(put[0]?.error?.message).toMatch(/production keeps it/);
  });

  it('is put once when CleanUp runs twice: the second finds the record closed', async () => {
    const { log, put, deps } = world({ status: 'RUNNING', green });

    const first = await cleanUp(eventOf('ABORTED'), deps);
    const second = await cleanUp(eventOf('ABORTED'), deps);

    expect([first.action, second.action]).toEqual(['closed', 'already-ended']);
    expect(put).toHaveLength(1);
    expect(log.filter((line) => line.startsWith('put'))).toEqual(['put ABORTED']);
  });

  it('is put and counted once when two CleanUps overlap: only the one whose write ended the record announces it', async () => {
    const { log, put, deps } = world({ status: 'RUNNING', green });
    const counted: string[] = [];
    deps.metrics = (_deployment, status) => counted.push(status);
    // Both read the record while it was RUNNING (EventBridge delivered the status change twice at once).
    const stale = {
      ...deps,
      table: Object.create(deps.table) as typeof deps.table,
      markStopping: async () => true,
    };
    stale.table.findRecord = async () => ({ deployment, status: 'RUNNING', green }) as never;
    stale.table.getRecord = async () => ({ status: 'RUNNING', green });

    await cleanUp(eventOf('ABORTED'), deps);
    const late = await cleanUp(eventOf('ABORTED'), stale);

    expect(late.action).toBe('closed');
    expect(log.filter((line) => line.startsWith('finish'))).toEqual(['finish ABORTED', 'finish ABORTED']);
    expect(put.map((change) => change.state)).toEqual(['ABORTED']);
    expect(counted).toEqual(['ABORTED']);
  });

  it('is put once when the release fails after the record was closed and Lambda retries CleanUp', async () => {
    const w = world({ status: 'RUNNING', green });
    w.failReleases(1);

    await expect(cleanUp(eventOf('ABORTED'), w.deps)).rejects.toThrow('Rate exceeded');
    const retried = await cleanUp(eventOf('ABORTED'), w.deps);

    expect(retried).toMatchObject({ action: 'already-ended', releasedLock: true });
    expect(w.log).toEqual(['finish ABORTED', 'put ABORTED', 'release lock']);
  });

  it('is not put for a record the machine ended itself (RecordResult put that end) nor without a record', async () => {
    const ended = world({ status: 'ROLLED_BACK' });
    const none = world(undefined);

    expect((await cleanUp(eventOf('FAILED'), ended.deps)).action).toBe('already-ended');
    expect((await cleanUp(eventOf('ABORTED'), none.deps)).action).toBe('no-record');
    expect([...ended.put, ...none.put]).toEqual([]);
  });

  it('does not stop the clean-up when PutEvents fails: one line is logged, the record closed and the lock released', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const failing: AwsSender = {
      region: 'us-east-1',
      send: async () => {
        throw new AwsCallError('AccessDeniedException', 'not authorized to perform events:PutEvents', 400);
      },
    };
    const { log, deps } = world({ status: 'RUNNING', green });
    deps.events = deploymentEvents(failing);

    try {
      const out = await cleanUp(eventOf('ABORTED'), deps);

      expect(out).toMatchObject({ action: 'closed', rolledBack: true, releasedLock: true });
      expect(log).toEqual(['finish ABORTED', 'release lock']);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]?.[1]).toEqual({
        deploymentEventNotPut: 'exec-1:ABORTED:0',
        error: 'AccessDeniedException: not authorized to perform events:PutEvents',
      });
    } finally {
      warn.mockRestore();
    }
  });
});
