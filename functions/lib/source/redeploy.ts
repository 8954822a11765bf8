/**
 * Manual redeploys, without source or build: `{"rollback": true}` deploys again the task definition that was live
 * before the current one, and `{"taskDefinitionArn": "…"}` deploys a given revision. Both take the AppSpec's
 * deployment settings from the last successful deployment, and go through the same lock, shift and rollback.
 */
import type { DescribeTaskDefinitionCommandOutput } from '@aws-sdk/client-ecs';
import type { DeploymentsTable } from '../record/deployments';
import type { ParsedAppSpec } from '../render/appspec';
import {
  checkRedeployArn,
  checkRedeployRoles,
  readWorkloadScope,
  type WorkloadScope,
} from '../render/workload-scope';
import { awsJson, type JsonClient } from '../shared/aws-json';
import { InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';

/** A redeploy request, as the execution input gives it. */
export type RedeployRequest = { kind: 'rollback' } | { kind: 'task-definition'; taskDefinitionArn: string };

/** What the deploy stage needs: the revision, the AppSpec settings, and the commit it came from. */
export interface RedeployTarget {
  taskDefinitionArn: string;
  appspec: ParsedAppSpec;
  commitId: string;
}

const TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[A-Za-z0-9_-]+:\d+$/;

/** Reads `{"rollback": true}` or `{"taskDefinitionArn"}`; undefined for any other input. */
export function parseRedeploy(input: Record<string, unknown>): RedeployRequest | undefined {
  const keys = Object.keys(input);
  if (keys.includes('rollback')) {
    if (input.rollback !== true || keys.length !== 1) {
      throw new InvalidInputError('a rollback is started with exactly {"rollback": true}');
    }
    return { kind: 'rollback' };
  }
  if (keys.includes('taskDefinitionArn')) {
    const arn = input.taskDefinitionArn;
    if (keys.length !== 1 || typeof arn !== 'string' || !TASK_DEFINITION_ARN.test(arn)) {
      throw new InvalidInputError(
        `a redeploy is started with exactly {"taskDefinitionArn": "arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>"}; got ${echo(input)}`,
      );
    }
    return { kind: 'task-definition', taskDefinitionArn: arn };
  }
  return undefined;
}

interface SuccessfulRecord {
  taskDefinitionArn: string;
  appspec: ParsedAppSpec;
  commitId: string;
  deploymentId: string;
}

function successful(records: Record<string, unknown>[]): SuccessfulRecord[] {
  return records.flatMap((item) => {
    const render = item.render as { taskDefinitionArn?: string; appspec?: ParsedAppSpec } | undefined;
    if (item.status !== 'SUCCEEDED' || !render?.taskDefinitionArn || !render.appspec) return [];
    return [
      {
        taskDefinitionArn: render.taskDefinitionArn,
        appspec: render.appspec,
        commitId: String(item.commitId ?? ''),
        deploymentId: String(item.deploymentId ?? ''),
      },
    ];
  });
}

/**
 * Finds what a redeploy deploys; every problem is an InvalidInputError raised before any side effect. A given
 * revision must be of the stack's account, Region and family (TaskDefinitionFamily, when set) and name only the
 * stack's roles: it runs with this workload's permissions (workload-scope.ts).
 */
export async function resolveRedeploy(
  request: RedeployRequest,
  deps: {
    table: DeploymentsTable;
    /** ECS through a signed request (aws-json.ts): Prepare carries no ECS SDK client for this one call. */
    ecs: JsonClient;
    repository: string;
    /** Read from the environment the template sets when not given. */
    scope?: WorkloadScope;
  },
): Promise<RedeployTarget> {
  const history = successful(await deps.table.listRecords(deps.repository));
  const current = history[0];
  if (!current) {
    throw new InvalidInputError(
      `repository "${deps.repository}" has no successful deployment yet: deploy a commit first (its AppSpec gives the container and port)`,
    );
  }
  if (request.kind === 'rollback') {
    const previous = history.find((record) => record.taskDefinitionArn !== current.taskDefinitionArn);
    if (!previous) {
      throw new InvalidInputError(
        `nothing to roll back to: every successful deployment of "${deps.repository}" in the history deployed ${current.taskDefinitionArn}`,
      );
    }
    return previous;
  }
  const scope = deps.scope ?? readWorkloadScope();
  checkRedeployArn(request.taskDefinitionArn, scope, 'taskDefinitionArn');
  const out = await awsJson<DescribeTaskDefinitionCommandOutput>(deps.ecs, 'ecs:DescribeTaskDefinition', {
    taskDefinition: request.taskDefinitionArn,
    include: ['TAGS'],
  }).catch((error: unknown) => {
    throw new InvalidInputError(
      `task definition ${request.taskDefinitionArn} cannot be read (${error instanceof Error ? error.message : String(error)}): check the ARN`,
      { cause: error },
    );
  });
  if (out.taskDefinition?.status !== 'ACTIVE') {
    throw new InvalidInputError(
      `task definition ${request.taskDefinitionArn} is ${out.taskDefinition?.status ?? 'missing'}: only an ACTIVE revision can be deployed`,
    );
  }
  checkRedeployRoles(request.taskDefinitionArn, out.taskDefinition, scope);
  const commit = out.tags?.find((tag) => tag.key === 'switchyard:commit')?.value;
  return {
    taskDefinitionArn: request.taskDefinitionArn,
    appspec: current.appspec,
    commitId: commit ?? 'unknown',
  };
}
