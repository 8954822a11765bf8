/**
 * Resuming a failed rollback: `switchyard rollback --resume` starts an execution with
 * `{"resumeRollback": {"deploymentId"}}`. Prepare hands it here: the deployment must be the one holding the
 * service's lock marked ROLLBACK_FAILED, and its record must say ROLLBACK_FAILED. The answer routes the machine
 * (IsDuplicate, action `resume-rollback`) straight to Rollback with the deployment, render and green the record
 * stored, and the error that caused the first rollback; RecordRollback then ends it ROLLED_BACK and frees the lock.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { asTransient, InvalidInputError } from '../shared/errors';
import { type Deployment, DeploymentsTable, type Trigger } from './deployments';
import { getLock, lockTable, type ServiceRef } from './lock-table';
import type { CaughtError } from './record-result';

/** The manual input that asks for a resumed rollback. */
export interface ResumeRollbackRequest {
  resumeRollback: { deploymentId: string };
}

/** Prepare's answer for a resumed rollback: what Rollback needs, as the failed execution left it. */
export interface ResumeRollbackOutput {
  action: 'resume-rollback';
  deployment: Deployment;
  render: Record<string, unknown>;
  green: Record<string, unknown>;
  error: CaughtError;
  resumeRollback: { deploymentId: string; executionId: string; failedAt: string | null };
}

/** True when the manual input asks for a resumed rollback (`resumeRollback` present, whatever its shape). */
export function isResumeRollback(input: unknown): input is ResumeRollbackRequest {
  return typeof input === 'object' && input !== null && 'resumeRollback' in input;
}

/** Checks the shape of `{"resumeRollback": {"deploymentId"}}`; returns the deployment id. */
export function parseResumeRollback(input: unknown): string {
  const request = (input as { resumeRollback?: unknown }).resumeRollback;
  const extra = Object.keys(input as object).filter((key) => key !== 'resumeRollback');
  const deploymentId = (request as { deploymentId?: unknown } | null)?.deploymentId;
  if (typeof request !== 'object' || request === null || typeof deploymentId !== 'string' || !deploymentId) {
    throw new InvalidInputError(
      `input field "resumeRollback" is ${JSON.stringify(request)}; expected {"deploymentId": "<id>"}, the deployment ` +
        'whose rollback failed (switchyard rollback --resume DEPLOYMENT_ID; switchyard history lists it as ROLLBACK_FAILED)',
    );
  }
  if (extra.length > 0) {
    throw new InvalidInputError(
      `input with "resumeRollback" takes no other field; got ${extra.map((key) => `"${key}"`).join(', ')}: remove them`,
    );
  }
  return deploymentId;
}

/**
 * Validates a resume request against the lock and the record (nothing is written before both agree) and returns
 * what Rollback needs. InvalidInputError, naming what is wrong and what to do, when there is nothing to resume.
 */
export async function prepareResumeRollback(
  input: unknown,
  execution: { id: string },
  deps: { dynamodb: DynamoDBClient; tableName: string; repository: string; service: ServiceRef },
): Promise<ResumeRollbackOutput> {
  const deploymentId = parseResumeRollback(input);
  const { cluster, service } = deps.service;
  const lock = await getLock(lockTable(deps.dynamodb, deps.tableName), deps.service);
  const marked = lock as (typeof lock & { status?: string; rollbackFailedAt?: string }) | undefined;
  if (!marked || marked.deploymentId !== deploymentId || marked.status !== 'ROLLBACK_FAILED') {
    throw new InvalidInputError(
      `resumeRollback.deploymentId "${deploymentId}": the lock of service ${cluster}/${service} is ` +
        `${marked ? `held by deployment ${marked.deploymentId}${marked.status ? ` (${marked.status})` : ' (running)'}` : 'free'}, ` +
        'not kept by a failed rollback of this deployment: there is nothing to resume (switchyard status shows the holder)',
    );
  }
  const table = new DeploymentsTable(deps.dynamodb, deps.tableName);
  const key = { id: deploymentId, repository: deps.repository, startedAt: marked.startedAt };
  let record: Record<string, unknown> | undefined;
  try {
    record = await table.getRecord(key as Deployment);
  } catch (error) {
    throw asTransient(`GetItem of deployment ${deploymentId} in ${deps.tableName}`, error);
  }
  if (record?.status !== 'ROLLBACK_FAILED') {
    throw new InvalidInputError(
      `deployment ${deploymentId} keeps the lock of ${cluster}/${service} after a failed rollback, but its record in ` +
        `${deps.tableName} ${record ? `says ${String(record.status)}` : 'is missing'}: delete the lock item ` +
        `{pk: "LOCK#${cluster}/${service}", sk: "LOCK"} by hand once the listener sends all traffic to one group`,
    );
  }
  const cause = record.error as { name?: string; message?: string } | undefined;
  return {
    action: 'resume-rollback',
    deployment: {
      id: deploymentId,
      repository: deps.repository,
      branch: String(record.branch),
      commitId: String(record.commitId),
      trigger: record.trigger as Trigger,
      force: false,
      executionId: String(record.executionId),
      startedAt: String(record.startedAt),
    },
    render: objectOr(record.render),
    green: objectOr(record.green),
    error: {
      Error: cause?.name ?? 'RollbackResumed',
      Cause:
        cause?.message ??
        `the rollback of deployment ${deploymentId} is resumed by execution ${execution.id}`,
    },
    resumeRollback: {
      deploymentId,
      executionId: execution.id,
      failedAt: marked.rollbackFailedAt ?? null,
    },
  };
}

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
