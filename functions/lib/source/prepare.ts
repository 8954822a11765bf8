/**
 * The Prepare core: turns what started an execution (a CodeCommit push event from EventBridge, or a manual input)
 * into one deployment, and claims its commit so that a duplicate execution ends with no side effect.
 */
import type { RenderedRevision } from '../deploy/state';
import { EXEMPT_NOTE, type OrderedDeployment } from '../record/commit-order';
import type { Deployment, DeploymentsTable, Trigger } from '../record/deployments';
import { awsJson, type JsonClient } from '../shared/aws-json';
import { InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';
import { orderPush, readPushEvent } from './push-order';
import { parseRedeploy, resolveRedeploy } from './redeploy';

/** What the state machine hands to Prepare: the execution's input and its context. */
export interface PrepareInput {
  input: unknown;
  execution: { id: string; name: string; startTime: string };
}

/** What Prepare returns: `deploy` goes on, `skip` ends the execution at once. */
export type PrepareOutput =
  | { action: 'deploy'; deployment: Deployment }
  | { action: 'skip'; reason: string; deployment: Deployment }
  | { action: 'redeploy'; deployment: Deployment; render: RenderedRevision; source: null; buildResult: null };

/** The request once the input has been understood; the commit may still have to be resolved. */
export interface DeployRequest {
  repository: string;
  branch: string;
  commitId?: string;
  trigger: Trigger;
  force: boolean;
}

const COMMIT_ID = /^[0-9a-f]{40}$/;
const MANUAL_KEYS = ['commitId', 'branch', 'force'] as const;
const EXPECTED =
  'expected an EventBridge "CodeCommit Repository State Change" event, or a manual input ' +
  '{"commitId"?: "<40-hex commit id>", "branch"?: "<branch>", "force"?: true}, {"rollback": true} or ' +
  '{"taskDefinitionArn": "<ARN>"}';

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Understands the execution input; throws InvalidInputError saying what was expected. */
export function parseTrigger(
  input: unknown,
  pipeline: { repository: string; branch: string },
): DeployRequest {
  if (!isObject(input)) throw new InvalidInputError(`execution input is ${echo(input)}: ${EXPECTED}`);
  if ('detail-type' in input || 'source' in input || 'detail' in input) return parseEvent(input, pipeline);
  const unknown = Object.keys(input).filter((key) => !(MANUAL_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new InvalidInputError(`execution input has unknown field(s) ${unknown.join(', ')}: ${EXPECTED}`);
  }
  const { commitId, branch, force } = input;
  if (commitId !== undefined && (typeof commitId !== 'string' || !COMMIT_ID.test(commitId))) {
    throw new InvalidInputError(
      `execution input field "commitId" is ${echo(commitId)}: give the full 40-character hexadecimal commit id, or leave it out to deploy the branch head`,
    );
  }
  if (branch !== undefined && (typeof branch !== 'string' || branch.trim() === '')) {
    throw new InvalidInputError(
      `execution input field "branch" is ${echo(branch)}: give a branch name, or leave it out for "${pipeline.branch}"`,
    );
  }
  if (force !== undefined && typeof force !== 'boolean') {
    throw new InvalidInputError(`execution input field "force" is ${echo(force)}: use true or false`);
  }
  return {
    repository: pipeline.repository,
    branch: branch ?? pipeline.branch,
    ...(commitId === undefined ? {} : { commitId }),
    trigger: 'manual',
    force: force ?? false,
  };
}

function parseEvent(
  event: Record<string, unknown>,
  pipeline: { repository: string; branch: string },
): DeployRequest {
  const where = 'EventBridge event';
  if (event.source !== 'aws.codecommit' || event['detail-type'] !== 'CodeCommit Repository State Change') {
    throw new InvalidInputError(
      `${where} has source ${echo(event.source)} and detail-type ${echo(event['detail-type'])}: ${EXPECTED}`,
    );
  }
  const detail = event.detail;
  if (!isObject(detail)) throw new InvalidInputError(`${where} has no "detail" object: ${EXPECTED}`);
  if (detail.event !== 'referenceCreated' && detail.event !== 'referenceUpdated') {
    throw new InvalidInputError(
      `${where} detail.event is ${echo(detail.event)}: only a push (referenceCreated or referenceUpdated) is deployed, not a deletion`,
    );
  }
  if (detail.referenceType !== 'branch') {
    throw new InvalidInputError(
      `${where} detail.referenceType is ${echo(detail.referenceType)}: only branch pushes are deployed, not tags`,
    );
  }
  if (detail.repositoryName !== pipeline.repository) {
    throw new InvalidInputError(
      `${where} detail.repositoryName is ${echo(detail.repositoryName)}, but this pipeline deploys repository "${pipeline.repository}" (parameter RepositoryName)`,
    );
  }
  if (detail.referenceName !== pipeline.branch) {
    throw new InvalidInputError(
      `${where} detail.referenceName is ${echo(detail.referenceName)}, but this pipeline deploys branch "${pipeline.branch}" (parameter BranchName); start it by hand with {"branch": ...} to deploy another branch`,
    );
  }
  if (typeof detail.commitId !== 'string' || !COMMIT_ID.test(detail.commitId)) {
    throw new InvalidInputError(
      `${where} detail.commitId is ${echo(detail.commitId)}: expected a 40-character hexadecimal commit id`,
    );
  }
  return {
    repository: pipeline.repository,
    branch: pipeline.branch,
    commitId: detail.commitId,
    trigger: 'push',
    force: false,
  };
}

/**
 * Finds the commit at the head of a branch: CodeCommit GetBranch as a JSON 1.1 call through shared/aws-json.ts
 * (`codecommit` is `jsonClient(CODECOMMIT)`), so Prepare and Reconcile bundle no CodeCommit client.
 * https://docs.aws.amazon.com/codecommit/latest/APIReference/API_GetBranch.html
 */
export async function resolveBranchHead(
  codecommit: JsonClient,
  repository: string,
  branch: string,
): Promise<string> {
  try {
    const out = await awsJson<{ branch?: { commitId?: string } }>(codecommit, 'codecommit:GetBranch', {
      repositoryName: repository,
      branchName: branch,
    });
    const commitId = out.branch?.commitId;
    if (!commitId)
      throw new InvalidInputError(`branch "${branch}" of repository "${repository}" has no commit`);
    return commitId;
  } catch (error) {
    if (error instanceof Error && error.name === 'BranchDoesNotExistException') {
      throw new InvalidInputError(
        `branch "${branch}" does not exist in repository "${repository}": check the "branch" field of the input`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Runs Prepare: understand the input, resolve the commit, claim it, and open the deployment record. */
export async function prepare(
  event: PrepareInput,
  deps: {
    codecommit: JsonClient;
    ecs: JsonClient;
    table: DeploymentsTable;
    pipeline: { repository: string; branch: string };
  },
): Promise<PrepareOutput> {
  if (!isObject(event) || !isObject(event.execution) || typeof event.execution.name !== 'string') {
    throw new InvalidInputError(
      'Prepare expects {"input": <execution input>, "execution": {"id", "name", "startTime"}} as the state machine passes it (see events/prepare.json)',
    );
  }
  const redeploy = isObject(event.input) ? parseRedeploy(event.input) : undefined;
  if (redeploy) {
    const target = await resolveRedeploy(redeploy, { ...deps, repository: deps.pipeline.repository });
    const deployment: Deployment = {
      id: event.execution.name,
      repository: deps.pipeline.repository,
      branch: deps.pipeline.branch,
      commitId: target.commitId,
      trigger: redeploy.kind === 'rollback' ? 'rollback' : 'manual',
      force: true,
      executionId: event.execution.id,
      startedAt: event.execution.startTime,
    };
    // No commit claim: a redeploy is an operator's explicit choice, never a duplicate delivery.
    await deps.table.createRecord(deployment, {
      taskDefinitionArn: target.taskDefinitionArn,
      ordering: EXEMPT_NOTE,
    });
    return {
      action: 'redeploy',
      deployment,
      render: { taskDefinitionArn: target.taskDefinitionArn, appspec: target.appspec },
      source: null,
      buildResult: null,
    };
  }
  const request = parseTrigger(event.input, deps.pipeline);
  // A push's time and previous commit place it among the branch's pushes (commit-order.ts); checked before any write.
  const pushed =
    request.trigger === 'push' ? readPushEvent(event.input as Record<string, unknown>) : undefined;
  const commitId =
    request.commitId ?? (await resolveBranchHead(deps.codecommit, request.repository, request.branch));
  const deployment: OrderedDeployment = {
    id: event.execution.name,
    repository: request.repository,
    branch: request.branch,
    commitId,
    trigger: request.trigger,
    force: request.force,
    executionId: event.execution.id,
    startedAt: event.execution.startTime,
  };
  if (pushed) {
    const push = { ...request, commitId, deploymentId: deployment.id };
    deployment.pushOrder = await orderPush(deps, push, pushed);
  }
  const claim = await deps.table.claimCommit(deployment);
  if (!claim.claimed) {
    const { holder } = claim;
    const verb = holder.status === 'RUNNING' ? 'is being deployed' : 'was deployed';
    return {
      action: 'skip',
      reason: `commit ${commitId} ${verb} by deployment ${holder.deploymentId} (${holder.status}, started ${holder.startedAt}); start with {"commitId": "${commitId}", "force": true} to deploy it again`,
      deployment,
    };
  }
  await deps.table.createRecord(
    deployment,
    deployment.pushOrder
      ? { pushOrder: deployment.pushOrder }
      : { ordering: EXEMPT_NOTE, force: deployment.force },
  );
  return { action: 'deploy', deployment };
}
