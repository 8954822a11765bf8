/**
 * Prepare places a push among the branch's pushes: the push event's time and previous commit, and git ancestry
 * read with GetCommit from a real git repository that the emulator serves as CodeCommit.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { CODECOMMIT, ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { prepare } from '../../../functions/lib/source/prepare';
import { orderPush } from '../../../functions/lib/source/push-order';
import { type FakeRepository, sampleRepository } from '../../support/fake-codecommit';
import { useGitCodeCommit } from '../../support/git-codecommit';
import { useMoto } from '../../support/moto';
import { pushOf } from '../../support/pipeline';

const pipeline = { repository: 'switchyard-sample-app', branch: 'main' };

describe("Prepare's push order", () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const codecommit = jsonClient(CODECOMMIT);
  let table: DeploymentsTable;
  let commits: string[];

  beforeEach(async () => {
    const stack = await createLocalStack({});
    table = new DeploymentsTable(new DynamoDBClient({}), stack.resources.DeploymentsTable as string);
    const version = (n: number): FakeRepository => ({
      ...sampleRepository(),
      message: `v${n}`,
      author: { name: 'Ada', email: 'ada@example.com', date: `2026-11-20T10:0${n}:00Z` },
    });
    commits = (await serve(version(1), version(2), version(3))).map((c) => c.commitId);
  });

  /** The record Prepare would have opened for the push of commit n, ended with `status` unless RUNNING. */
  async function recorded(n: number, status: 'RUNNING' | 'SUCCEEDED' | 'SUPERSEDED') {
    const deployment: Deployment = {
      id: `push-${n}`,
      ...pipeline,
      commitId: commits[n - 1] as string,
      trigger: 'push',
      force: false,
      executionId: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:push-${n}`,
      startedAt: `2026-11-26T12:0${n}:00.000Z`,
    };
    await table.createRecord(deployment, {
      pushOrder: { pushedAt: deployment.startedAt, newerThan: [], olderThan: [] },
    });
    if (status !== 'RUNNING') await table.finish(deployment, status, {});
  }

  const execution = (name: string, input: unknown) => ({
    input,
    execution: {
      id: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${name}`,
      name,
      startTime: new Date().toISOString(),
    },
  });
  const deps = () => ({ codecommit, ecs: jsonClient(ECS), table, pipeline });

  it('relates the commit by git ancestry to the pushes that are live or deploying, and to no other', async () => {
    await recorded(1, 'SUCCEEDED');
    await recorded(3, 'RUNNING');

    const order = await orderPush(
      { codecommit, table },
      { ...pipeline, commitId: commits[1] as string, deploymentId: 'push-2-again' },
      { pushedAt: '2026-11-26T12:30:00.000Z', previousCommitId: commits[2] },
    );

    expect(order).toEqual({
      pushedAt: '2026-11-26T12:30:00.000Z',
      previousCommitId: commits[2],
      newerThan: [commits[0]],
      olderThan: [commits[2]],
    });
  });

  it('leaves superseded pushes out: they are neither live nor deploying', async () => {
    await recorded(1, 'SUPERSEDED');

    const order = await orderPush(
      { codecommit, table },
      { ...pipeline, commitId: commits[1] as string, deploymentId: 'push-2' },
      { pushedAt: '2026-11-26T12:30:00.000Z' },
    );

    expect(order).toMatchObject({ newerThan: [], olderThan: [] });
  });

  it('puts the push order on the deployment and its record, from the event time and oldCommitId', async () => {
    await recorded(1, 'SUCCEEDED');
    const pushed = pushOf(commits[1] as string);
    const event = {
      ...pushed,
      time: '2026-11-26T12:30:00Z',
      detail: { ...pushed.detail, oldCommitId: commits[0] },
    };

    const out = await prepare(execution('push-2', event), deps());

    const pushOrder = {
      pushedAt: '2026-11-26T12:30:00.000Z',
      previousCommitId: commits[0],
      newerThan: [commits[0]],
      olderThan: [],
    };
    expect(out).toMatchObject({ action: 'deploy', deployment: { pushOrder } });
    const [record] = (await table.listRecords(pipeline.repository)).filter(
      (r) => r.deploymentId === 'push-2',
    );
    expect(record).toMatchObject({ pushOrder });
  });

  it('says a manual deployment is exempt from the push order, in its record', async () => {
    await prepare(execution('manual-1', { commitId: commits[0] }), deps());

    const [record] = await table.listRecords(pipeline.repository);
    expect(record).toMatchObject({ trigger: 'manual', ordering: expect.stringContaining('exempt') });
    expect(record?.pushOrder).toBeUndefined();
  });

  it.each<[string, { time?: string; detail?: Record<string, unknown> }, RegExp]>([
    ['no time', { time: undefined }, /EventBridge event "time" is undefined/],
    ['a time that is no time', { time: 'noon' }, /"time" is "noon": expected the ISO 8601 time of the push/],
    [
      'a short oldCommitId',
      { detail: { oldCommitId: 'abc' } },
      /detail.oldCommitId is "abc": expected the 40-character/,
    ],
  ])('refuses a push event with %s before it claims anything', async (_name, change, message) => {
    const event = pushOf(commits[0] as string);
    const input = { ...event, ...change, detail: { ...event.detail, ...(change.detail ?? {}) } };

    const attempt = prepare(execution('bad', input), deps());

    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(prepare(execution('bad', input), deps())).rejects.toThrow(message);
    expect(await table.getClaim(pipeline.repository, commits[0] as string)).toBeUndefined();
  });
});
