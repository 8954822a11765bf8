/**
 * A local stack made twice in one emulator (`switchyard local --endpoint` on a kept one, a watch started on it):
 * the second time reads back what the first made instead of failing ("Table already exists", "A target group with
 * the specified name already exists"), and the build project is the second run's (another repository's).
 */
import { BatchGetProjectsCommand, CodeBuildClient } from '@aws-sdk/client-codebuild';
import { createLocalStack } from '../../../../cli/local/local-stack';
import { existingTarget } from '../../../../cli/local/reuse-target';
import { useMoto } from '../../../support/moto';

describe('createLocalStack in a reused emulator', () => {
  useMoto();
  const target = { containerName: 'web', containerPort: 8080, serving: true, ownNetwork: true };

  it('reuses the table, bucket and target of an earlier run, and replaces its build project', async () => {
    const first = await createLocalStack({ parameters: { RepositoryName: 'one' }, target });
    const second = await createLocalStack({ parameters: { RepositoryName: 'two' }, target });

    expect(second.resources).toEqual(first.resources);
    expect(second.target).toEqual(first.target);
    const { projects = [] } = await new CodeBuildClient({}).send(
      new BatchGetProjectsCommand({ names: [String(second.resources.BuildProject)] }),
    );
    expect(projects.map((project) => project.source?.location)).toEqual([
      expect.stringMatching(/\/v1\/repos\/two$/),
    ]);
  });

  it('finds no target in a fresh emulator, and refuses one made for another port', async () => {
    expect(
      await existingTarget({ name: 'app', region: 'us-east-1', containerName: 'web', containerPort: 8080 }),
    ).toBe(undefined);
    await createLocalStack({ target });
    await expect(
      existingTarget({ name: 'app', region: 'us-east-1', containerName: 'web', containerPort: 3000 }),
    ).rejects.toThrow(/serve port 8080, and this repository's AppSpec names port 3000: use a fresh emulator/);
  });
});
