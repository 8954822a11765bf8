/**
 * The reconciler's decisions: a branch head with no claim is started once under its fixed name with an input
 * Prepare reads as that push; a claimed head is left; an item RUNNING whose execution ended long enough ago gets
 * CleanUp again with the event EventBridge sent. Step Functions and CodeCommit answer through aws-sdk-client-mock
 * (the emulator runs no executions and the e2e test covers the rest).
 */
import { CodeCommitClient, GetBranchCommand } from '@aws-sdk/client-codecommit';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { type ExecutionStatusChange, parseStatusChange } from '../../../functions/lib/clean-up/status-change';
import { parseReconcileInput, reconcile } from '../../../functions/lib/reconcile/reconcile';
import type { CommitClaim, DeploymentsTable } from '../../../functions/lib/record/deployments';
import type { RunningItem } from '../../../functions/lib/record/running-claims';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { parseTrigger } from '../../../functions/lib/source/prepare';
import { loadEvent } from '../../support/events';

const sfnMock = mockClient(SFNClient);
const codecommitMock = mockClient(CodeCommitClient);
const input = loadEvent('reconcile');
const head = 'a'.repeat(40);
const now = new Date('2026-12-05T09:00:00Z');
const executionOf = (name: string) =>
  `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${name}`;

function deps(options: { claim?: CommitClaim; items?: RunningItem[] } = {}) {
  const redriven: ExecutionStatusChange[] = [];
  return {
    redriven,
    deps: {
      codecommit: new CodeCommitClient({}),
      sfn: new SFNClient({}),
      table: { getClaim: async () => options.claim } as unknown as DeploymentsTable,
      pipeline: { repository: 'switchyard-sample-app', branch: 'main' },
      runningItems: async () => options.items ?? [],
      redrive: async (event: ExecutionStatusChange) => {
        redriven.push(event);
      },
      now: () => now,
    },
  };
}

beforeEach(() => {
  sfnMock.reset();
  codecommitMock.reset();
  codecommitMock.on(GetBranchCommand).resolves({ branch: { branchName: 'main', commitId: head } });
  sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'none', $metadata: {} }));
});

describe('reconcile: the branch head', () => {
  it('starts a head nobody claimed, under reconcile-<commit>, with an input Prepare takes for its push', async () => {
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: executionOf(`reconcile-${head}`) });

    const out = await reconcile(input, deps().deps);

    expect(out.head).toEqual({
      commitId: head,
      action: 'started',
      executionArn: executionOf(`reconcile-${head}`),
    });
    const [call] = sfnMock.commandCalls(StartExecutionCommand);
    expect(call?.args[0].input.name).toBe(`reconcile-${head}`);
    const pushed = JSON.parse(call?.args[0].input.input ?? 'null');
    expect(parseTrigger(pushed, { repository: 'switchyard-sample-app', branch: 'main' })).toEqual({
      repository: 'switchyard-sample-app',
      branch: 'main',
      commitId: head,
      trigger: 'push',
      force: false,
    });
  });

  it('starts nothing when an earlier run started the head and its Prepare has not claimed it yet', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves({
      executionArn: executionOf(`reconcile-${head}`),
      status: 'RUNNING',
      startDate: now,
    } as never);

    const out = await reconcile(input, deps().deps);

    expect(out.head).toEqual({
      commitId: head,
      action: 'already-started',
      executionArn: executionOf(`reconcile-${head}`),
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('takes ExecutionAlreadyExists as started already: a second run starts nothing new', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));

    const out = await reconcile(input, deps().deps);

    expect(out.head).toMatchObject({
      action: 'already-started',
      executionArn: executionOf(`reconcile-${head}`),
    });
  });

  it('leaves a head somebody claimed (deploying, deployed or failed) alone', async () => {
    const claim: CommitClaim = { deploymentId: 'push-1', executionId: 'x', status: 'FAILED', startedAt: 'y' };

    const out = await reconcile(input, deps({ claim }).deps);

    expect(out.head).toEqual({
      commitId: head,
      action: 'handled',
      claim: { deploymentId: 'push-1', status: 'FAILED' },
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses another input before any call, naming the field', async () => {
    await expect(reconcile({ stateMachineArn: 'x' }, deps().deps)).rejects.toThrow(InvalidInputError);
    expect(() => parseReconcileInput({ ...input, cleanUpFunctionArn: 'CleanUp' })).toThrow(
      /"cleanUpFunctionArn"/,
    );
    expect(codecommitMock.calls()).toHaveLength(0);
  });
});

describe('reconcile: items left RUNNING', () => {
  const claimed = {
    claim: { deploymentId: 'd', executionId: 'e', status: 'SUCCEEDED', startedAt: 's' } as CommitClaim,
  };
  const item = (name: string): RunningItem => ({
    kind: 'claim',
    deploymentId: name,
    executionId: executionOf(name),
    commitId: 'b'.repeat(40),
    startedAt: '2026-12-05T07:00:00.000Z',
  });
  const described = (name: string, status: string, stopDate?: Date) => ({
    executionArn: executionOf(name),
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-pipeline',
    name,
    status,
    startDate: new Date('2026-12-05T07:00:00Z'),
    ...(stopDate ? { stopDate } : {}),
  });

  it('re-drives CleanUp for an execution stopped long ago, with the event EventBridge sent, once per execution', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves(described('lost', 'ABORTED', new Date('2026-12-05T08:00:00Z')) as never);
    const { deps: d, redriven } = deps({
      ...claimed,
      items: [item('lost'), { ...item('lost'), kind: 'record' }],
    });

    const out = await reconcile(input, d);

    expect(out.redriven).toEqual([
      { deploymentId: 'lost', executionArn: executionOf('lost'), status: 'ABORTED' },
    ]);
    expect(redriven.map(parseStatusChange)).toEqual([
      {
        name: 'lost',
        executionArn: executionOf('lost'),
        status: 'ABORTED',
        startDate: Date.parse('2026-12-05T07:00:00Z'),
        stopDate: Date.parse('2026-12-05T08:00:00Z'),
      },
    ]);
  });

  it('leaves running executions, recent stops (CleanUp may still be at work) and succeeded ones', async () => {
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionOf('running') })
      .resolves(described('running', 'RUNNING') as never)
      .on(DescribeExecutionCommand, { executionArn: executionOf('recent') })
      .resolves(described('recent', 'FAILED', new Date('2026-12-05T08:50:00Z')) as never)
      .on(DescribeExecutionCommand, { executionArn: executionOf('done') })
      .resolves(described('done', 'SUCCEEDED', new Date('2026-12-05T08:00:00Z')) as never);
    const { deps: d, redriven } = deps({
      ...claimed,
      items: [item('running'), item('recent'), item('done')],
    });

    const out = await reconcile(input, d);

    expect(redriven).toEqual([]);
    expect(out.left.map((l) => l.deploymentId)).toEqual(['running', 'recent', 'done']);
  });

  it('re-drives an execution Step Functions no longer knows as ABORTED, dated by the item', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const { deps: d, redriven } = deps({ ...claimed, items: [item('expired')] });

    await reconcile(input, d);

    expect(redriven.map(parseStatusChange)).toEqual([
      expect.objectContaining({ name: 'expired', status: 'ABORTED', stopDate: undefined }),
    ]);
  });
});
