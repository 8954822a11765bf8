/**
 * `switchyard abort` before the build ends: StartBuild starts no build for an aborted deployment, and CheckBuild
 * stops the running one. Both throw DeploymentAbortedError, which the machine catches (before the lock, nothing
 * of production or green has changed) into RecordAborted: the deployment ends ABORTED without a rollback.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Deployment } from '../record/deployments';
import { assertNotAborted } from '../record/fence';
import { DeploymentAbortedError } from '../shared/errors';

/**
 * Throws DeploymentAbortedError when the deployment's record carries `abortRequested`; first stops `buildId` with
 * `deps.stopBuild` (codebuild.ts's stopBuild leaves a build that already ended as it is: a retry is harmless).
 */
export async function stopBuildIfAborted(
  deps: { dynamodb: DynamoDBClient; tableName: string; stopBuild?: (id: string) => Promise<void> },
  deployment: Deployment,
  buildId?: string,
): Promise<void> {
  try {
    await assertNotAborted(deps, deployment);
  } catch (error) {
    if (!(error instanceof DeploymentAbortedError)) throw error;
    const stopped = buildId !== undefined && deps.stopBuild !== undefined;
    if (stopped) await deps.stopBuild?.(buildId);
    throw new DeploymentAbortedError(
      `deployment ${deployment.id} was aborted before its build ended${stopped ? `; build ${buildId} was stopped` : '; no build was started'}: ` +
        'nothing was deployed, the deployment ends ABORTED',
      { cause: error },
    );
  }
}
