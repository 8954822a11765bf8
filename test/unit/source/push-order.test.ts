/**
 * What the emulator cannot make happen cheaply for Prepare's push order: a history longer than the walk's budget,
 * and a commit that the repository no longer has.
 */
import type { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { CODECOMMIT } from '../../../functions/lib/shared/aws-json';
import { ANCESTRY_BUDGET, orderPush } from '../../../functions/lib/source/push-order';
import { type FakeJsonService, fakeJsonService, serviceError } from '../../support/fake-json-service';

const id = (n: number) => n.toString(16).padStart(40, '0');
const pipeline = { repository: 'switchyard-sample-app', branch: 'main' };

/** A table whose history holds one live push of `commit`. */
const liveAt = (commit: string) =>
  ({
    listRecords: async () => [
      { deploymentId: 'live', commitId: commit, branch: 'main', trigger: 'push', status: 'SUCCEEDED' },
    ],
  }) as unknown as DeploymentsTable;

describe("Prepare's push order, walking git history", () => {
  // GetCommit is a JSON call (shared/aws-json.ts): answered by a fake CodeCommit.
  let codecommit: FakeJsonService;
  beforeEach(() => {
    codecommit = fakeJsonService(CODECOMMIT);
  });
  const getCommits = () => codecommit.inputs('GetCommit');

  /** A linear history: commit n's parent is n-1, all committed at one second. */
  function linearHistory() {
    codecommit.handlers.GetCommit = ({ commitId }) => {
      const n = Number.parseInt(String(commitId), 16);
      return {
        commit: { commitId, parents: n > 1 ? [id(n - 1)] : [], committer: { date: '1764000000 +0000' } },
      };
    };
  }

  it('stops after ANCESTRY_BUDGET GetCommit calls and leaves the relation to the push times', async () => {
    linearHistory();

    const order = await orderPush(
      { codecommit: codecommit.client, table: liveAt(id(1)) },
      { ...pipeline, commitId: id(500), deploymentId: 'push' },
      { pushedAt: '2026-11-26T12:00:00.000Z' },
    );

    expect(order).toMatchObject({ newerThan: [], olderThan: [] });
    expect(getCommits()).toHaveLength(ANCESTRY_BUDGET);
  });

  it('finds the live commit a few commits back within the budget', async () => {
    linearHistory();

    const order = await orderPush(
      { codecommit: codecommit.client, table: liveAt(id(497)) },
      { ...pipeline, commitId: id(500), deploymentId: 'push' },
      { pushedAt: '2026-11-26T12:00:00.000Z' },
    );

    expect(order.newerThan).toEqual([id(497)]);
    expect(getCommits().length).toBeLessThan(10);
  });

  it('does not walk past commits committed before the one it looks for', async () => {
    codecommit.handlers.GetCommit = ({ commitId }) => {
      const n = Number.parseInt(String(commitId), 16);
      return { commit: { commitId, parents: [id(n - 1)], committer: { date: `${1764000000 + n} +0000` } } };
    };

    const order = await orderPush(
      { codecommit: codecommit.client, table: liveAt(id(350)) },
      { ...pipeline, commitId: id(300), deploymentId: 'push' },
      { pushedAt: '2026-11-26T12:00:00.000Z' },
    );

    // Looking for 350 from 300 reads 300 only (committed before 350); 350 → 300 reads 350 and 349 to 301.
    expect(order).toMatchObject({ newerThan: [], olderThan: [id(350)] });
    expect(getCommits()).toHaveLength(51);
  });

  // GetCommit's own name for it, and the one the commit-specifier APIs use.
  it.each(['CommitIdDoesNotExistException', 'CommitDoesNotExistException'])(
    'relates a commit the repository no longer has to nothing (%s)',
    async (name) => {
      codecommit.handlers.GetCommit = () => {
        throw serviceError(name, 400, 'no such commit');
      };

      const order = await orderPush(
        { codecommit: codecommit.client, table: liveAt(id(7)) },
        { ...pipeline, commitId: id(9), deploymentId: 'push' },
        { pushedAt: '2026-11-26T12:00:00.000Z' },
      );

      expect(order).toEqual({ pushedAt: '2026-11-26T12:00:00.000Z', newerThan: [], olderThan: [] });
      expect(getCommits()[0]).toEqual({ repositoryName: 'switchyard-sample-app', commitId: id(7) });
    },
  );

  it('passes any other CodeCommit error on, by its name', async () => {
    codecommit.handlers.GetCommit = () => {
      throw serviceError('EncryptionKeyAccessDeniedException', 400);
    };

    await expect(
      orderPush(
        { codecommit: codecommit.client, table: liveAt(id(7)) },
        { ...pipeline, commitId: id(9), deploymentId: 'push' },
        { pushedAt: '2026-11-26T12:00:00.000Z' },
      ),
    ).rejects.toMatchObject({ name: 'EncryptionKeyAccessDeniedException' });
  });
});
