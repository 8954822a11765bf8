/**
 * The execution the reconciler starts for a missed push: the input has the shape of the EventBridge "CodeCommit
 * Repository State Change" event the push rule hands the state machine (events/push.json), so Prepare treats it
 * as that push (trigger `push`, claim of the commit); the name is fixed per commit.
 * Event shape: https://docs.aws.amazon.com/codecommit/latest/userguide/monitoring-events.html
 */

/** The execution name for a commit: at most 80 characters of [A-Za-z0-9-_] (StartExecution's `name`). */
export function reconcileExecutionName(commitId: string): string {
  return `reconcile-${commitId}`;
}

/** A push-shaped execution input for the branch head `commitId`. */
export function pushInput(push: {
  repository: string;
  branch: string;
  commitId: string;
  region: string;
  account: string;
  time: Date;
}) {
  return {
    version: '0',
    id: reconcileExecutionName(push.commitId),
    'detail-type': 'CodeCommit Repository State Change',
    source: 'aws.codecommit',
    account: push.account,
    time: push.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: push.region,
    resources: [`arn:aws:codecommit:${push.region}:${push.account}:${push.repository}`],
    detail: {
      commitId: push.commitId,
      event: 'referenceUpdated',
      referenceFullName: `refs/heads/${push.branch}`,
      referenceName: push.branch,
      referenceType: 'branch',
      repositoryName: push.repository,
      // Not a push anyone saw: what the branch pointed to before is not known here.
      reconciled: true,
    },
  };
}
