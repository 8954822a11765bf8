/**
 * `switchyard deploy --follow` and `status --follow` on a run that ended before its record said how: subprocesses of
 * bin/switchyard.js against moto (which never runs an execution: the test stops it with StopExecution, as an operator
 * would with `aws stepfunctions stop-execution`, and writes what Prepare and CleanUp would write). The follow says
 * why the run ended, from DescribeExecution's error and cause (cli/emulator/sfn_stop_execution.py keeps them).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type ExecutionListItem,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { createLocalStack } from '../../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable } from '../../../../functions/lib/record/deployments';
import { createStubPipeline, runSwitchyard, startSwitchyard } from '../../../support/cli';
import { useMoto } from '../../../support/moto';

const REPOSITORY = 'app';
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const CAUSE = 'wrong commit, see #42';

describe('following a run that was stopped', () => {
  const moto = useMoto();
  const sfn = new SFNClient({});
  const dynamodb = new DynamoDBClient({});
  let stateMachineArn: string;
  let table: DeploymentsTable;
  let readTarget: string[];
  const env = () => ({ ...process.env, AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' });

  beforeEach(async () => {
    const stack = await createLocalStack({});
    const tableName = stack.resources.DeploymentsTable ?? '';
    table = new DeploymentsTable(dynamodb, tableName);
    stateMachineArn = await createStubPipeline(sfn);
    readTarget = ['--table', tableName, '--repository', REPOSITORY];
  });
  afterAll(() => {
    sfn.destroy();
    dynamodb.destroy();
  });

  const stop = (executionArn: string | undefined) =>
    sfn.send(new StopExecutionCommand({ executionArn, error: 'OperatorStop', cause: CAUSE }));

  async function waitForExecution(): Promise<ExecutionListItem> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const [execution] = (await sfn.send(new ListExecutionsCommand({ stateMachineArn }))).executions ?? [];
      if (execution) return execution;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error('the command started no execution within 20 s');
  }

  it('deploy --follow says the run was stopped, with the cause, when it ended before Prepare wrote a record', async () => {
    const following = runSwitchyard(
      ['deploy', '--follow', '--state-machine', stateMachineArn, ...readTarget],
      env(),
    );
    const execution = await waitForExecution();

    await stop(execution.executionArn);

    const out = await following;
    expect(out.stderr).toBe('');
    expect(out.status).toBe(1);
    expect(out.stdout.split('\n').at(-2)).toMatch(
      /^\[\d\d:\d\d\] execution ended without a deployment record: stopped: wrong commit, see #42$/,
    );
  }, 30_000);

  it('status --follow says why the run ended while its record is RUNNING, then the end CleanUp records', async () => {
    const { executionArn, startDate } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: 'push-1', input: '{}' }),
    );
    const deployment: Deployment = {
      id: 'push-1',
      repository: REPOSITORY,
      branch: 'main',
      commitId: COMMIT,
      trigger: 'push',
      force: false,
      executionId: executionArn ?? '',
      startedAt: (startDate ?? new Date()).toISOString(),
    };
    await table.createRecord(deployment, {});
    const following = startSwitchyard(['status', '--follow', ...readTarget], env());
    await following.waitFor(/deployment push-1: commit 0123456 on main \(push\)/);

    await stop(executionArn);
    await following.waitFor(/execution stopped: wrong commit, see #42: waiting for CleanUp/);
    // What CleanUp writes when it closes the record of a stopped execution (functions/lib/clean-up/clean-up.ts).
    await table.finish(deployment, 'ABORTED', {
      error: { name: 'ExecutionAborted', message: 'the execution was aborted' },
    });

    const out = await following.ended;
    expect(out.status).toBe(1);
    const lines = out.stdout
      .replace(/^\[\d\d:\d\d\] /gm, '')
      .trim()
      .split('\n');
    expect(lines).toEqual([
      'deployment push-1: commit 0123456 on main (push)',
      'execution stopped: wrong commit, see #42: waiting for CleanUp to close the deployment record',
      expect.stringMatching(/^ABORTED in \S+: ExecutionAborted: the execution was aborted$/),
    ]);
  }, 30_000);
});
