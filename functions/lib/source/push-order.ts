/**
 * Prepare's part of "newest commit wins": where a push stands among the branch's other pushes (PushOrder,
 * functions/lib/record/commit-order.ts). The push event gives its time and the commit the branch moved from; git
 * ancestry, read with CodeCommit GetCommit, relates the commit to the pushes that are live or deploying, so that
 * an old commit pushed again is known as older than them whatever its push time. GetCommit is a JSON 1.1 call
 * through shared/aws-json.ts (`codecommit` is `jsonClient(CODECOMMIT)`), so Prepare bundles no CodeCommit client:
 * https://docs.aws.amazon.com/codecommit/latest/APIReference/API_GetCommit.html
 */
import type { PushOrder } from '../record/commit-order';
import type { DeploymentsTable } from '../record/deployments';
import { awsJson, type JsonClient } from '../shared/aws-json';
import { InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';

/** History records read to find the pushes that are live or deploying, and how many of their commits count. */
const RECORDS_READ = 50;
const COMMITS_COMPARED = 10;
/** GetCommit calls one Prepare may make; past it, relations not found yet fall back to the push times. */
/** The errors of a commit id CodeCommit does not have. */
const MISSING_COMMIT = new Set(['CommitIdDoesNotExistException', 'CommitDoesNotExistException']);

export const ANCESTRY_BUDGET = 100;

const COMMIT_ID = /^[0-9a-f]{40}$/;

/** The push event's `time` and `detail.oldCommitId`, checked (parseTrigger has checked the rest of the event). */
export function readPushEvent(event: Record<string, unknown>): {
  pushedAt: string;
  previousCommitId?: string;
} {
  const { time } = event;
  // EventBridge gives every event a `time` (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) {
    throw new InvalidInputError(
      `EventBridge event "time" is ${echo(time)}: expected the ISO 8601 time of the push, as EventBridge sets it (it orders the pushes)`,
    );
  }
  const detail = event.detail as Record<string, unknown>;
  const previous = detail.oldCommitId;
  if (previous !== undefined && (typeof previous !== 'string' || !COMMIT_ID.test(previous))) {
    throw new InvalidInputError(
      `EventBridge event detail.oldCommitId is ${echo(previous)}: expected the 40-character hexadecimal commit the branch moved from, or no field for a new branch`,
    );
  }
  return { pushedAt: new Date(time).toISOString(), ...(previous ? { previousCommitId: previous } : {}) };
}

/** Places a push among the pushes of its branch that are live or deploying (their records, newest first). */
export async function orderPush(
  deps: { codecommit: JsonClient; table: DeploymentsTable },
  push: { repository: string; branch: string; commitId: string; deploymentId: string },
  event: { pushedAt: string; previousCommitId?: string },
): Promise<PushOrder> {
  const records = await deps.table.listRecords(push.repository, RECORDS_READ);
  const others = [
    ...new Set(
      records
        .filter(
          (r) => r.trigger === 'push' && r.branch === push.branch && r.deploymentId !== push.deploymentId,
        )
        .filter((r) => r.status === 'RUNNING' || r.status === 'SUCCEEDED')
        .map((r) => String(r.commitId))
        .filter((id) => COMMIT_ID.test(id) && id !== push.commitId),
    ),
  ].slice(0, COMMITS_COMPARED);
  const history = new Ancestry(deps.codecommit, push.repository);
  const newerThan: string[] = [];
  const olderThan: string[] = [];
  for (const other of others) {
    if (await history.isAncestor(other, push.commitId)) newerThan.push(other);
    else if (await history.isAncestor(push.commitId, other)) olderThan.push(other);
  }
  return { ...event, newerThan, olderThan };
}

/** Git ancestry through GetCommit, each commit read once, within ANCESTRY_BUDGET calls. */
class Ancestry {
  private readonly commits = new Map<string, { parents: string[]; time: number } | null>();
  private calls = 0;

  constructor(
    private readonly codecommit: JsonClient,
    private readonly repository: string,
  ) {}

  /**
   * Whether `ancestor` is reachable from `descendant` through parents. As git's date cut-offs do, the walk does
   * not go past commits committed before `ancestor`; a clock skewed that far only loses the relation (the push
   * times decide then).
   */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const target = await this.read(ancestor);
    if (!target) return false;
    const cutOff = Number.isFinite(target.time) ? target.time : Number.NEGATIVE_INFINITY;
    const seen = new Set<string>([descendant]);
    const pending = [descendant];
    while (pending.length > 0) {
      const id = pending.pop() as string;
      if (id === ancestor) return true;
      const commit = await this.read(id);
      if (!commit || commit.time < cutOff) continue;
      for (const parent of commit.parents) {
        if (!seen.has(parent)) {
          seen.add(parent);
          pending.push(parent);
        }
      }
    }
    return false;
  }

  private async read(commitId: string): Promise<{ parents: string[]; time: number } | null> {
    const known = this.commits.get(commitId);
    if (known !== undefined) return known;
    if (this.calls >= ANCESTRY_BUDGET) return null;
    this.calls += 1;
    try {
      const out = await awsJson<{ commit?: { parents?: string[]; committer?: { date?: string } } }>(
        this.codecommit,
        'codecommit:GetCommit',
        { repositoryName: this.repository, commitId },
      );
      // The committer date is "<epoch seconds> <offset>" (https://docs.aws.amazon.com/codecommit/latest/APIReference/API_UserInfo.html).
      const seconds = Number.parseInt(out.commit?.committer?.date ?? '', 10);
      const commit = {
        parents: out.commit?.parents ?? [],
        time: Number.isNaN(seconds) ? Number.POSITIVE_INFINITY : seconds,
      };
      this.commits.set(commitId, commit);
      return commit;
    } catch (error) {
      // A commit gone from the repository (history rewritten and collected), or from another repository (a pipeline
      // pointed at a new one), relates to nothing. GetCommit names it CommitIdDoesNotExistException
      // (https://docs.aws.amazon.com/codecommit/latest/APIReference/API_GetCommit.html#API_GetCommit_Errors);
      // CommitDoesNotExistException is the name the commit-specifier APIs use, accepted too.
      if (error instanceof Error && MISSING_COMMIT.has(error.name)) {
        this.commits.set(commitId, null);
        return null;
      }
      throw error;
    }
  }
}
