/**
 * The reconciler's decisions: a branch head with no claim is started once under its fixed name with an input
 * Prepare reads as that push; a claimed head is left; an item RUNNING whose execution ended long enough ago gets
 * CleanUp again with the event EventBridge sent. Step Functions and CodeCommit are JSON calls (shared/aws-json.ts)
 * answered by fakes of those services (the emulator runs no executions and the e2e test covers the rest).
 */
import { type ExecutionStatusChange, parseStatusChange } from '../../../functions/lib/clean-up/status-change';
import { parseReconcileInput, reconcile } from '../../../functions/lib/reconcile/reconcile';
import type { CommitClaim, DeploymentsTable } from '../../../functions/lib/record/deployments';
import type { RunningItem } from '../../../functions/lib/record/running-claims';
import { CODECOMMIT, STEP_FUNCTIONS } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { parseTrigger } from '../../../functions/lib/source/prepare';
import { loadEvent } from '../../support/events';
import { type FakeJsonService, fakeJsonService, serviceError } from '../../support/fake-json-service';

let sfn: FakeJsonService;
let codecommit: FakeJsonService;
/** DescribeExecution's answer for each execution ARN; an ARN not listed does not exist. */
let executions: Record<string, unknown>;
/** The JSON protocol's dates: epoch seconds. */
const seconds = (iso: string) => Date.parse(iso) / 1000;
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
      codecommit: codecommit.client,
      sfn: sfn.client,
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
  executions = {};
  codecommit = fakeJsonService(CODECOMMIT, {
    GetBranch: () => ({ branch: { branchName: 'main', commitId: head } }),
  });
  sfn = fakeJsonService(STEP_FUNCTIONS, {
    DescribeExecution: ({ executionArn }) => {
      const execution = executions[String(executionArn)];
      if (!execution) throw serviceError('ExecutionDoesNotExist', 400, 'none');
      return execution;
    },
  });
});

describe('reconcile: the branch head', () => {
  it('starts a head nobody claimed, under reconcile-<commit>, with an input Prepare takes for its push', async () => {
    sfn.handlers.StartExecution = () => ({ executionArn: executionOf(`reconcile-${head}`) });

    const out = await reconcile(input, deps().deps);

    expect(out.head).toEqual({
      commitId: head,
      action: 'started',
      executionArn: executionOf(`reconcile-${head}`),
    });
    const [call] = sfn.inputs('StartExecution');
    expect(call?.name).toBe(`reconcile-${head}`);
    expect(codecommit.inputs('GetBranch')).toEqual([
      { repositoryName: 'switchyard-sample-app', branchName: 'main' },
    ]);
    const pushed = JSON.parse(String(call?.input ?? 'null'));
    expect(parseTrigger(pushed, { repository: 'switchyard-sample-app', branch: 'main' })).toEqual({
      repository: 'switchyard-sample-app',
      branch: 'main',
      commitId: head,
      trigger: 'push',
      force: false,
    });
  });

  it('starts nothing when an earlier run started the head and its Prepare has not claimed it yet', async () => {
    executions[executionOf(`reconcile-${head}`)] = {
      executionArn: executionOf(`reconcile-${head}`),
      status: 'RUNNING',
      startDate: now.getTime() / 1000,
    };

    const out = await reconcile(input, deps().deps);

    expect(out.head).toEqual({
      commitId: head,
      action: 'already-started',
      executionArn: executionOf(`reconcile-${head}`),
    });
    expect(sfn.inputs('StartExecution')).toHaveLength(0);
  });

  it('takes ExecutionAlreadyExists as started already: a second run starts nothing new', async () => {
    sfn.handlers.StartExecution = () => {
      throw serviceError('ExecutionAlreadyExists', 400, 'exists');
    };

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
    expect(sfn.inputs('StartExecution')).toHaveLength(0);
  });

  it('refuses another input before any call, naming the field', async () => {
    await expect(reconcile({ stateMachineArn: 'x' }, deps().deps)).rejects.toThrow(InvalidInputError);
    expect(() => parseReconcileInput({ ...input, cleanUpFunctionArn: 'CleanUp' })).toThrow(
      /"cleanUpFunctionArn"/,
    );
    expect(codecommit.calls).toHaveLength(0);
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
  /** DescribeExecution's JSON answer for `name`, its dates in epoch seconds as Step Functions sends them. */
  const describe = (name: string, status: string, stopDate?: string) => {
    executions[executionOf(name)] = {
      executionArn: executionOf(name),
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-pipeline',
      name,
      status,
      startDate: seconds('2026-12-05T07:00:00Z'),
      ...(stopDate ? { stopDate: seconds(stopDate) } : {}),
    };
  };

  it('re-drives CleanUp for an execution stopped long ago, with the event EventBridge sent, once per execution', async () => {
    describe('lost', 'ABORTED', '2026-12-05T08:00:00Z');
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
    describe('running', 'RUNNING');
    describe('recent', 'FAILED', '2026-12-05T08:50:00Z');
    describe('done', 'SUCCEEDED', '2026-12-05T08:00:00Z');
    const { deps: d, redriven } = deps({
      ...claimed,
      items: [item('running'), item('recent'), item('done')],
    });

    const out = await reconcile(input, d);

    expect(redriven).toEqual([]);
    expect(out.left.map((l) => l.deploymentId)).toEqual(['running', 'recent', 'done']);
  });

  it('re-drives an execution Step Functions no longer knows as ABORTED, dated by the item', async () => {
    // No DescribeExecution answer for it: ExecutionDoesNotExist.
    const { deps: d, redriven } = deps({ ...claimed, items: [item('expired')] });

    await reconcile(input, d);

    expect(redriven.map(parseStatusChange)).toEqual([
      expect.objectContaining({ name: 'expired', status: 'ABORTED', stopDate: undefined }),
    ]);
    expect(sfn.inputs('DescribeExecution')).toEqual([{ executionArn: executionOf('expired') }]);
  });

  it('passes a Step Functions error other than ExecutionDoesNotExist on as a transient error to retry', async () => {
    sfn.handlers.DescribeExecution = () => {
      throw serviceError('ThrottlingException', 400, 'Rate exceeded');
    };
    const { deps: d } = deps({ ...claimed, items: [item('busy')] });

    await expect(reconcile(input, d)).rejects.toMatchObject({ name: 'TransientAwsError' });
  });
});
