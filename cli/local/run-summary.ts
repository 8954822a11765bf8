/**
 * The end of a local run: its summary, read back from what the emulator holds (the listener's weights, the
 * service's task sets, the deployment record) rather than from the run's own view, and the lines that tell a
 * person how it ended.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ImageInput } from '../../functions/lib/build/image-files';
import { readForward } from '../../functions/lib/deploy/listener';
import { DeploymentsTable } from '../../functions/lib/record/deployments';
import type { BlueGreenFixture } from '../emulator/fixture';
import { findTaskSetsFromCli } from '../stack/task-sets-from-cli';
import type { AwsFigures } from './aws-cost';
import type { Repository } from './repository';
import { type Paint, paint } from './screen-style';
import type { RunResult } from './state-machine';

/** The JSON summary of a local run. */
export interface LocalRunSummary {
  /**
   * ABORTED: stopped before it changed production (during the build or the wait for the lock). SKIPPED: nothing to
   * deploy (the commit is deployed or being deployed already: Prepare's `skip`), `skipped` says why.
   */
  status: 'SUCCEEDED' | 'SKIPPED' | 'ROLLED_BACK' | 'ABORTED' | 'FAILED';
  skipped?: string;
  commitId: string;
  strategy: string;
  imageUri: string | null;
  taskDefinitionArn: string | null;
  trafficSteps: { greenPercent: number; observedWeights: Record<string, number> }[];
  final: {
    productionWeights: Record<string, number>;
    liveTargetGroupArn: string | null;
    primaryTaskSet: { arn: string; taskDefinition: string } | null;
    taskSetCount: number;
  };
  error: { name: string; message: string } | null;
  /**
   * `local`: this run on the emulator, its waits compressed (durations are not AWS's). `awsModel`: what the same
   * path through the machine counts and costs on AWS (aws-cost.ts); the number of polls follows this run's
   * compressed timings, so `npm run bench:cost` is the AWS-timeline figure.
   */
  metrics: {
    local: { durationMs: number; stateTransitions: number; lambdaInvocations: number; waits: 'compressed' };
    awsModel: AwsFigures & { basis: string };
  };
  endpoint: string | null;
}

/** Reads back how the run left the target and the record of its deployment. */
export async function summarize(
  result: RunResult,
  context: {
    repo: Repository;
    strategy: string;
    target: BlueGreenFixture;
    started: number;
    endpoint: string | null;
    tableName: string;
    executionName: string;
  },
): Promise<LocalRunSummary> {
  const elbv2 = new ElasticLoadBalancingV2Client({});
  const ecs = new ECSClient({});
  const forward = await readForward(elbv2, context.target.listenerArn);
  const sets = await findTaskSetsFromCli(ecs, context.target.clusterName, context.target.serviceName);
  // As percentages: a listener that forwards to one group without weights reads back as weight 1.
  const productionWeights = Object.fromEntries(
    forward.targetGroups.map((group) => [group.arn, group.percent]),
  );
  const live = forward.targetGroups.find(
    (group) => group.weight > 0 && group.weight === Math.max(...forward.targetGroups.map((g) => g.weight)),
  );
  // The deployment record says what was built, registered and shifted, whatever path the execution took.
  const table = new DeploymentsTable(new DynamoDBClient({}), context.tableName);
  const record = (await table.listRecords(context.repo.name, 20)).find(
    (item) => item.deploymentId === context.executionName,
  ) as
    | {
        build?: { image?: ImageInput };
        taskDefinitionArn?: string;
        steps?: { greenPercent: number; observedWeights: Record<string, number> }[];
        rollback?: unknown;
        error?: { message?: string };
      }
    | undefined;
  // A rollback by the machine, or by CleanUp after an abort (Ctrl-C).
  const rolledBack =
    result.statesVisited.includes('RecordRollback') ||
    (result.status === 'ABORTED' && /rolled back/.test(record?.error?.message ?? ''));
  const error = result.error ? { name: result.error.name, message: causeMessage(result.error.cause) } : null;
  // Prepare's `skip`: the machine ended at AlreadyHandled, its output Prepare's with the reason.
  const skipped = result.statesVisited.includes('AlreadyHandled')
    ? String((result.output as { reason?: unknown } | null)?.reason ?? 'the commit is already handled')
    : undefined;
  return {
    ...(skipped ? { skipped } : {}),
    status:
      result.status === 'SUCCEEDED'
        ? skipped
          ? 'SKIPPED'
          : 'SUCCEEDED'
        : rolledBack
          ? 'ROLLED_BACK'
          : result.statesVisited.includes('RecordAborted')
            ? 'ABORTED'
            : 'FAILED',
    commitId: context.repo.commitId,
    strategy: context.strategy,
    imageUri:
      (await deployedImage(ecs, record?.taskDefinitionArn, context.repo.appspec.containerName)) ??
      builtImageUri(record?.build?.image),
    taskDefinitionArn: record?.taskDefinitionArn ?? null,
    trafficSteps: (record?.steps ?? []).map(({ greenPercent, observedWeights }) => ({
      greenPercent,
      observedWeights,
    })),
    final: {
      productionWeights,
      liveTargetGroupArn: live?.arn ?? null,
      primaryTaskSet: sets.primary
        ? { arn: sets.primary.arn, taskDefinition: sets.primary.taskDefinition }
        : null,
      taskSetCount: (sets.primary ? 1 : 0) + sets.active.length,
    },
    error,
    metrics: {
      local: {
        durationMs: Date.now() - context.started,
        stateTransitions: result.stateTransitions,
        lambdaInvocations: result.lambdaInvocations,
        waits: 'compressed',
      },
      awsModel: {
        ...result.aws,
        basis:
          "this run's path at AWS prices (Step Functions Standard, Lambda); for the AWS timeline run npm run bench:cost",
      },
    },
    endpoint: context.endpoint,
  };
}

