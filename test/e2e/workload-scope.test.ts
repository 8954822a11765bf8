/**
 * What a commit or a manual redeploy may deploy, through the real state machine against the emulator: a stack that
 * names its task definition family (TaskDefinitionFamily) refuses a commit whose taskdef.json has another family,
 * and a redeploy of another family's revision, before anything is registered or changed; a stack with
 * AllowedSubnetIds refuses an AppSpec naming another subnet in Render. With the parameters left empty the same
 * commit deploys (CodeDeploy's behaviour; test/e2e/deploy.test.ts).
 */
import {
  ECSClient,
  ListTaskDefinitionFamiliesCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalStack, type RunResult, runPipeline } from '../../cli/local/state-machine';
import { SAMPLE_APPSPEC, sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

/** The sample repository's taskdef.json names this family and this execution role. */
const SAMPLE_FAMILY = 'web';
const SAMPLE_EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/web-execution';

describe('what a commit may deploy, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  const ecs = new ECSClient({});

  async function stackWith(parameters: Record<string, string>) {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters: { TaskExecutionRoleArn: SAMPLE_EXECUTION_ROLE, ...parameters },
      target: { containerName: 'web', containerPort: 8080, serving: true },
    });
    return stack as LocalStack & { target: BlueGreenFixture };
  }

  const run = (stack: LocalStack, input: unknown, executionName: string): Promise<RunResult> =>
    runPipeline({ input, stack, executionName, waitMs: () => 10 });

  const families = async () =>
    ((await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families ?? []).sort();

  it("fails a commit whose taskdef.json is not of the stack's family, and registers nothing", async () => {
    // The fixture's service runs family "app"; the commit's taskdef.json says "web".
    const stack = await stackWith({ TaskDefinitionFamily: 'app' });
    const [repo] = await serve(sampleRepository());
    const before = await production(stack.target);

    const result = await run(stack, pushOf(repo.commitId), 'other-family');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toContain(
      'taskdef.json: \\"family\\" is \\"web\\", but this stack deploys task definition family \\"app\\" (stack parameter TaskDefinitionFamily)',
    );
    expect(result.statesVisited).toContain('RenderTaskDefinition');
    expect(result.statesVisited).not.toContain('CreateGreen');
    expect(await families()).toEqual(['app']);
    expect(await production(stack.target)).toEqual(before);
    expect(before.primary).toBe(stack.target.taskDefinitionArn);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'InvalidInputError' } });
  });

  it('fails a commit whose AppSpec names a subnet outside AllowedSubnetIds, and registers nothing', async () => {
    const stack = await stackWith({ AllowedSubnetIds: 'subnet-0aaa0aaa,subnet-0bbb0bbb' });
    const repository = sampleRepository();
    repository.files['appspec.yaml'] = {
      content: `${SAMPLE_APPSPEC}        NetworkConfiguration:\n          AwsvpcConfiguration:\n            Subnets: [subnet-0badbad0]\n`,
    };
    const [repo] = await serve(repository);

    const result = await run(stack, pushOf(repo.commitId), 'other-subnet');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toContain(
      'Subnets[0] is \\"subnet-0badbad0\\", which stack parameter AllowedSubnetIds does not allow (allowed: subnet-0aaa0aaa, subnet-0bbb0bbb)',
    );
    expect(await families()).toEqual(['app']);
  });

  it("deploys the stack's family, then refuses a manual redeploy of another family's revision", async () => {
    const stack = await stackWith({ TaskDefinitionFamily: SAMPLE_FAMILY });
    const [repo] = await serve(sampleRepository());
    expect((await run(stack, pushOf(repo.commitId), 'deploy')).status).toBe('SUCCEEDED');
    const live = await production(stack.target);
    const other = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'payments',
        executionRoleArn: SAMPLE_EXECUTION_ROLE,
        containerDefinitions: [{ name: 'web', image: 'r/payments:1', memory: 128 }],
      }),
    );
    const arn = other.taskDefinition?.taskDefinitionArn ?? '';

    const result = await run(stack, { taskDefinitionArn: arn }, 'redeploy-other');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(result.error?.cause).toContain(
      `taskDefinitionArn ${arn} is a revision of family \\"payments\\"; this stack deploys family \\"web\\"`,
    );
    expect(result.statesVisited).toEqual(['Prepare']);
    expect(await production(stack.target)).toEqual(live);
    expect((await deploymentRecords(stack)).map((r) => r.status)).toEqual(['SUCCEEDED']);
  });
});
