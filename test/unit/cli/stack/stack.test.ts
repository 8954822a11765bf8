import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { historyTable, parseLimit } from '../../../../cli/commands/history';
import { describeRunning } from '../../../../cli/commands/status';
import { executionName } from '../../../../cli/stack/actions';
import {
  formatDuration,
  formatTable,
  pauseFromHistory,
  shortCommit,
  taskDefinitionRevision,
} from '../../../../cli/stack/describe';
import {
  executionEnding,
  type FollowSnapshot,
  followDeployment,
  stageLines,
} from '../../../../cli/stack/follow';
import { type DeploymentRecord, resolveTarget } from '../../../../cli/stack/target';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:switchyard-pipeline';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-a/1111';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-b/2222';
const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const T0 = new Date('2026-11-26T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000).toISOString();

const running: DeploymentRecord = {
  pk: 'DEPLOYMENT#app',
  sk: `${T0.toISOString()}#manual-1`,
  deploymentId: 'manual-1',
  commitId: COMMIT,
  branch: 'main',
  trigger: 'manual',
  status: 'RUNNING',
  startedAt: T0.toISOString(),
  executionId: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:manual-1`,
};
const green = {
  greenTaskSetArn: 'arn:aws:ecs:us-east-1:123456789012:task-set/c/web/ecs-svc/ts-green',
  greenTargetGroupArn: TG_B,
  liveTargetGroupArn: TG_A,
};
const step = (index: number, greenPercent: number, seconds: number) => ({
  step: index,
  greenPercent,
  observedWeights: { [TG_B]: greenPercent, [TG_A]: 100 - greenPercent },
  at: at(seconds),
});

describe('formatting', () => {
  it.each([
    [0, '0s'],
    [42_900, '42s'],
    [185_000, '3m 05s'],
    [7_620_000, '2h 07m'],
    [273_600_000, '3d 04h'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('shortens commits and task definition ARNs', () => {
    expect(shortCommit(COMMIT)).toBe('0123456');
    expect(shortCommit(undefined)).toBe('-');
    expect(taskDefinitionRevision(TASKDEF)).toBe('web:7');
    expect(taskDefinitionRevision(undefined)).toBe('-');
  });

  it('aligns a table on its widest cells', () => {
    expect(
      formatTable(
        ['A', 'LONG HEADER'],
        [
          ['wide cell', 'x'],
          ['y', ''],
        ],
      ),
    ).toBe('A          LONG HEADER\nwide cell  x\ny\n');
  });

  it('names executions manual-<UTC time>-<6 hex>, within the Step Functions name rules', () => {
    const name = executionName('manual', new Date('2026-11-26T12:03:04.567Z'));
    expect(name).toMatch(/^manual-20261126T120304Z-[0-9a-f]{6}$/);
    expect(name.length).toBeLessThanOrEqual(80);
  });

  it('reads --limit as a whole number from 1 to 1000, 10 by default', () => {
    expect(parseLimit(undefined)).toBe(10);
    expect(parseLimit('25')).toBe(25);
    for (const bad of ['0', '-3', '2.5', 'ten', '1001']) {
      expect(() => parseLimit(bad)).toThrow(
        /--limit .*: expected a whole number of deployments from 1 to 1000/,
      );
    }
  });

  it('makes a history row per record: duration, family:revision, error name', () => {
    const table = historyTable(
      [
        { ...running, steps: [step(0, 10, 60)] },
        {
          ...running,
          deploymentId: 'push-0',
          trigger: 'push',
          status: 'ROLLED_BACK',
          finishedAt: at(-3000),
          startedAt: at(-3185),
          taskDefinitionArn: TASKDEF,
          error: { name: 'AlarmError', message: 'alarm' },
        },
      ],
      new Date(T0.getTime() + 42_000),
    );
    expect(table.split('\n')).toEqual([
      'STARTED               ID        COMMIT   TRIGGER  STATUS       DURATION  TASK DEF  ERROR',
      '2026-11-26T12:00:00Z  manual-1  0123456  manual   RUNNING      42s       -         -',
      '2026-11-26T11:06:55Z  push-0    0123456  push     ROLLED_BACK  3m 05s    web:7     AlarmError',
      '',
    ]);
  });

  it('shows a running deployment with its last step, pause and flags', () => {
    const text = describeRunning(
      {
        ...running,
        green,
        steps: [step(0, 10, 60), step(1, 50, 120)],
        taskDefinitionArn: TASKDEF,
        abortRequested: { by: 'alice', at: at(130), reason: 'errors' },
      },
      { now: new Date(T0.getTime() + 150_000), pause: 'paused until `switchyard promote`' },
    );
    expect(text).toContain('deployment  manual-1 (RUNNING)\n');
    expect(text).toContain('commit      0123456 on main, manual\n');
    expect(text).toContain('(2m 30s ago)');
    expect(text).toContain(
      'traffic     step 2: 50 % to green (observed: app-b (green) 50 %, app-a (live) 50 %) at 2026-11-26T12:02:00.000Z',
    );
    expect(text).toContain('pause       paused until `switchyard promote`\n');
    expect(text).toContain('build       -\n');
    expect(text).toContain(`task def    ${TASKDEF}\n`);
    expect(text).toContain('abort       requested by alice at 2026-11-26T12:02:10.000Z: errors\n');
  });
});

describe('resolveTarget', () => {
  const cloudformation = mockClient(CloudFormationClient);
  const client = new CloudFormationClient({ region: 'eu-west-1' });
  beforeEach(() => cloudformation.reset());

  const stack = (outputs: Record<string, string>, parameters: Record<string, string>) => ({
    Stacks: [
      {
        StackName: 'prod',
        StackStatus: 'CREATE_COMPLETE' as const,
        CreationTime: T0,
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
      },
    ],
  });

  it('reads the outputs StateMachineArn, DeploymentsTableName and the parameter RepositoryName of --stack', async () => {
    cloudformation
      .on(DescribeStacksCommand, { StackName: 'prod' })
      .resolves(
        stack(
          { StateMachineArn: STATE_MACHINE, DeploymentsTableName: 'prod-deployments', BuildProjectName: 'b' },
          { RepositoryName: 'app', BranchName: 'main' },
        ),
      );
    await expect(
      resolveTarget({ stack: 'prod' }, ['stateMachineArn', 'tableName', 'repository'], client),
    ).resolves.toEqual({ stateMachineArn: STATE_MACHINE, tableName: 'prod-deployments', repository: 'app' });
  });

  it('lets explicit options override the stack', async () => {
    cloudformation
      .on(DescribeStacksCommand)
      .resolves(
        stack(
          { StateMachineArn: STATE_MACHINE, DeploymentsTableName: 'prod-deployments' },
          { RepositoryName: 'app' },
        ),
      );
    await expect(
      resolveTarget({ stack: 'prod', table: 'copy' }, ['tableName', 'repository'], client),
    ).resolves.toMatchObject({ tableName: 'copy', repository: 'app' });
  });

  it('needs no stack when the explicit options give what the command needs', async () => {
    await expect(
      resolveTarget({ 'state-machine': STATE_MACHINE }, ['stateMachineArn'], client),
    ).resolves.toEqual({
      stateMachineArn: STATE_MACHINE,
    });
    expect(cloudformation.calls()).toHaveLength(0);
  });

  it('says which options are missing without --stack', async () => {
    const attempt = resolveTarget({ table: 't' }, ['tableName', 'repository'], client);
    await expect(attempt).rejects.toThrow(InvalidInputError);
    await expect(attempt).rejects.toThrow(
      '--stack NAME or --table NAME --repository NAME is required (missing: --repository)',
    );
  });

  it('says how to set a region when there is none', async () => {
    const noRegion = new CloudFormationClient({
      region: async () => {
        throw new Error('Region is missing');
      },
    });
    await expect(resolveTarget({ table: 't', repository: 'r' }, ['tableName'], noRegion)).rejects.toThrow(
      'no AWS region: set AWS_REGION (or region in the config of AWS_PROFILE)',
    );
  });

  it('says when the stack does not exist, with the region', async () => {
    cloudformation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError' }));
    await expect(resolveTarget({ stack: 'nope' }, ['tableName'], client)).rejects.toThrow(
      'stack "nope" does not exist in eu-west-1: check --stack (the name given to sam deploy) and AWS_REGION',
    );
  });

  it('says when the stack lacks an output, listing the ones it has', async () => {
    cloudformation.on(DescribeStacksCommand).resolves(stack({ Other: 'x' }, { RepositoryName: 'app' }));
    await expect(resolveTarget({ stack: 'prod' }, ['stateMachineArn', 'repository'], client)).rejects.toThrow(
      'stack "prod" (CREATE_COMPLETE) has no output StateMachineArn: is it a Switchyard stack (template.yaml), fully ' +
        'created? Outputs: Other. Or give --state-machine ARN',
    );
  });

  it('passes other CloudFormation errors through', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(new Error('AccessDenied: not allowed'));
    await expect(resolveTarget({ stack: 'prod' }, ['tableName'], client)).rejects.toThrow('AccessDenied');
  });
});

describe('pauseFromHistory', () => {
  const entered = (name: string): HistoryEvent => ({
    id: 0,
    timestamp: T0,
    type: 'TaskStateEntered',
    stateEnteredEventDetails: { name },
  });
  const exited = (name: string, output: unknown): HistoryEvent => ({
    id: 0,
    timestamp: T0,
    type: 'TaskStateExited',
    stateExitedEventDetails: { name, output: JSON.stringify(output) },
  });

  it.each<[string, HistoryEvent[], string | undefined]>([
    [
      'a manual pause',
      [
        entered('WaitInPause'),
        exited('CheckPause', { pauseCheck: { pause: { manual: true, since: at(60) } } }),
      ],
      'paused until `switchyard promote` (since 2026-11-26T12:01:00.000Z)',
    ],
    [
      'a timed pause',
      [entered('WaitInPause'), exited('CheckPause', { pauseCheck: { pause: { remainingSeconds: 150 } } })],
      'paused: about 2m 30s left before the next step (`switchyard promote` ends it now)',
    ],
    [
      'the bake, right after the last step',
      [
        entered('AfterAllowTrafficHooks'),
        exited('ShiftTraffic', { traffic: { pause: { remainingSeconds: 300 } } }),
      ],
      'baking: about 5m 00s left before the blue task set is removed (`switchyard promote` ends it now)',
    ],
    ['another state', [entered('CheckGreen')], 'not paused (state CheckGreen)'],
    ['no state events (an emulator)', [], undefined],
  ])('describes %s', (_, events, text) => {
    expect(pauseFromHistory(events)).toBe(text);
  });
});

describe('followDeployment', () => {
  /** Runs the loop over a fixed sequence of looks, on a clock that moves 2 s per sleep. */
  async function follow(looks: FollowSnapshot[], graceLooks?: number) {
    let clock = T0.getTime();
    let index = 0;
    const lines: string[] = [];
    const sleeps: number[] = [];
    const code = await followDeployment(T0, {
      look: async () => {
        const snapshot = looks[Math.min(index, looks.length - 1)];
        index += 1;
        if (!snapshot) throw new Error('no looks');
        return snapshot;
      },
      sleep: async (ms) => {
        sleeps.push(ms);
        clock += ms;
      },
      now: () => new Date(clock),
      write: (line) => lines.push(line),
      graceLooks,
    });
    return { code, lines: lines.join(''), looks: index, sleeps };
  }
  const runningExecution = { status: 'RUNNING' as const };

  it('prints one line per stage and traffic step, and exits 0 when the record ends SUCCEEDED', async () => {
    const withGreen = { ...running, taskDefinitionArn: TASKDEF, green };
    const result = await follow([
      { execution: runningExecution },
      { execution: runningExecution, record: running },
      { execution: runningExecution, record: running },
      { execution: runningExecution, record: withGreen },
      { execution: runningExecution, record: { ...withGreen, steps: [step(0, 10, 8)] } },
      {
        execution: runningExecution,
        record: {
          ...withGreen,
          steps: [step(0, 10, 8), step(1, 100, 10)],
          promoteRequested: { by: 'bob', at: at(9) },
        },
      },
      {
        execution: runningExecution,
        record: {
          ...withGreen,
          steps: [step(0, 10, 8), step(1, 100, 10)],
          finalizedAt: at(13),
          build: { id: 'switchyard-build:1' },
          status: 'SUCCEEDED',
          finishedAt: at(14),
        },
      },
    ]);
    expect(result.code).toBe(0);
    expect(result.lines).toBe(
      [
        '[00:00] execution RUNNING: waiting for Prepare to write the deployment record',
        '[00:02] deployment manual-1: commit 0123456 on main (manual)',
        '[00:06] task definition web:7',
        '[00:06] green task set ts-green behind app-b',
        '[00:08] step 1: 10 % to green (observed: app-b (green) 10 %, app-a (live) 90 %)',
        '[00:10] step 2: 100 % to green (observed: app-b (green) 100 %, app-a (live) 0 %)',
        '[00:10] promote requested by bob at 2026-11-26T12:00:09.000Z',
        '[00:12] build switchyard-build:1',
        '[00:12] finalized: green is the primary task set',
        '[00:12] SUCCEEDED in 14s',
        '',
      ].join('\n'),
    );
    expect(result.sleeps).toEqual([2000, 2000, 2000, 2000, 2000, 2000]);
  });

  it('takes the record as authoritative: it ends when the record ends, although the execution still runs', async () => {
    const result = await follow([
      {
        execution: runningExecution,
        record: {
          ...running,
          status: 'ROLLED_BACK',
          finishedAt: at(95),
          rollback: { summary: 'production back on app-a' },
          error: { name: 'DeploymentAbortedError', message: 'deployment manual-1 was aborted by alice' },
        },
      },
    ]);
    expect(result.code).toBe(1);
    expect(result.looks).toBe(1);
    expect(result.lines).toBe(
      '[00:00] deployment manual-1: commit 0123456 on main (manual)\n' +
        '[00:00] rolled back: production back on app-a\n' +
        '[00:00] ROLLED_BACK in 1m 35s: DeploymentAbortedError: deployment manual-1 was aborted by alice\n',
    );
  });

  it.each(['SUPERSEDED', 'FAILED', 'ABORTED'])('exits 1 when the record ends %s', async (status) => {
    const result = await follow([{ execution: runningExecution, record: { ...running, status } }]);
    expect(result.code).toBe(1);
  });

  it('ends with the reason when the execution ends without a record (a duplicate commit)', async () => {
    const result = await follow([
      { execution: runningExecution },
      {
        execution: {
          status: 'SUCCEEDED',
          output: JSON.stringify({
            action: 'skip',
            reason: `commit ${COMMIT} was deployed by deployment push-0`,
          }),
        },
      },
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toBe(
      '[00:00] execution RUNNING: waiting for Prepare to write the deployment record\n' +
        `[00:02] execution ended without a deployment record: commit ${COMMIT} was deployed by deployment push-0\n`,
    );
  });

  it('ends with the error when the execution fails before Prepare writes a record', async () => {
    const result = await follow([
      { execution: { status: 'FAILED', error: 'InvalidInputError', cause: 'branch "nope" does not exist' } },
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toBe(
      '[00:00] execution ended without a deployment record: failed: InvalidInputError: branch "nope" does not exist\n',
    );
  });

  it('waits for CleanUp to close the record after the execution ends, then gives up', async () => {
    const result = await follow(
      [
        { execution: runningExecution, record: running },
        { execution: { status: 'TIMED_OUT' }, record: running },
      ],
      3,
    );
    expect(result.code).toBe(1);
    expect(result.looks).toBe(5);
    expect(result.lines).toBe(
      '[00:00] deployment manual-1: commit 0123456 on main (manual)\n' +
        '[00:02] execution timed out: waiting for CleanUp to close the deployment record\n' +
        '[00:08] execution timed out, but the record is still RUNNING: CleanUp has not closed it (see ' +
        '`switchyard status`)\n',
    );
  });

  it('takes CleanUp closing the record within the grace looks', async () => {
    const result = await follow([
      { execution: { status: 'ABORTED' }, record: running },
      {
        execution: { status: 'ABORTED' },
        record: { ...running, status: 'ABORTED', finishedAt: at(3), error: { name: 'ExecutionAborted' } },
      },
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toContain('[00:02] ABORTED in 3s: ExecutionAborted\n');
  });

  it('says why the execution ended before its record did, once, then the end CleanUp recorded', async () => {
    const stopped = { status: 'ABORTED' as const, error: 'OperatorStop', cause: 'wrong commit' };
    const result = await follow([
      { execution: runningExecution, record: running },
      { execution: stopped, record: running },
      { execution: stopped, record: running },
      {
        execution: stopped,
        record: { ...running, status: 'ABORTED', finishedAt: at(5), error: { name: 'ExecutionAborted' } },
      },
    ]);
    expect(result.code).toBe(1);
    expect(result.lines).toBe(
      '[00:00] deployment manual-1: commit 0123456 on main (manual)\n' +
        '[00:02] execution stopped: wrong commit: waiting for CleanUp to close the deployment record\n' +
        '[00:06] ABORTED in 5s: ExecutionAborted\n',
    );
  });

  it('still says why when CleanUp closed the record before the follow saw the execution end', async () => {
    const result = await follow([
      { execution: runningExecution, record: running },
      {
        execution: { status: 'FAILED', error: 'States.Runtime', cause: 'An error occurred while executing' },
        record: { ...running, status: 'FAILED', finishedAt: at(2), error: { name: 'ExecutionFailed' } },
      },
    ]);
    expect(result.lines).toBe(
      '[00:00] deployment manual-1: commit 0123456 on main (manual)\n' +
        '[00:02] execution failed: States.Runtime: An error occurred while executing\n' +
        '[00:02] FAILED in 2s: ExecutionFailed\n',
    );
  });

  it('says nothing of the execution when its own states recorded the end', async () => {
    const result = await follow([
      {
        execution: { status: 'FAILED', error: 'AlarmError', cause: 'web-5xx' },
        record: { ...running, status: 'ROLLED_BACK', finishedAt: at(2), error: { name: 'AlarmError' } },
      },
    ]);
    expect(result.lines).not.toMatch(/execution/);
  });

  it.each([
    [{ status: 'ABORTED', error: 'E', cause: 'why' }, 'stopped: why'],
    [{ status: 'ABORTED', error: 'E' }, 'stopped: E'],
    [{ status: 'ABORTED' }, 'stopped'],
    [{ status: 'TIMED_OUT' }, 'timed out'],
    [{ status: 'FAILED', error: 'E', cause: 'why' }, 'failed: E: why'],
    [{ status: 'SUCCEEDED', output: '{"reason":"a duplicate"}' }, 'a duplicate'],
  ] as const)('words the end of %j as "%s"', (execution, words) => {
    expect(executionEnding(execution)).toBe(words);
  });
});

describe('stageLines', () => {
  it('prints nothing when nothing changed', () => {
    expect(stageLines(running, { ...running })).toEqual([]);
  });

  it('prints a flag again when a new request replaces it', () => {
    const first = { ...running, abortRequested: { by: 'a', at: at(1) } };
    expect(stageLines(first, { ...first, abortRequested: { by: 'b', at: at(2), reason: 'why' } })).toEqual([
      'abort requested by b at 2026-11-26T12:00:02.000Z: why',
    ]);
  });
});
