/**
 * CleanUp and the reconciler through the real state machine: an execution stopped while one of its tasks is still
 * writing (the task finishes after the stop, past its fence check, as a Lambda invocation Step Functions does not
 * stop would) ends with production wholly on blue and no green task set; a CleanUp that was lost is re-driven by
 * the reconciler; a push EventBridge never delivered is deployed by the reconciler, once, even when the push's own
 * event arrives too. The emulator serves CodeCommit from git; its Step Functions holds a state machine with the
 * ARN the local runner gives its executions, so what the reconciler starts or describes there is what runs here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalHandler, type LocalStack, runPipeline } from '../../cli/local/state-machine';
import { handler as cleanUpHandler } from '../../functions/clean-up/handler';
import { DEPLOY_ENV, deployConfig } from '../../functions/lib/deploy/deploy-config';
import { createGreen } from '../../functions/lib/deploy/green';
import { setWeights } from '../../functions/lib/deploy/listener';
import { reconcile } from '../../functions/lib/reconcile/reconcile';
import { type Deployment, DeploymentsTable, recordKey } from '../../functions/lib/record/deployments';
import { lockKey } from '../../functions/lib/record/lock-table';
import { runningItems } from '../../functions/lib/record/running-claims';
import { CODECOMMIT, ECS, jsonClient, STEP_FUNCTIONS } from '../../functions/lib/shared/aws-json';
import { configFromEnv } from '../../functions/lib/shared/config';
import { handler as reconcileHandler } from '../../functions/reconcile/handler';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, production, pushOf } from '../support/pipeline';

const dynamodb = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(dynamodb);
const ecs = jsonClient(ECS);
const elbv2 = new ElasticLoadBalancingV2Client({});
const sfn = new SFNClient({});

type Stack = LocalStack & { target: BlueGreenFixture };

describe('CleanUp and the reconciler, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const saved = process.env.SWITCHYARD_LOCAL_MAX_TASK_SECONDS;
  // Long enough for a stopped task's one emulator call, short for a test.
  beforeAll(() => {
    process.env.SWITCHYARD_LOCAL_MAX_TASK_SECONDS = '2';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.SWITCHYARD_LOCAL_MAX_TASK_SECONDS;
    else process.env.SWITCHYARD_LOCAL_MAX_TASK_SECONDS = saved;
  });

  async function stackWith(parameters: Record<string, string> = {}): Promise<Stack> {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080 },
    });
    return stack as Stack;
  }

  /** The emulator's state machine with the ARN the local runner gives its executions. */
  async function emulatedMachine(stack: LocalStack): Promise<string> {
    const out = await sfn.send(
      new CreateStateMachineCommand({
        name: `${stack.name}-pipeline`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        roleArn: `arn:aws:iam::${stack.accountId}:role/${stack.name}-pipeline`,
      }),
    );
    return out.stateMachineArn as string;
  }

  /** Resolves once CleanUp has marked the deployment's record `stopping` (the stopped task's cue to write). */
  async function untilStopping(stack: LocalStack, deployment: Deployment): Promise<void> {
    for (;;) {
      const { Item } = await doc.send(
        new GetCommand({ TableName: stack.resources.DeploymentsTable, Key: recordKey(deployment) }),
      );
      if (Item?.stopping) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** A task handler that, once its execution is stopped and CleanUp began, makes `write` (as if past its fence). */
  function writesAfterTheStop(
    stack: LocalStack,
    write: (event: { deployment: Deployment }) => Promise<unknown>,
  ) {
    const done: { at?: number } = {};
    const handler: LocalHandler = async (event) => {
      const input = event as { deployment: Deployment };
      await untilStopping(stack, input.deployment);
      await write(input);
      done.at = Date.now();
      return {};
    };
    return { handler, done };
  }

  async function expectBackOnBlueAndClosed(stack: Stack, message: RegExp) {
    expect(await production(stack.target)).toEqual({
      weights: { [stack.target.targetGroups.blue]: 100, [stack.target.targetGroups.green]: 0 },
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'ExecutionAborted' } });
    expect(String(record?.error.message)).toMatch(message);
    const lock = await doc.send(
      new GetCommand({
        TableName: stack.resources.DeploymentsTable,
        Key: lockKey({ cluster: stack.target.clusterName, service: stack.target.serviceName }),
      }),
    );
    expect(lock.Item).toBeUndefined();
    return record;
  }

  it('waits out a stopped ShiftTraffic that moves production to green after the stop, then rolls back', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const { blue, green } = stack.target.targetGroups;
    const late = writesAfterTheStop(stack, () =>
      setWeights(elbv2, stack.target.listenerArn, { [green]: 100, [blue]: 0 }),
    );

    const result = await abortWhen(
      {
        input: pushOf(repo.commitId),
        stack,
        executionName: 'stopped-shift',
        handlers: { ShiftTrafficFunction: late.handler },
      },
      (event) => event.type === 'state-entered' && event.state === 'ShiftTraffic',
    );

    expect(result.status).toBe('ABORTED');
    const record = await expectBackOnBlueAndClosed(stack, /rolled back/);
    // The stopped task's write landed before CleanUp's rollback, which undid it.
    expect(late.done.at).toBeLessThan(Date.parse(String(record?.rolledBackAt)));
  });

  it('removes a green task set whose CreateGreen answer was lost after the stop (found by externalId)', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const lostAnswer = { update: async () => undefined } as unknown as DeploymentsTable;
    const late = writesAfterTheStop(stack, async (event) => {
      const env = configFromEnv([...DEPLOY_ENV])();
      await createGreen(event as never, deployConfig(env, process.env.TEST_LISTENER_ARN), {
        ecs,
        elbv2,
        table: lostAnswer,
      });
    });

    const result = await abortWhen(
      {
        input: pushOf(repo.commitId),
        stack,
        executionName: 'stopped-green',
        handlers: { CreateGreenFunction: late.handler },
      },
      (event) => event.type === 'state-entered' && event.state === 'CreateGreen',
    );

    expect(result.status).toBe('ABORTED');
    expect(late.done.at).toBeDefined();
    const record = await expectBackOnBlueAndClosed(stack, /record did not know/);
    expect(record?.green).toBeUndefined();
  });

  it('re-drives a lost CleanUp from the reconciler: the claim does not stay RUNNING', async () => {
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());
    const machine = await emulatedMachine(stack);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machine, name: 'lost-cleanup' }),
    );
    const lost: LocalHandler = async () => {
      throw new Error('CleanUp never ran: its retries were spent and its event dropped');
    };

    const result = await abortWhen(
      {
        input: pushOf(repo.commitId),
        stack,
        executionName: 'lost-cleanup',
        waitMs: () => 10,
        handlers: { CleanUpFunction: lost },
      },
      (event) => event.type === 'state-entered' && event.state === 'WaitInPause',
    );
    await sfn.send(new StopExecutionCommand({ executionArn }));
    const table = new DeploymentsTable(dynamodb, stack.resources.DeploymentsTable as string);
    expect(result.status).toBe('ABORTED');
    expect(await table.getClaim('switchyard-sample-app', repo.commitId)).toMatchObject({ status: 'RUNNING' });
    expect((await production(stack.target)).weights[stack.target.targetGroups.green]).toBe(10);

    const out = await reconcile(
      {
        stateMachineArn: machine,
        cleanUpFunctionArn: `arn:aws:lambda:us-east-1:${stack.accountId}:function:clean-up`,
      },
      {
        codecommit: jsonClient(CODECOMMIT),
        sfn: jsonClient(STEP_FUNCTIONS),
        table,
        pipeline: { repository: 'switchyard-sample-app', branch: 'main' },
        runningItems: () =>
          runningItems(dynamodb, stack.resources.DeploymentsTable as string, 'switchyard-sample-app'),
        // As Lambda would run the asynchronous invocation: the real handler, with the stack's environment.
        redrive: async (event) => {
          process.env.MAX_TASK_SECONDS = '1';
          await cleanUpHandler(event);
        },
        redriveAfterMs: 0,
      },
    );

    expect(out.head).toMatchObject({ commitId: repo.commitId, action: 'handled' });
    expect(out.redriven).toEqual([{ deploymentId: 'lost-cleanup', executionArn, status: 'ABORTED' }]);
    await expectBackOnBlueAndClosed(stack, /rolled back/);
    expect(await table.getClaim('switchyard-sample-app', repo.commitId)).toMatchObject({ status: 'ABORTED' });
  });

  it('deploys a push EventBridge never delivered, once, even when its event arrives after all', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const machine = await emulatedMachine(stack);
    Object.assign(process.env, {
      TABLE_NAME: stack.resources.DeploymentsTable,
      REPOSITORY_NAME: 'switchyard-sample-app',
      BRANCH_NAME: 'main',
    });
    const input = {
      stateMachineArn: machine,
      cleanUpFunctionArn: `arn:aws:lambda:us-east-1:${stack.accountId}:function:c`,
    };

    const first = await reconcileHandler(input);
    const again = await reconcileHandler(input);

    expect(first.head).toMatchObject({ commitId: repo.commitId, action: 'started' });
    expect(again.head).toMatchObject({ commitId: repo.commitId, action: 'already-started' });
    const { executions = [] } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(executions.map((e) => e.name)).toEqual([`reconcile-${repo.commitId}`]);
    // Step Functions runs what the reconciler started while the late push's own execution runs too.
    const started = await sfn.send(
      new DescribeExecutionCommand({ executionArn: executions[0]?.executionArn }),
    );
    const results = await Promise.all([
      runPipeline({
        input: JSON.parse(started.input ?? 'null'),
        stack,
        executionName: started.name,
        waitMs: () => 10,
      }),
      runPipeline({ input: pushOf(repo.commitId), stack, executionName: 'late-push', waitMs: () => 10 }),
    ]);

    expect(results.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(results.filter((r) => r.statesVisited.includes('AlreadyHandled'))).toHaveLength(1);
    const records = await deploymentRecords(stack);
    expect(records.map((r) => [r.commitId, r.status, r.trigger])).toEqual([
      [repo.commitId, 'SUCCEEDED', 'push'],
    ]);
    expect(await moto.listRecordedBuilds()).toHaveLength(1);
    expect((await reconcileHandler(input)).head).toMatchObject({ action: 'handled' });
  });
});
