/**
 * The events/ samples against a running stack (`switchyard local --keep` or `--watch`, or one in AWS): they all
 * describe the made-up deployment `sample-exec`, which no stack's table holds, so a function that reads the record
 * or the resources the deployment made would only ever answer "no record". When the event names that placeholder,
 * `switchyard invoke` puts in the stack's latest deployment instead (its record in the deployments table): the
 * deployment, and the parts of the state the sample carries (source, build, render, green), so the function acts on
 * something the stack has, as it would inside the state machine.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { buildArtifactPath } from '../../functions/lib/build/codebuild';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { InvalidInputError } from '../../functions/lib/shared/errors';

/** The deployment id every events/ sample names (its execution name, `sample-exec`). */
export const SAMPLE_DEPLOYMENT_ID = 'sample-exec';

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether the event names the samples' placeholder deployment, where a state input (`deployment.id`), Prepare's
 * input (`execution.name`) or an execution's status change (`detail.name`) carries it.
 */
export function namesSampleDeployment(event: unknown): boolean {
  if (!isObject(event)) return false;
  const { deployment, execution, detail } = event;
  return (
    (isObject(deployment) && deployment.id === SAMPLE_DEPLOYMENT_ID) ||
    (isObject(execution) && execution.name === SAMPLE_DEPLOYMENT_ID) ||
    (isObject(detail) && detail.name === SAMPLE_DEPLOYMENT_ID)
  );
}

/** The latest deployment record of `repository` in the stack's table, newest first as `switchyard history` lists. */
export async function latestDeployment(tableName: string, repository: string): Promise<Json | undefined> {
  const client = new DynamoDBClient({});
  try {
    const [latest] = await new DeploymentsTable(client, tableName).listRecords(repository, 1);
    return latest;
  } finally {
    client.destroy();
  }
}

/** The event with the record's deployment in place of the placeholder; the parts the record lacks stay as sampled. */
export function withDeployment(event: Json, record: Json): Json {
  const deployment = {
    id: String(record.deploymentId),
    repository: String(record.repository ?? String(record.pk).replace(/^DEPLOYMENT#/, '')),
    branch: String(record.branch),
    commitId: String(record.commitId),
    trigger: String(record.trigger),
    force: record.force === true,
    executionId: String(record.executionId),
    startedAt: String(record.startedAt),
  };
  const out: Json = { ...event };
  if (isObject(event.deployment)) out.deployment = deployment;
  if (isObject(event.source) && isObject(record.source)) {
    const commit = isObject(event.source.commit)
      ? { ...event.source.commit, id: deployment.commitId }
      : undefined;
    out.source = { ...event.source, ...record.source, ...(commit ? { commit } : {}) };
  }
  const buildId = isObject(record.build) ? record.build.id : undefined;
  if (isObject(event.build) && typeof buildId === 'string') out.build = { ...event.build, id: buildId };
  if (isObject(event.buildResult) && typeof buildId === 'string' && isObject(record.source)) {
    // CodeBuild writes the artifact under the path StartBuild gave, in a folder named after the build's id
    // (namespaceType BUILD_ID: https://docs.aws.amazon.com/codebuild/latest/APIReference/API_ProjectArtifacts.html).
    const key = `${buildArtifactPath(deployment.repository, deployment.commitId)}/${buildId.split(':').pop()}/build.zip`;
    out.buildResult = {
      ...event.buildResult,
      buildId,
      artifact: { bucket: record.source.bucket, key },
      ...(isObject(record.build) && typeof record.build.logsUrl === 'string'
        ? { logsUrl: record.build.logsUrl }
        : {}),
    };
  }
  if (isObject(event.render) && isObject(record.render)) out.render = record.render;
  if (isObject(event.green) && isObject(record.green)) out.green = record.green;
  // Prepare's input starts a new execution: only the pushed commit is the deployed one (a push CodeCommit has).
  if (isObject(event.input) && isObject(event.input.detail)) {
    out.input = { ...event.input, detail: { ...event.input.detail, commitId: deployment.commitId } };
  }
  if (isObject(event.detail) && event.detail.name === SAMPLE_DEPLOYMENT_ID) {
    const arn = deployment.executionId;
    out.resources = [arn];
    out.detail = {
      ...event.detail,
      executionArn: arn,
      name: deployment.id,
      stateMachineArn: arn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, ''),
      startDate: Date.parse(deployment.startedAt),
    };
  }
  return out;
}

/**
 * The sample event with the stack's latest deployment in place of `sample-exec`, and the line that says so; the
 * event as given when it does not name the placeholder or no table is known (no --env-vars naming TABLE_NAME).
 */
export async function fillSampleDeployment(
  event: unknown,
  stack: { tableName?: string; repository?: string; eventFile?: string },
): Promise<{ event: unknown; note?: string }> {
  if (!namesSampleDeployment(event) || !isObject(event)) return { event };
  const { tableName } = stack;
  const sampled = isObject(event.deployment) ? event.deployment.repository : undefined;
  const repository = typeof sampled === 'string' ? sampled : stack.repository;
  if (!tableName || !repository) return { event };
  const record = await latestDeployment(tableName, repository).catch((error: unknown) => {
    throw new InvalidInputError(
      `${stack.eventFile ?? 'the event'} names the sample deployment ${SAMPLE_DEPLOYMENT_ID}, and the stack's deployments table ${tableName} could not be read to put its latest deployment in its place (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}): start the stack (npx switchyard local --keep) and export what it prints, or give --env-vars naming its TABLE_NAME`,
    );
  });
  // Prepare starts a deployment and needs none before it: its sample runs as it is in an empty stack.
  if (!record && isObject(event.execution) && isObject(event.input)) return { event };
  if (!record) {
    throw new InvalidInputError(
      `${stack.eventFile ?? 'the event'} names the sample deployment ${SAMPLE_DEPLOYMENT_ID}, which stands for the stack's latest deployment, and table ${tableName} holds no deployment of ${repository} yet: run a deployment first (npx switchyard local --keep, or npx switchyard deploy --stack NAME), then invoke again`,
    );
  }
  const file = stack.eventFile ?? 'the event';
  const latest = `the stack's latest deployment ${String(record.deploymentId)} (${String(record.status)}, commit ${String(record.commitId).slice(0, 7)}) from table ${tableName}`;
  return {
    event: withDeployment(event, record),
    note: isObject(event.input)
      ? `${file}: the sample's push names the commit of ${latest}`
      : `${file}: ${SAMPLE_DEPLOYMENT_ID} is the samples' placeholder, so it runs with ${latest}`,
  };
}
