/**
 * The first Ctrl-C of `switchyard local`: the deployment is aborted the way `switchyard abort` aborts it. The flag
 * goes on its record (setOperatorFlag: only while RUNNING), then the deployment is woken at once (wakeFlagged): a
 * build still running is stopped as CodeBuild's StopBuild stops it
 * (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StopBuild.html), a pause or bake ends its wait. The machine
 * then rolls traffic back to blue, or ends ABORTED when nothing of production or green had changed yet
 * (docs/DEPLOY-STAGE.md, "Abort").
 */
import { CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import { operatorName, setOperatorFlag } from '../stack/actions';
import type { DeploymentRecord } from '../stack/target';
import { wakeFlagged } from '../stack/wake';

/** How often the record is looked for while Prepare has not written it yet. */
const RECORD_POLL_MS = 100;

/** What the abort needs to find the run's deployment, and how to learn the run has ended. */
export interface LocalAbortOptions {
  tableName: string;
  repository: string;
  /** The execution's name: a deployment's id. */
  deploymentId: string;
  /** Settles when the execution has ended: a run that ends first needs no abort. */
  ended: Promise<unknown>;
  print: (line: string) => void;
  /** When the flag cannot be set (the emulator refused it): stop the execution instead. */
  fallback: () => void;
}

/** Sets `abortRequested` on the run's deployment and wakes it, as `switchyard abort` does. */
export async function abortLocalDeployment(options: LocalAbortOptions): Promise<void> {
  let ended = false;
  const end = () => {
    ended = true;
  };
  options.ended.then(end, end);
  const dynamodb = new DynamoDBClient({});
  const sfn = new SFNClient({});
  const codebuild = new CodeBuildClient({});
  try {
    const record = await recordOf(dynamodb, options, () => ended);
    // No record and the run is over (Prepare found a duplicate), or the deployment already ended: nothing to abort.
    if (record?.status !== 'RUNNING') return;
    const by = operatorName();
    const flagged = await setOperatorFlag({
      dynamodb,
      tableName: options.tableName,
      record,
      flag: 'abortRequested',
      request: { by, at: new Date().toISOString(), reason: 'Ctrl-C in switchyard local' },
    });
    // Not set: the deployment ended between the read and the write; it ends as it was going to.
    if (!flagged.set) return;
    await wakeFlagged({ sfn, dynamodb, codebuild }, options.tableName, record, 'abortRequested', by);
  } catch (error) {
    options.print(
      `could not request the abort (${error instanceof Error ? error.message : String(error)}): stopping the execution instead; it is cleaned up as a stopped execution is`,
    );
    options.fallback();
  } finally {
    dynamodb.destroy();
    sfn.destroy();
    codebuild.destroy();
  }
}

/** The deployment's record, waiting for Prepare to write it; undefined when the run ends without one. */
async function recordOf(
  dynamodb: DynamoDBClient,
  options: LocalAbortOptions,
  hasEnded: () => boolean,
): Promise<DeploymentRecord | undefined> {
  const table = new DeploymentsTable(dynamodb, options.tableName);
  for (;;) {
    const record = (await table.listRecords(options.repository, 50)).find(
      (item) => item.deploymentId === options.deploymentId,
    );
    if (record || hasEnded()) return record;
    await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS));
  }
}