/** The image the registered revision runs in the AppSpec's container: what was deployed, whatever made it. */
async function deployedImage(
  ecs: ECSClient,
  taskDefinitionArn: string | undefined,
  containerName: string,
): Promise<string | null> {
  if (!taskDefinitionArn) return null;
  const { taskDefinition } = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
  );
  return (
    taskDefinition?.containerDefinitions?.find((container) => container.name === containerName)?.image ?? null
  );
}

/** The image the build made: the first bound imageDetail.json's, else the first in imagedefinitions.json. */
function builtImageUri(image: ImageInput | undefined): string | null {
  return image?.details[0]?.imageUri ?? image?.definitions?.images[0]?.imageUri ?? null;
}

/** A failed Task's cause is Lambda's JSON error; a person wants its message. */
function causeMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}

/** Prints how the run ended: deployed, rolled back or failed, and what production is left with. */
export function printSummary(
  summary: LocalRunSummary,
  result: RunResult,
  print: (line: string) => void,
  colours: Paint = paint(false),
): void {
  const seconds = (summary.metrics.local.durationMs / 1000).toFixed(1);
  // Each first line is coloured whole: what a person reads, and what the tests match, stays one run of text.
  if (summary.status === 'SKIPPED') {
    print(colours.green(`✔ nothing to deploy for ${summary.commitId.slice(0, 7)}: ${summary.skipped}`));
  } else if (summary.status === 'SUCCEEDED') {
    print(
      colours.green(
        `✔ deployed ${summary.commitId.slice(0, 7)} in ${seconds} s: ${summary.taskDefinitionArn} serves 100 % of production`,
      ),
    );
  } else {
    print(
      colours.red(
        `✘ ${summary.status} after ${seconds} s: ${summary.error?.name}: ${summary.error?.message}`,
      ),
    );
    if (summary.status === 'ROLLED_BACK')
      print('  production is back on the live target group, green removed');
    if (summary.status === 'ABORTED') print('  production was not touched: nothing to roll back');
  }
  print(
    colours.dim(
      `  ${summary.final.taskSetCount} task set(s); primary ${summary.final.primaryTaskSet?.taskDefinition ?? 'none'}; ${result.stateTransitions} state transitions, ${result.lambdaInvocations} function invocations here; on AWS ≈ $${result.aws.costUsd.toFixed(4)}, ${result.aws.historyEvents} history events`,
    ),
  );
}
