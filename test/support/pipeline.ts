/** What the tests of the state machine share: the push they start from, and what they read back. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import {
  type LocalStack,
  type RunEvent,
  type RunOptions,
  type RunResult,
  startPipeline,
} from '../../cli/local/state-machine';
import { readForward } from '../../functions/lib/deploy/listener';
import { findTaskSets } from '../../functions/lib/deploy/task-sets';
import { ECS, jsonClient } from '../../functions/lib/shared/aws-json';
import { loadEvent } from './events';

const ecs = jsonClient(ECS);
const elbv2 = new ElasticLoadBalancingV2Client({});
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

/** events/push.json for another commit. */
export function pushOf(commitId: string) {
  const push = loadEvent<{ detail: Record<string, unknown> }>('push');
  return { ...push, detail: { ...push.detail, commitId } };
}

/** What production looks like: the weights read back from the listener, and the service's task sets. */
export async function production(target: BlueGreenFixture) {
  const forward = await readForward(elbv2, target.listenerArn);
  const sets = await findTaskSets(ecs, target.clusterName, target.serviceName);
  return {
    weights: Object.fromEntries(forward.targetGroups.map((group) => [group.arn, group.weight])),
    primary: sets.primary?.taskDefinition ?? null,
    taskSets: (sets.primary ? 1 : 0) + sets.active.length,
  };
}

/** The sample application's deployment records in the stack's deployments table. */
export async function deploymentRecords(stack: Pick<LocalStack, 'resources'>) {
  const out = await doc.send(
    new QueryCommand({
      TableName: stack.resources.DeploymentsTable,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'DEPLOYMENT#switchyard-sample-app' },
    }),
  );
  return out.Items ?? [];
}

/** Starts a run, aborts it once one of its events matches `when` (as a Ctrl-C or StopExecution would), and returns how it ended. */
export async function abortWhen(options: RunOptions, when: (event: RunEvent) => boolean): Promise<RunResult> {
  let reached: () => void = () => undefined;
  const there = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const running = startPipeline({
    ...options,
    onEvent: (event) => {
      options.onEvent?.(event);
      if (when(event)) reached();
    },
  });
  await there;
  running.abort();
  return running.result;
}

/** A local stack whose service runs the sample's `web` container on 8080 and serves (the e2e tests' usual target). */
export async function servingStack(
  parameters?: Record<string, string>,
): Promise<LocalStack & { target: BlueGreenFixture }> {
  const stack = await createLocalStack({
    ...(parameters ? { parameters } : {}),
    target: { containerName: 'web', containerPort: 8080, serving: true },
  });
  return stack as LocalStack & { target: BlueGreenFixture };
}
