/**
 * The "git push" trigger of `switchyard local --watch`: the head of the watched branch is read every second, and
 * each new head (a commit, a pull, a push into the repository, a reset) starts a deployment the way the stack's
 * EventBridge rule does on AWS: StartExecution of the pipeline with CodeCommit's "Repository State Change" event
 * as input (https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html). The state machine
 * decides what a start means (a duplicate, an older commit, a wait for the lock), as it does for a real push.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { pushEvent, type Repository } from './repository';

const run = promisify(execFile);

/** How often the branch's head is read. */
export const HEAD_POLL_MS = 1000;

/** The branch's head, or undefined while the branch does not exist. */
export async function branchHead(path: string, branch: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', [
      '-C',
      path,
      'rev-parse',
      '--verify',
      '-q',
      `refs/heads/${branch}^{commit}`,
    ]);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The execution name of a push: `push-<commit>-<time>` (unique, at most 80 characters, as StartExecution wants). */
export function pushExecutionName(commitId: string, now: number): string {
  return `push-${commitId.slice(0, 8)}-${now.toString(36)}`;
}

/**
 * Watches `repo`'s branch from its current head on; returns a function that stops the watch. Each new head is
 * started on `stateMachineArn`.
 */
export function watchBranch(options: {
  repo: Repository;
  stateMachineArn: string;
  region: string;
  accountId: string;
  print: (line: string) => void;
}): () => void {
  const { repo, print } = options;
  const sfn = new SFNClient({});
  let stopped = false;
  let last: string | undefined = repo.commitId;
  void (async () => {
    while (!stopped) {
      await new Promise((resolve) => setTimeout(resolve, HEAD_POLL_MS));
      if (stopped) break;
      const head = await branchHead(repo.path, repo.branch);
      if (!head || head === last) continue;
      last = head;
      const name = pushExecutionName(head, Date.now());
      print(`new commit ${head.slice(0, 7)} on ${repo.branch}: starting deployment ${name}`);
      try {
        await sfn.send(
          new StartExecutionCommand({
            stateMachineArn: options.stateMachineArn,
            name,
            input: JSON.stringify(pushEvent({ ...repo, commitId: head }, options.region, options.accountId)),
          }),
        );
      } catch (error) {
        print(`could not start the deployment of ${head.slice(0, 7)}: ${String(error)}`);
      }
    }
    sfn.destroy();
  })();
  return () => {
    stopped = true;
  };
}
