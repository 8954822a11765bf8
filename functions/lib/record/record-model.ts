/**
 * The deployment record's vocabulary: the statuses a record can be in, the deployment as it travels through the
 * state machine, the keys of the claim and history items, and the update expression of a set of fields.
 */

/** What started a deployment. */
export type Trigger = 'push' | 'manual' | 'rollback';

/**
 * Every state a deployment record can be in. RUNNING is the only non-final one. ROLLBACK_FAILED is final for its
 * execution, but the deployment keeps the service's lock until `switchyard rollback --resume` ends it ROLLED_BACK.
 */
export const DEPLOYMENT_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'ROLLED_BACK',
  'SUPERSEDED',
  'ABORTED',
  'ROLLBACK_FAILED',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

/** Statuses after which the same commit may be deployed again without `force`. */
export const RETRYABLE_STATUSES: readonly DeploymentStatus[] = [
  'FAILED',
  'ROLLED_BACK',
  'SUPERSEDED',
  'ABORTED',
];

/** The deployment as it travels through the state machine (`$.deployment`). */
export interface Deployment {
  id: string;
  repository: string;
  branch: string;
  commitId: string;
  trigger: Trigger;
  force: boolean;
  executionId: string;
  startedAt: string;
}

/** Key of the claim item for a commit. */
export function claimKey(repository: string, commitId: string): { pk: string; sk: string } {
  return { pk: `COMMIT#${repository}`, sk: commitId };
}

/** Key of the history record of a deployment; sorts by start time within the repository. */
export function recordKey(deployment: Pick<Deployment, 'repository' | 'startedAt' | 'id'>): {
  pk: string;
  sk: string;
} {
  return { pk: `DEPLOYMENT#${deployment.repository}`, sk: `${deployment.startedAt}#${deployment.id}` };
}

/** `SET #f0 = :v0, …` for the defined fields of an object. */
export function setExpression(fields: Record<string, unknown>): {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value], index) => {
      names[`#f${index}`] = key;
      values[`:v${index}`] = value;
      return `#f${index} = :v${index}`;
    });
  return { expression: `SET ${sets.join(', ')}`, names, values };
}
