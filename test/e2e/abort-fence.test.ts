/**
 * Abort at any stage, the fence and a failed rollback, through the real state machine against the emulator: an
 * abort given in any state that changes production or green rolls back before any traffic reaches green; an abort
 * before the build ends stops it and ends ABORTED without a rollback; a task that runs on after its deployment lost
 * the lock is refused its write; a rollback that fails for good keeps the lock (ROLLBACK_FAILED) until
 * `{"resumeRollback"}` finishes it.
 */
import { BatchGetBuildsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import {
  type LocalHandler,
  type LocalStack,
  type RunEvent,
  type RunResult,
  runPipeline,
  startPipeline,
} from '../../cli/local/state-machine';
import { wakeFlagged } from '../../cli/stack/wake';
import { handler as acquireLock } from '../../functions/acquire-lock/handler';
import { handler as allowTestTraffic } from '../../functions/allow-test-traffic/handler';
import { handler as checkGreen } from '../../functions/check-green/handler';
import { handler as createGreen } from '../../functions/create-green/handler';
import { handler as finalize } from '../../functions/finalize/handler';
import { type Deployment, recordKey } from '../../functions/lib/record/deployments';
import { handler as runHooks } from '../../functions/run-hooks/handler';
import { handler as shiftTraffic } from '../../functions/shift-traffic/handler';
import { handler as startBuild } from '../../functions/start-build/handler';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

type Stack = LocalStack & { target: BlueGreenFixture };

describe('abort, fence and a failed rollback, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));

  async function stackWith(parameters: Record<string, string> = {}): Promise<Stack> {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080 },
    });
    return stack as Stack;
  }

  const options = (stack: LocalStack, input: unknown, executionName: string, handlers = {}) => ({
    input,
    stack,
    executionName,
    waitMs: () => 10,
    handlers,
  });
  const run = (
    stack: LocalStack,
    input: unknown,
    name: string,
    handlers: Record<string, LocalHandler> = {},
  ): Promise<RunResult> => runPipeline(options(stack, input, name, handlers));

  /** Sets `abortRequested` on the deployment's record, as `switchyard abort` does. */
  const abort = (stack: LocalStack, deployment: Deployment) =>
    doc.send(
      new UpdateCommand({
        TableName: stack.resources.DeploymentsTable,
        Key: recordKey(deployment),
        UpdateExpression: 'SET abortRequested = :a',
        ExpressionAttributeValues: { ':a': { by: 'alice', reason: 'wrong commit' } },
      }),
    );

  /** A handler that first runs `before` with the event's deployment, then the real handler. */
  const first =
    (before: (deployment: Deployment) => Promise<unknown>, real: (event: never) => Promise<unknown>) =>
    async (event: unknown) => {
      await before((event as { deployment: Deployment }).deployment);
      return real(event as never);
    };

  const lockItem = async (stack: Stack) =>
    (
      await doc.send(
        new GetCommand({
          TableName: stack.resources.DeploymentsTable,
          Key: { pk: `LOCK#${stack.target.clusterName}/${stack.target.serviceName}`, sk: 'LOCK' },
        }),
      )
    ).Item;

  const blueOnly = (stack: Stack) => ({
    [stack.target.targetGroups.blue]: 100,
    [stack.target.targetGroups.green]: 0,
  });

  it.each([
    ['CreateGreenFunction', createGreen],
    ['CheckGreenFunction', checkGreen],
    ['AllowTestTrafficFunction', allowTestTraffic],
    ['ShiftTrafficFunction', shiftTraffic],
  ])('an abort given as %s starts rolls back before any traffic reaches green', async (id, real) => {
    const stack = await stackWith({ TrafficStrategy: 'AllAtOnce' });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, pushOf(repo.commitId), 'abort', {
      [id]: first((deployment) => abort(stack, deployment), real as never),
    });

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.error?.cause).toMatch(/aborted by alice: wrong commit/);
    expect(result.statesVisited).toContain('Rollback');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ROLLED_BACK', error: { name: 'DeploymentAbortedError' } });
    // No step was applied: production never carried any weight to green.
    expect(record?.steps).toBeUndefined();
    expect(await production(stack.target)).toEqual({
      weights: blueOnly(stack),
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
    expect(await lockItem(stack)).toBeUndefined();
  });

  it('an abort at Finalize (production already 100 % green) rolls back instead of deleting blue', async () => {
    const stack = await stackWith({ TrafficStrategy: 'AllAtOnce' });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, pushOf(repo.commitId), 'abort-finalize', {
      FinalizeFunction: first((deployment) => abort(stack, deployment), finalize as never),
    });

    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.statesVisited).not.toContain('RecordSuccess');
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ROLLED_BACK' });
    expect(await production(stack.target)).toEqual({
      weights: blueOnly(stack),
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
  });

  it('an abort before the build ends stops the build and ends ABORTED, without a rollback', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const before = await production(stack.target);
    // A build that runs until stopped; `switchyard abort` sets the flag and stops it (cli/stack/wake.ts), which
    // ends WaitForBuild's .sync wait; CheckBuild then ends the deployment ABORTED.
    await moto.scriptBuildOutcomes(stack.resources.BuildProject as string, [
      { inProgressPolls: 1_000_000, status: 'SUCCEEDED' },
    ]);
    const startThenAbort = async (event: unknown, context: unknown) => {
      const out = await startBuild(event as never, context as never);
      const { deployment } = event as { deployment: Deployment };
      await abort(stack, deployment);
      const tableName = stack.resources.DeploymentsTable as string;
      await wakeFlagged(
        { sfn: new SFNClient({}), dynamodb: new DynamoDBClient({}) },
        tableName,
        recordKey(deployment),
        'abortRequested',
        'alice',
      );
      return out;
    };

    const result = await run(stack, pushOf(repo.commitId), 'abort-build', {
      StartBuildFunction: startThenAbort,
    });

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.error?.cause).toMatch(/before its build ended; build .* was stopped/);
    expect(result.statesVisited).toContain('RecordAborted');
    expect(result.statesVisited).not.toContain('AcquireLock');
    expect(result.statesVisited).not.toContain('Rollback');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'DeploymentAbortedError' } });
    const buildId = String((record?.build as { id?: string } | undefined)?.id);
    const { builds } = await new CodeBuildClient({}).send(new BatchGetBuildsCommand({ ids: [buildId] }));
    expect(builds?.[0]?.buildStatus).toBe('STOPPED');
    // Nothing of production was touched: not even the listener's green entry was added.
    expect(await production(stack.target)).toEqual(before);
    expect(await lockItem(stack)).toBeUndefined();
  });

  it('an abort given after the build, before green exists, ends ABORTED without a rollback', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const before = await production(stack.target);

    const result = await run(stack, pushOf(repo.commitId), 'abort-hooks', {
      RunHooksFunction: first((deployment) => abort(stack, deployment), runHooks as never),
    });

    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.statesVisited).toContain('AcquireLock');
    expect(result.statesVisited).toContain('RecordAborted');
    expect(result.statesVisited).not.toContain('CreateGreen');
    expect(result.statesVisited).not.toContain('Rollback');
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ABORTED' });
    expect(await production(stack.target)).toEqual(before);
    expect(await lockItem(stack)).toBeUndefined();
  });

  it('an abort given while the deployment waits for the lock ends ABORTED and leaves the queue', async () => {
    const stack = await stackWith();
    const [repo] = await serve(sampleRepository());
    const before = await production(stack.target);
    const other = { deploymentId: 'other', commitId: 'f'.repeat(40), since: new Date().toISOString() };
    await doc.send(
      new PutCommand({
        TableName: stack.resources.DeploymentsTable,
        Item: { pk: `LOCK#${stack.target.clusterName}/${stack.target.serviceName}`, sk: 'LOCK', ...other },
      }),
    );
    let polls = 0;
    const result = await run(stack, pushOf(repo.commitId), 'abort-waiting', {
      AcquireLockFunction: first(async (deployment) => {
        polls += 1;
        if (polls === 3) await abort(stack, deployment);
      }, acquireLock as never),
    });

    expect(result.error?.name).toBe('DeploymentAbortedError');
    expect(result.statesVisited).toContain('WaitForLock');
    expect(result.statesVisited).toContain('RecordAborted');
    expect(result.statesVisited).not.toContain('BeforeInstallHooks');
    expect(polls).toBe(3);
    expect((await deploymentRecords(stack))[0]).toMatchObject({ status: 'ABORTED' });
    expect(await production(stack.target)).toEqual(before);
    // The holder keeps its lock, and the aborted deployment no longer waits in the queue.
    expect(await lockItem(stack)).toMatchObject({ deploymentId: 'other' });
    const queue = await doc.send(
      new QueryCommand({
        TableName: stack.resources.DeploymentsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `QUEUE#${stack.target.clusterName}/${stack.target.serviceName}` },
      }),
    );
    expect(queue.Items ?? []).toEqual([]);
  });

  it("refuses a traffic write once the deployment no longer holds the service's lock", async () => {
    const stack = await stackWith({ TrafficStrategy: 'AllAtOnce' });
    const [repo] = await serve(sampleRepository());
    // As when CleanUp released the lock of a stopped execution whose ShiftTraffic still runs.
    const dropLock = () =>
      doc.send(
        new DeleteCommand({
          TableName: stack.resources.DeploymentsTable,
          Key: { pk: `LOCK#${stack.target.clusterName}/${stack.target.serviceName}`, sk: 'LOCK' },
        }),
      );

    const result = await run(stack, pushOf(repo.commitId), 'fenced', {
      ShiftTrafficFunction: first(dropLock, shiftTraffic as never),
    });

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('DeploymentFencedError');
    expect(result.error?.cause).toMatch(/no longer holds the lock .*nobody holds it/);
    expect(result.statesVisited).toContain('Fenced');
    expect(result.statesVisited).not.toContain('Rollback');
    expect((await production(stack.target)).weights).toEqual(blueOnly(stack));
    expect((await deploymentRecords(stack))[0]?.steps).toBeUndefined();
  });

  it('a rollback that fails for good keeps the lock as ROLLBACK_FAILED until resumeRollback finishes it', async () => {
    const stack = await stackWith({ TrafficStrategy: 'AllAtOnce' });
    const [repo] = await serve(sampleRepository());
    const broken: LocalHandler = async () => {
      throw Object.assign(new Error('ModifyListener: AccessDenied'), { name: 'AccessDenied' });
    };

    const failed = await run(stack, pushOf(repo.commitId), 'rollback-fails', {
      CheckGreenFunction: first((deployment) => abort(stack, deployment), checkGreen as never),
      RollbackFunction: broken,
    });

    expect(failed.status).toBe('FAILED');
    expect(failed.error?.name).toBe('RollbackFailedError');
    expect(failed.statesVisited).toContain('RecordRollbackFailure');
    const [record] = await deploymentRecords(stack);
    const deploymentId = String(record?.deploymentId);
    expect(record).toMatchObject({
      status: 'ROLLBACK_FAILED',
      error: { name: 'DeploymentAbortedError' },
      rollbackError: { name: 'AccessDenied', message: 'ModifyListener: AccessDenied' },
    });
    // CleanUp ran on the failed execution too (as EventBridge would): the lock is still held, and marked.
    expect(await lockItem(stack)).toMatchObject({ deploymentId, status: 'ROLLBACK_FAILED' });
    expect(failed.logs.some((line) => line.includes(`rollback --resume ${deploymentId}`))).toBe(true);

    // The next deployment waits behind it and is told why and what to do.
    let waiting: unknown;
    const next = startPipeline({
      // The same commit again: its claim says ROLLBACK_FAILED, so only a forced run passes Prepare.
      ...options(stack, { commitId: repo.commitId, force: true }, 'next'),
      onEvent: (event: RunEvent) => {
        if (event.type === 'state-exited' && event.state === 'AcquireLock') waiting = event.output;
      },
    });
    await until(() => waiting !== undefined);
    next.abort();
    await next.result;
    expect(waiting).toMatchObject({
      lock: {
        status: 'WAITING',
        holder: { deploymentId, status: 'ROLLBACK_FAILED', fix: expect.stringContaining('--resume') },
      },
    });

    const resumed = await run(stack, { resumeRollback: { deploymentId } }, 'resume');

    expect(resumed.status).toBe('SUCCEEDED');
    expect(resumed.statesVisited).toEqual(
      expect.arrayContaining(['Prepare', 'Rollback', 'RecordRollback', 'RollbackResumed']),
    );
    expect(resumed.statesVisited).not.toContain('CreateGreen');
    const after = (await deploymentRecords(stack)).find((r) => r.deploymentId === deploymentId);
    expect(after).toMatchObject({ status: 'ROLLED_BACK', error: { name: 'DeploymentAbortedError' } });
    expect(await lockItem(stack)).toBeUndefined();
    expect(await production(stack.target)).toEqual({
      weights: blueOnly(stack),
      primary: stack.target.taskDefinitionArn,
      taskSets: 1,
    });
  });

  it('refuses to resume a deployment that does not keep the lock after a failed rollback', async () => {
    const stack = await stackWith();

    const result = await run(stack, { resumeRollback: { deploymentId: 'push-nothing' } }, 'resume-nothing');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toMatch(/the lock of service .* is free.*nothing to resume/);
    expect(result.statesVisited).not.toContain('Rollback');
  });
});

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 20));
}
