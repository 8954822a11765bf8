/**
 * The stack commands as a user runs them against a deployed stack: subprocesses of bin/switchyard.js with
 * AWS_ENDPOINT_URL pointing at moto, which holds the deployments table, a state machine (moto never runs its
 * executions: they stay RUNNING) and, for --stack, a CloudFormation stack with the outputs of template.yaml.
 */
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { createLocalStack } from '../../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable } from '../../../../functions/lib/record/deployments';
import { createStubPipeline, runSwitchyard } from '../../../support/cli';
import { useMoto } from '../../../support/moto';

const REPOSITORY = 'app';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const OLD_COMMIT = 'fedcba9876543210fedcba9876543210fedcba98';
const TASKDEF = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';
const TG_A = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-a/1111';
const TG_B = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-b/2222';

describe('switchyard deploy | status | history | promote | abort | rollback', () => {
  const moto = useMoto();
  const sfn = new SFNClient({});
  const dynamodb = new DynamoDBClient({});
  let stateMachineArn: string;
  let tableName: string;
  let table: DeploymentsTable;
  let explicit: string[];
  let readTarget: string[];

  /** Runs `switchyard <args>` against this worker's moto, as a user would with AWS_ENDPOINT_URL set. */
  const run = (args: string[]) =>
    runSwitchyard(args, {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      USER: 'alice',
    });

  const deployment = (id: string, startedAt: string, fields: Partial<Deployment> = {}): Deployment => ({
    id,
    repository: REPOSITORY,
    branch: 'main',
    commitId: COMMIT,
    trigger: 'push',
    force: false,
    executionId: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`,
    startedAt,
    ...fields,
  });

  async function executions(): Promise<ExecutionListItem[]> {
    return (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
  }

  async function input(executionArn: string | undefined): Promise<unknown> {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    return JSON.parse(out.input ?? 'null');
  }

  beforeEach(async () => {
    const stack = await createLocalStack({});
    tableName = stack.resources.DeploymentsTable ?? '';
    table = new DeploymentsTable(dynamodb, tableName);
    stateMachineArn = await createStubPipeline(sfn);
    readTarget = ['--table', tableName, '--repository', REPOSITORY];
    explicit = ['--state-machine', stateMachineArn, ...readTarget];
  });
  afterAll(() => {
    sfn.destroy();
    dynamodb.destroy();
  });

  /** A finished push, a finished rollback and the running manual deployment, oldest first. */
  async function writeHistory(): Promise<{ old: Deployment; rolledBack: Deployment; current: Deployment }> {
    const old = deployment('push-1', '2026-11-26T10:00:00.000Z', { commitId: OLD_COMMIT });
    await table.createRecord(old, {});
    await table.finish(old, 'SUCCEEDED', { taskDefinitionArn: TASKDEF, build: { id: 'build:1' } });
    // finish() stamps the wall clock; fixed ends give fixed durations.
    await table.update(old, { finishedAt: '2026-11-26T10:04:10.000Z' });
    const rolledBack = deployment('push-2', '2026-11-26T11:00:00.000Z');
    await table.createRecord(rolledBack, {});
    await table.finish(rolledBack, 'ROLLED_BACK', {
      taskDefinitionArn: TASKDEF.replace(':7', ':8'),
      error: { name: 'AlarmError', message: 'CloudWatch alarm "5xx" in ALARM' },
    });
    await table.update(rolledBack, { finishedAt: '2026-11-26T11:01:05.000Z' });
    const current = deployment('manual-3', new Date(Date.now() - 95_000).toISOString(), {
      trigger: 'manual',
    });
    await table.createRecord(current, {});
    await table.update(current, {
      green: {
        greenTaskSetArn: 'arn:aws:ecs:us-east-1:123456789012:task-set/c/web/ts-1',
        greenTargetGroupArn: TG_B,
        liveTargetGroupArn: TG_A,
      },
      steps: [
        {
          step: 0,
          greenPercent: 10,
          observedWeights: { [TG_B]: 10, [TG_A]: 90 },
          at: new Date().toISOString(),
        },
      ],
    });
    return { old, rolledBack, current };
  }

  describe('deploy', () => {
    it('starts an execution named manual-<time>-<random> with the manual input and prints its ARN', async () => {
      const out = await run(['deploy', '--commit', COMMIT, '--branch', 'release', '--force', ...explicit]);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const [execution, ...others] = await executions();
      expect(others).toEqual([]);
      expect(execution?.name).toMatch(/^manual-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      expect(out.stdout).toBe(`${execution?.executionArn}\n`);
      expect(await input(execution?.executionArn)).toEqual({
        commitId: COMMIT,
        branch: 'release',
        force: true,
      });
    });

    it('deploys the head of the stack branch with an empty input, needing only the state machine', async () => {
      const out = await run(['deploy', '--state-machine', stateMachineArn]);
      expect(out.status).toBe(0);
      const [execution] = await executions();
      expect(await input(execution?.executionArn)).toEqual({});
    });

    it('refuses a short commit id before starting anything', async () => {
      const out = await run(['deploy', '--commit', 'abc1234', ...explicit]);
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(
        'switchyard deploy: --commit abc1234: give the full 40-character commit id (git rev-parse abc1234), or leave ' +
          'it out to deploy the head of the branch\n',
      );
      expect(await executions()).toEqual([]);
    });

    it('says which options are missing without --stack', async () => {
      const out = await run(['deploy', '--follow', '--state-machine', stateMachineArn]);
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(
        'switchyard deploy: --stack NAME or --state-machine ARN --table NAME --repository NAME is required ' +
          '(missing: --table, --repository)\n',
      );
    });

    it('--follow prints the stages and exits 0 once the record ends SUCCEEDED, although moto keeps the execution RUNNING', async () => {
      const following = run(['deploy', '--follow', ...explicit]);
      const execution = await waitForExecution();
      const started = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      // What Prepare, CreateGreen, ShiftTraffic and RecordResult would write for this execution.
      const ours = deployment(execution.name ?? '', (started.startDate ?? new Date()).toISOString(), {
        trigger: 'manual',
        executionId: execution.executionArn ?? '',
      });
      await table.createRecord(ours, {});
      await table.update(ours, {
        green: {
          greenTaskSetArn: 'arn:aws:ecs:us-east-1:123456789012:task-set/c/web/ts-9',
          greenTargetGroupArn: TG_B,
          liveTargetGroupArn: TG_A,
        },
        steps: [
          {
            step: 0,
            greenPercent: 100,
            observedWeights: { [TG_B]: 100, [TG_A]: 0 },
            at: new Date().toISOString(),
          },
        ],
      });
      await table.finish(ours, 'SUCCEEDED', { taskDefinitionArn: TASKDEF, build: { id: 'build:9' } });
      const out = await following;
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const lines = out.stdout.split('\n');
      expect(lines[0]).toBe(execution.executionArn);
      const text = out.stdout.replace(/^\[\d\d:\d\d\] /gm, '');
      expect(text).toContain(
        `\ndeployment ${execution.name}: commit ${COMMIT.slice(0, 7)} on main (manual)\n`,
      );
      expect(text).toContain('\nbuild build:9\n');
      expect(text).toContain('\ntask definition web:7\n');
      expect(text).toContain('\ngreen task set ts-9 behind app-b\n');
      expect(text).toContain('\nstep 1: 100 % to green (observed: app-b (green) 100 %, app-a (live) 0 %)\n');
      expect(text).toMatch(/\nSUCCEEDED in \d+s\n$/);
    });

    /** The execution the running command started, once it shows up in ListExecutions. */
    async function waitForExecution(): Promise<ExecutionListItem> {
      for (let attempt = 0; attempt < 200; attempt += 1) {
        const [execution] = await executions();
        if (execution) return execution;
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      throw new Error('the command started no execution within 20 s');
    }

    it('rollback --follow exits 1 when the record ends ROLLED_BACK', async () => {
      const following = run(['rollback', '--follow', ...explicit]);
      const execution = await waitForExecution();
      expect(execution.name).toMatch(/^rollback-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      const started = await sfn.send(new DescribeExecutionCommand({ executionArn: execution.executionArn }));
      const ours = deployment(execution.name ?? '', (started.startDate ?? new Date()).toISOString(), {
        trigger: 'rollback',
      });
      await table.createRecord(ours, { taskDefinitionArn: TASKDEF });
      await table.finish(ours, 'ROLLED_BACK', {
        rollback: { summary: 'production back on app-a' },
        error: { name: 'GreenUnhealthyError', message: 'green never became healthy' },
      });
      const out = await following;
      expect(out.status).toBe(1);
      expect(out.stdout).toContain('rolled back: production back on app-a\n');
      expect(out.stdout).toMatch(/ROLLED_BACK in \d+s: GreenUnhealthyError: green never became healthy\n$/);
    });
  });

  describe('rollback', () => {
    it('starts {"rollback": true} without --to, and {"taskDefinitionArn"} with it', async () => {
      const previous = await run(['rollback', '--state-machine', stateMachineArn]);
      expect(previous.status).toBe(0);
      const given = await run(['rollback', '--to', TASKDEF, '--state-machine', stateMachineArn]);
      expect(given.status).toBe(0);
      const started = await executions();
      const inputs = await Promise.all(
        started.map(async (execution) => ({
          name: execution.name,
          arn: execution.executionArn,
          input: await input(execution.executionArn),
        })),
      );
      expect(inputs).toHaveLength(2);
      const byInput = (wanted: unknown) =>
        inputs.find((item) => JSON.stringify(item.input) === JSON.stringify(wanted));
      expect(byInput({ rollback: true })?.arn).toBe(previous.stdout.trim());
      expect(byInput({ taskDefinitionArn: TASKDEF })?.arn).toBe(given.stdout.trim());
      for (const item of inputs) expect(item.name).toMatch(/^rollback-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    });

    it('refuses a --to that is not a task definition ARN', async () => {
      const out = await run(['rollback', '--to', 'web:7', '--state-machine', stateMachineArn]);
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(
        'switchyard rollback: --to web:7: expected a task definition ARN, ' +
          'arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>\n',
      );
      expect(await executions()).toEqual([]);
    });
  });

  describe('status', () => {
    it('says no deployment is running, with exit status 0', async () => {
      const out = await run(['status', ...readTarget]);
      expect(out.status).toBe(0);
      expect(out.stdout).toBe(`no deployment running (repository ${REPOSITORY})\n`);
      expect((await run(['status', '--json', ...readTarget])).stdout).toBe('null\n');
    });

    it('shows the running deployment with its last traffic step', async () => {
      const { current } = await writeHistory();
      const out = await run(['status', ...readTarget]);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      expect(out.stdout).toContain('deployment  manual-3 (RUNNING)\n');
      expect(out.stdout).toContain(`commit      ${COMMIT.slice(0, 7)} on main, manual\n`);
      expect(out.stdout).toMatch(/started {5}\S+ \(1m \d\ds ago\)\n/);
      expect(out.stdout).toMatch(
        /traffic {5}step 1: 10 % to green \(observed: app-b \(green\) 10 %, app-a \(live\) 90 %\) at \S+\n/,
      );
      expect(out.stdout).toContain('build       -\n');
      expect(out.stdout).toContain(`execution   ${current.executionId}\n`);
      const json = JSON.parse((await run(['status', '--json', ...readTarget])).stdout);
      expect(json).toMatchObject({
        deploymentId: 'manual-3',
        status: 'RUNNING',
        steps: [{ greenPercent: 10 }],
      });
    });
  });

  describe('history', () => {
    it('lists the deployments newest first with their durations, revisions and errors', async () => {
      await writeHistory();
      const out = await run(['history', ...readTarget]);
      expect(out.stderr).toBe('');
      expect(out.status).toBe(0);
      const [header, ...rows] = out.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^STARTED\s+ID\s+COMMIT\s+TRIGGER\s+STATUS\s+DURATION\s+TASK DEF\s+ERROR$/);
      expect(rows.map((row) => row.split(/\s{2,}/))).toEqual([
        [
          expect.any(String),
          'manual-3',
          COMMIT.slice(0, 7),
          'manual',
          'RUNNING',
          expect.stringMatching(/^1m \d\ds$/),
          '-',
          '-',
        ],
        [
          '2026-11-26T11:00:00Z',
          'push-2',
          COMMIT.slice(0, 7),
          'push',
          'ROLLED_BACK',
          '1m 05s',
          'web:8',
          'AlarmError',
        ],
        [
          '2026-11-26T10:00:00Z',
          'push-1',
          OLD_COMMIT.slice(0, 7),
          'push',
          'SUCCEEDED',
          '4m 10s',
          'web:7',
          '-',
        ],
      ]);
      const limited = await run(['history', '--limit', '2', ...readTarget]);
      expect(limited.stdout.trimEnd().split('\n')).toHaveLength(3);
      const json = JSON.parse((await run(['history', '--json', '--limit', '1', ...readTarget])).stdout);
      expect(json).toEqual([expect.objectContaining({ deploymentId: 'manual-3' })]);
    });

    it('says so when there are no deployments', async () => {
      const out = await run(['history', ...readTarget]);
      expect(out.status).toBe(0);
      expect(out.stdout).toBe(`no deployments yet (repository ${REPOSITORY})\n`);
    });
  });

  describe('promote and abort', () => {
    it('set their flag on the running record only, with who and when', async () => {
      const { old, rolledBack, current } = await writeHistory();
      const promoted = await run(['promote', ...readTarget]);
      expect(promoted.stderr).toBe('');
      expect(promoted.status).toBe(0);
      expect(promoted.stdout).toContain(
        `promote requested for deployment manual-3 (commit ${COMMIT.slice(0, 7)}, step 1`,
      );
      const aborted = await run(['abort', '--reason', 'error rate', ...readTarget]);
      expect(aborted.status).toBe(0);
      expect(aborted.stdout).toContain('abort requested for deployment manual-3');
      const record = await table.getRecord(current);
      expect(record?.promoteRequested).toEqual({ by: 'alice', at: expect.stringMatching(/^\d{4}-.*Z$/) });
      expect(record?.abortRequested).toEqual({ by: 'alice', at: expect.any(String), reason: 'error rate' });
      for (const ended of [old, rolledBack]) {
        const other = await table.getRecord(ended);
        expect(other?.promoteRequested).toBeUndefined();
        expect(other?.abortRequested).toBeUndefined();
      }
    });

    it('fail clearly when no deployment is running, and write nothing', async () => {
      const { current } = await writeHistory();
      await table.finish(current, 'SUCCEEDED', {});
      for (const command of ['promote', 'abort']) {
        const out = await run([command, ...readTarget]);
        expect(out.status).toBe(1);
        expect(out.stderr).toBe(
          `switchyard ${command}: no deployment is running for repository app (the newest, manual-3, is SUCCEEDED); ` +
            `nothing to ${command}\n`,
        );
      }
      const record = await table.getRecord(current);
      expect(record?.promoteRequested).toBeUndefined();
      expect(record?.abortRequested).toBeUndefined();
    });

    it('refuse a promote before the traffic shift starts, whose first step would drop it', async () => {
      const early = deployment('push-9', new Date().toISOString());
      await table.createRecord(early, {});
      const out = await run(['promote', ...readTarget]);
      expect(out.status).toBe(1);
      expect(out.stderr).toBe(
        'switchyard promote: deployment push-9 has not started shifting traffic, and its first step drops a promote ' +
          'given earlier: run `switchyard promote` again once `switchyard status` shows a pause\n',
      );
      expect((await table.getRecord(early))?.promoteRequested).toBeUndefined();
    });

    it('target --deployment ID among several running ones', async () => {
      const { current } = await writeHistory();
      const queued = deployment('push-4', new Date().toISOString());
      await table.createRecord(queued, {});
      const out = await run(['abort', '--deployment', 'manual-3', ...readTarget]);
      expect(out.status).toBe(0);
      expect((await table.getRecord(current))?.abortRequested).toMatchObject({ by: 'alice' });
      expect((await table.getRecord(queued))?.abortRequested).toBeUndefined();
      const missing = await run(['abort', '--deployment', 'push-1', ...readTarget]);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(
        'switchyard abort: deployment push-1 is not running for repository app (running: push-4, manual-3); nothing to abort\n',
      );
    });
  });

  describe('--stack', () => {
    it('reads the state machine, table and repository from the stack outputs and parameters', async () => {
      const cloudformation = new CloudFormationClient({});
      try {
        await cloudformation.send(
          new CreateStackCommand({
            StackName: 'switchyard-prod',
            // The outputs and parameter of template.yaml that the commands read; moto cannot deploy the real one.
            TemplateBody: JSON.stringify({
              Parameters: {
                RepositoryName: { Type: 'String' },
                BranchName: { Type: 'String', Default: 'main' },
              },
              Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
              Outputs: {
                StateMachineArn: { Value: stateMachineArn },
                DeploymentsTableName: { Value: tableName },
              },
            }),
            Parameters: [{ ParameterKey: 'RepositoryName', ParameterValue: REPOSITORY }],
          }),
        );
      } finally {
        cloudformation.destroy();
      }
      await writeHistory();
      const history = await run(['history', '--stack', 'switchyard-prod']);
      expect(history.stderr).toBe('');
      expect(history.stdout).toContain('manual-3');
      const started = await run(['deploy', '--stack', 'switchyard-prod', '--branch', 'main']);
      expect(started.status).toBe(0);
      const [execution] = await executions();
      expect(started.stdout).toBe(`${execution?.executionArn}\n`);

      const missing = await run(['status', '--stack', 'switchyard-dev']);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toBe(
        'switchyard status: stack "switchyard-dev" does not exist in us-east-1: check --stack (the name given to sam ' +
          'deploy) and AWS_REGION\n',
      );
    });
  });
});
