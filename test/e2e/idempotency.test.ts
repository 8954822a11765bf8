/**
 * Lost answers through the real state machine: a RegisterTaskDefinition that ECS applied but whose answer was lost
 * (the emulator replaces it with a 500) leaves one new revision, not one per attempt; and a RunHooks whose answer
 * was lost after its hooks ran is retried by the machine, every hook seeing the same idempotency key again.
 */
// First: the SDK's standard retry on, as in Lambda, so that a lost answer is retried by the SDK first.
import '../support/sdk-retries-on';
import { readFileSync } from 'node:fs';
import {
  CloudWatchLogsClient,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { createNodeFunction } from '../../cli/emulator/functions';
import { faultCounts, setFaults } from '../../cli/emulator/moto-faults';
import {
  type LocalHandler,
  type LocalStack,
  type RunResult,
  runPipeline,
} from '../../cli/local/state-machine';
import { hookExecutionId } from '../../functions/lib/deploy/hooks';
import { TransientAwsError } from '../../functions/lib/shared/errors';
import { handler as runHooks } from '../../functions/run-hooks/handler';
import { HELPER_PATH } from '../support/codedeploy-hooks';
import { SAMPLE_APPSPEC, sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, pushOf, servingStack } from '../support/pipeline';

const ecs = new ECSClient({});
const logs = new CloudWatchLogsClient({});

describe('lost answers, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stack() {
    await moto.setBuildExecutor();
    return servingStack();
  }

  const run = (
    s: LocalStack,
    commitId: string,
    executionName: string,
    handlers?: Record<string, LocalHandler>,
  ): Promise<RunResult> =>
    runPipeline({ input: pushOf(commitId), stack: s, executionName, waitMs: () => 10, handlers });

  const activeRevisions = async () =>
    (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', status: 'ACTIVE' })))
      .taskDefinitionArns ?? [];

  it('registers one revision when every RegisterTaskDefinition answer is lost after ECS applied it', async () => {
    const s = await stack();
    const [repo] = await serve(sampleRepository());
    const before = await activeRevisions();
    await setFaults(moto.endpoint, [
      { service: 'ecs', operations: ['RegisterTaskDefinition'], rate: 1, when: 'after', error: '500' },
    ]);

    const result = await run(s, repo.commitId, 'lost-register');

    const counts = await faultCounts(moto.endpoint);
    await setFaults(moto.endpoint, []);
    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    // ECS applied the one registration and its answer was lost; the SDK's retry found the revision instead.
    expect(counts.faults).toEqual([
      { service: 'ecs', operation: 'RegisterTaskDefinition', when: 'after', error: '500', count: 1 },
    ]);
    const added = (await activeRevisions()).filter((arn) => !before.includes(arn));
    const [record] = await deploymentRecords(s);
    expect(added).toEqual([record?.taskDefinitionArn]);
  });

  it('gives a hook the same key when the machine retries RunHooks after its answer was lost', async () => {
    await createNodeFunction(moto.endpoint, {
      name: 'CodeDeployHook_migrate',
      files: {
        'index.js':
          "const { idempotencyKey } = require('./switchyard-codedeploy');\n" +
          "exports.handler = async (event) => { console.log('KEY ' + idempotencyKey(event)); " +
          "return { status: 'Succeeded' }; };\n",
        'switchyard-codedeploy.js': readFileSync(HELPER_PATH, 'utf8'),
      },
    });
    const s = await stack();
    const app = sampleRepository();
    app.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}Hooks:\n  - AfterInstall: CodeDeployHook_migrate\n`,
    };
    const [repo] = await serve(app);
    let calls = 0;
    // AfterInstall's RunHooks runs its hooks, then its answer is lost once: the state's Retry runs it again.
    const loseFirstAnswer: LocalHandler = async (event, context) => {
      const out = await runHooks(event as never, context);
      if ((event as { hook: string }).hook !== 'AfterInstall') return out;
      calls += 1;
      if (calls === 1) throw new TransientAwsError('the answer of RunHooks was lost (injected)');
      return out;
    };

    const result = await run(s, repo.commitId, 'lost-hooks', { RunHooksFunction: loseFirstAnswer });

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(calls).toBe(2);
    const [record] = await deploymentRecords(s);
    const expected = hookExecutionId(String(record?.deploymentId), 'AfterInstall', 'CodeDeployHook_migrate');
    expect(await keysLogged('CodeDeployHook_migrate')).toEqual([expected, expected]);
  });
});

/** The keys a hook logged, in invocation order. */
async function keysLogged(name: string): Promise<string[]> {
  const group = `/aws/lambda/${name}`;
  const streams = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }))).logStreams ?? [];
  const lines: { at: number; key: string }[] = [];
  for (const stream of streams) {
    const out = await logs.send(
      new GetLogEventsCommand({ logGroupName: group, logStreamName: stream.logStreamName ?? '' }),
    );
    for (const event of out.events ?? []) {
      const at = event.message?.indexOf('KEY ') ?? -1;
      if (at >= 0) lines.push({ at: event.timestamp ?? 0, key: (event.message ?? '').slice(at + 4).trim() });
    }
  }
  return lines.sort((a, b) => a.at - b.at).map((line) => line.key);
}
