import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deployment } from '../../../functions/lib/record/deployments';
import {
  acquireLock,
  LOCK_POLL_SECONDS,
  parseExecutionMode,
  releaseLock,
} from '../../../functions/lib/record/lock';
import { lockTable } from '../../../functions/lib/record/lock-table';
import {
  ConfigurationError,
  InvalidInputError,
  TransientAwsError,
} from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';

const SERVICE = { cluster: 'apps', service: 'web' };
const NOW = new Date('2026-11-26T12:05:00.000Z');
const deployment = loadEvent<{ deployment: Deployment }>('acquire-lock').deployment;
const winner = {
  deploymentId: 'other',
  commitId: 'b'.repeat(40),
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:other',
  startedAt: '2026-11-26T11:59:00.000Z',
  since: '2026-11-26T12:05:00.000Z',
};

describe('the service lock: what moto cannot make happen', () => {
  const docMock = mockClient(DynamoDBDocumentClient);
  const table = lockTable(new DynamoDBClient({}), 'switchyard-deployments');
  const throttled = () =>
    Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ThrottlingException',
      $metadata: {},
    });
  const conditionFailed = () =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

  beforeEach(() => docMock.reset());

  it('waits behind the deployment that took the free lock between its read and its write', async () => {
    docMock.on(GetCommand).resolvesOnce({}).resolvesOnce({ Item: winner });
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(PutCommand).resolves({});
    docMock
      .on(PutCommand, { ConditionExpression: 'attribute_not_exists(pk) OR deploymentId = :self' })
      .rejects(conditionFailed());

    const state = await acquireLock(table, { deployment, ...SERVICE, mode: 'QUEUED', now: NOW });

    expect(state).toEqual({
      status: 'WAITING',
      holder: { deploymentId: 'other', commitId: winner.commitId, since: winner.since },
      pollSeconds: LOCK_POLL_SECONDS,
      waitingSince: NOW.toISOString(),
    });
    // Still in the queue: it must not lose its place.
    expect(docMock.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('turns a throttled lock write into TransientAwsError, which the machine retries', async () => {
    docMock.on(GetCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock.on(PutCommand).resolves({});
    docMock.on(PutCommand, { Item: { pk: 'LOCK#apps/web' } }).rejects(throttled());

    const attempt = acquireLock(table, { deployment, ...SERVICE, mode: 'SUPERSEDED', now: NOW });

    await expect(attempt).rejects.toThrow(TransientAwsError);
    await expect(attempt).rejects.toThrow(
      /PutItem LOCK#apps\/web in switchyard-deployments failed: ThrottlingException/,
    );
  });

  it('turns a throttled queue read and a throttled release into TransientAwsError', async () => {
    docMock.on(GetCommand).resolves({});
    docMock.on(QueryCommand).rejects(throttled());
    docMock.on(DeleteCommand).rejects(throttled());

    await expect(acquireLock(table, { deployment, ...SERVICE, mode: 'QUEUED' })).rejects.toThrow(
      /Query QUEUE#apps\/web in switchyard-deployments failed/,
    );
    await expect(releaseLock(table, { deployment, ...SERVICE })).rejects.toThrow(TransientAwsError);
  });

  it('turns a throttled read of the pushes in the history into TransientAwsError', async () => {
    docMock.on(GetCommand).resolves({});
    docMock.on(PutCommand).resolves({});
    docMock.on(QueryCommand).resolves({ Items: [] });
    docMock
      .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'DEPLOYMENT#switchyard-sample-app' } })
      .rejects(throttled());

    await expect(acquireLock(table, { deployment, ...SERVICE, mode: 'QUEUED', now: NOW })).rejects.toThrow(
      /Query DEPLOYMENT#switchyard-sample-app in switchyard-deployments failed: ThrottlingException/,
    );
    expect(docMock.commandCalls(PutCommand, { Item: { pk: 'LOCK#apps/web' } })).toHaveLength(0);
  });

  it('refuses a deployment whose push order is not what Prepare writes, before any call', async () => {
    const pushOrder = { pushedAt: '2026-11-26T11:59:58Z', newerThan: 'c41e9b7a', olderThan: [] };

    await expect(
      acquireLock(table, {
        deployment: { ...deployment, pushOrder } as Deployment,
        ...SERVICE,
        mode: 'QUEUED',
      }),
    ).rejects.toThrow(/\$\.deployment\.pushOrder\.newerThan is "c41e9b7a", not a list of commit ids/);
    expect(docMock.calls()).toHaveLength(0);
  });

  it('passes other AWS errors on unchanged', async () => {
    const denied = Object.assign(new Error('not authorized to perform dynamodb:Query'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    docMock.on(GetCommand).resolves({});
    docMock.on(QueryCommand).rejects(denied);

    await expect(acquireLock(table, { deployment, ...SERVICE, mode: 'QUEUED' })).rejects.toBe(denied);
  });

  it('refuses an input without a deployment before any call', async () => {
    await expect(
      acquireLock(table, { deployment: undefined as unknown as Deployment, ...SERVICE, mode: 'QUEUED' }),
    ).rejects.toThrow(InvalidInputError);
    await expect(
      acquireLock(table, {
        deployment: { ...deployment, startedAt: undefined } as unknown as Deployment,
        ...SERVICE,
        mode: 'QUEUED',
      }),
    ).rejects.toThrow(/missing or not a string: startedAt/);
    expect(docMock.calls()).toHaveLength(0);
  });

  it('reads EXECUTION_MODE', () => {
    expect(parseExecutionMode('SUPERSEDED')).toBe('SUPERSEDED');
    expect(parseExecutionMode('QUEUED')).toBe('QUEUED');
    for (const bad of ['', 'queued', 'PARALLEL']) {
      expect(() => parseExecutionMode(bad)).toThrow(ConfigurationError);
    }
  });
});
