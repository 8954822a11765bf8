import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { contentHash, registerTaskDefinition, TAG_KEYS } from '../../../functions/lib/render/register';
import { renderTaskDefinition } from '../../../functions/lib/render/task-definition';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { useMoto } from '../../support/moto';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234';
const COMMIT = 'c'.repeat(40);
const SOURCE = { repository: 'switchyard-sample-app', branch: 'main', commit: COMMIT };

/** The task definition as the Render stage hands it over. */
function rendered(environment: Record<string, string> = {}): RegisterTaskDefinitionCommandInput {
  return renderTaskDefinition({
    taskdefText: JSON.stringify({
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: 'web',
          image: '<IMAGE1_NAME>',
          memory: 512,
          portMappings: [{ containerPort: 8080 }],
          environment: Object.entries(environment).map(([name, value]) => ({ name, value })),
        },
      ],
      tags: [{ key: 'team', value: 'payments' }],
    }),
    imageDetails: [
      { name: 'IMAGE1_NAME', file: 'imageDetail.json', text: JSON.stringify({ ImageURI: IMAGE }) },
    ],
  });
}

describe('registerTaskDefinition against moto ECS', () => {
  useMoto();
  const ecs = new ECSClient({});
  const light = jsonClient(ECS);
  const revisions = async () =>
    (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web' }))).taskDefinitionArns ?? [];
  const tagsOf = async (arn: string) =>
    Object.fromEntries(
      ((await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? []).map((tag) => [
        tag.key,
        tag.value,
      ]),
    );

  it('registers a revision tagged with repository, branch, commit and content hash, and the user tags', async () => {
    const input = rendered();
    const result = await registerTaskDefinition(light, input, SOURCE);

    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: false,
    });
    expect(await tagsOf(result.taskDefinitionArn)).toEqual({
      team: 'payments',
      [TAG_KEYS.repository]: 'switchyard-sample-app',
      [TAG_KEYS.branch]: 'main',
      [TAG_KEYS.commit]: COMMIT,
      [TAG_KEYS.contentSha256]: contentHash(input),
    });
    const described = await ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: result.taskDefinitionArn }),
    );
    expect(described.taskDefinition?.containerDefinitions?.[0]?.image).toBe(IMAGE);
  });

  it('reuses the revision on a re-run for the same commit with the same content', async () => {
    const first = await registerTaskDefinition(light, rendered(), SOURCE);
    const again = await registerTaskDefinition(light, rendered(), SOURCE);

    expect(again).toEqual({ taskDefinitionArn: first.taskDefinitionArn, reused: true });
    expect(await revisions()).toEqual([first.taskDefinitionArn]);
  });

  it('finds the commit revision below a newer one of the family', async () => {
    const first = await registerTaskDefinition(light, rendered(), SOURCE);
    await registerTaskDefinition(light, rendered(), { ...SOURCE, commit: 'd'.repeat(40) });

    expect(await registerTaskDefinition(light, rendered(), SOURCE)).toEqual({
      taskDefinitionArn: first.taskDefinitionArn,
      reused: true,
    });
  });

  it('registers a new revision when the content changed, or the commit is another one', async () => {
    const first = await registerTaskDefinition(light, rendered(), SOURCE);
    const changed = await registerTaskDefinition(light, rendered({ LOG_LEVEL: 'debug' }), SOURCE);
    const otherCommit = await registerTaskDefinition(light, rendered(), {
      ...SOURCE,
      commit: 'e'.repeat(40),
    });

    expect(changed.reused).toBe(false);
    expect(changed.taskDefinitionArn).toMatch(/:task-definition\/web:2$/);
    expect(otherCommit).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3',
      reused: false,
    });
    expect(await revisions()).toHaveLength(3);
    expect((await tagsOf(changed.taskDefinitionArn))[TAG_KEYS.contentSha256]).not.toBe(
      (await tagsOf(first.taskDefinitionArn))[TAG_KEYS.contentSha256],
    );
  });

  it('does not reuse a deregistered revision', async () => {
    const first = await registerTaskDefinition(light, rendered(), SOURCE);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: first.taskDefinitionArn }));

    const again = await registerTaskDefinition(light, rendered(), SOURCE);
    expect(again.reused).toBe(false);
    expect(again.taskDefinitionArn).not.toBe(first.taskDefinitionArn);
  });

  it('ignores key order: the same content written differently is reused', async () => {
    const input = rendered();
    const first = await registerTaskDefinition(light, input, SOURCE);
    const reordered = Object.fromEntries(
      Object.entries(input).reverse(),
    ) as RegisterTaskDefinitionCommandInput;

    expect(await registerTaskDefinition(light, reordered, SOURCE)).toEqual({
      taskDefinitionArn: first.taskDefinitionArn,
      reused: true,
    });
  });

  it('writes a branch name with characters ECS tags refuse as a valid tag value, and still reuses', async () => {
    const source = { ...SOURCE, branch: 'fix#12' };
    const first = await registerTaskDefinition(light, rendered(), source);

    expect((await tagsOf(first.taskDefinitionArn))[TAG_KEYS.branch]).toBe('fix_12');
    expect((await registerTaskDefinition(light, rendered(), source)).reused).toBe(true);
  });

  it('turns an ECS validation error into an InvalidInputError naming the family', async () => {
    const input = rendered();
    const { memory: _taskMemory, ...withoutTaskMemory } = input;
    const noMemory = {
      ...withoutTaskMemory,
      requiresCompatibilities: ['EC2' as const],
      containerDefinitions: [{ name: 'web', image: IMAGE }],
    };

    const error = await registerTaskDefinition(light, noMemory, SOURCE).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(
      /^ECS rejected task definition "web": .*memory.*: fix taskdef\.json$/,
    );
  });
});
