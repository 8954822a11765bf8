/**
 * The deployment record as the traffic loop uses it: ShiftTraffic appends each applied step to the record's
 * `steps` exactly once (a retried step finds it there) and clears the promote flag in the same write; CheckPause
 * reads the record fresh for the operator's flags.
 */
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { asTransient, InvalidInputError } from '../shared/errors';
import { type Deployment, DeploymentsTable, recordKey } from './deployments';

/** One applied step as the deployment record keeps it, in its `steps` list. */
export interface RecordedStep {
  step: number;
  greenPercent: number;
  observedWeights: Record<string, number>;
  at: string;
}

/**
 * Appends the step to the record's `steps` and removes `promoteRequested` (it ended the pause before this step),
 * in one conditional write: the list must hold at most `step` entries, so a retried step is not appended twice.
 * Returns when the step was first recorded.
 */
export async function recordStep(
  dynamodb: DynamoDBClient,
  tableName: string,
  deployment: Deployment,
  entry: RecordedStep,
): Promise<{ at: string; retried: boolean }> {
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  try {
    await doc.send(
      new UpdateCommand({
        TableName: tableName,
        Key: recordKey(deployment),
        UpdateExpression:
          'SET #steps = list_append(if_not_exists(#steps, :empty), :entry), #updatedAt = :at REMOVE #promote',
        ConditionExpression:
          'attribute_exists(#pk) AND (attribute_not_exists(#steps) OR size(#steps) <= :step)',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#steps': 'steps',
          '#updatedAt': 'updatedAt',
          '#promote': 'promoteRequested',
        },
        ExpressionAttributeValues: { ':empty': [], ':entry': [entry], ':at': entry.at, ':step': entry.step },
      }),
    );
    return { at: entry.at, retried: false };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) {
      throw asTransient(`UpdateItem of the record of deployment ${deployment.id}`, error);
    }
  }
  const record = await readRecord(new DeploymentsTable(dynamodb, tableName), deployment);
  const steps = Array.isArray(record.steps) ? (record.steps as Partial<RecordedStep>[]) : [];
  const earlier = steps.find((recordedStep) => recordedStep?.step === entry.step);
  return { at: typeof earlier?.at === 'string' ? earlier.at : entry.at, retried: true };
}

/** The deployment's record, strongly consistent; InvalidInputError when Prepare never wrote it. */
export async function readRecord(
  table: DeploymentsTable,
  deployment: Deployment,
): Promise<Record<string, unknown>> {
  let record: Record<string, unknown> | undefined;
  try {
    record = await table.getRecord(deployment);
  } catch (error) {
    throw asTransient(`GetItem of the record of deployment ${deployment.id}`, error);
  }
  if (!record) {
    const { pk, sk } = recordKey(deployment);
    throw new InvalidInputError(
      `deployment ${deployment.id} has no record in the deployments table (pk ${pk}, sk ${sk}); Prepare writes it: ` +
        'the "deployment" input must be the one Prepare returned',
    );
  }
  return record;
}
