/**
 * Images that cannot change under a running service, through the real state machine: the build names the stack's
 * ECR repository with a tag, RenderTaskDefinition (PinImageDigests, "true" by default) registers the image by the
 * digest the emulator's ECR holds for that tag, and a tag that was never pushed fails the render before anything
 * is registered. The commit also carries a large file, which Render does not download (ranged reads).
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalStack, runPipeline } from '../../cli/local/state-machine';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, pushOf } from '../support/pipeline';

const ecr = new ECRClient({});
const ecs = new ECSClient({});
const REPOSITORY = 'switchyard-sample-app';
const OWN = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${REPOSITORY}`;

/** The sample repository whose build names the stack's ECR repository (the project's ECR_REPOSITORY_URI). */
function ecrRepository() {
  const app = sampleRepository();
  app.files['buildspec.yml'] = {
    content: `version: 0.2
phases:
  build:
    commands:
      - printf '{"ImageURI":"%s:%s"}' "$ECR_REPOSITORY_URI" "$SHORT_COMMIT" > imageDetail.json
artifacts:
  files:
    - imageDetail.json
`,
  };
  app.files['assets/video.bin'] = { content: randomBytes(4 * 1024 * 1024).toString('base64') };
  return app;
}

/** Pushes an image to the emulator's ECR under `tag`; returns the digest ECR answers. */
async function push(tag: string): Promise<string> {
  const layer = `sha256:${createHash('sha256').update(tag).digest('hex')}`;
  const out = await ecr.send(
    new PutImageCommand({
      repositoryName: REPOSITORY,
      imageTag: tag,
      imageManifest: JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: layer },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: layer }],
      }),
    }),
  );
  return out.image?.imageId?.imageDigest ?? '';
}

describe('image pinning, end to end', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);
  let stack: LocalStack & { target?: BlueGreenFixture };

  beforeEach(async () => {
    stack = await createLocalStack({ target: { containerName: 'web', containerPort: 8080 } });
    await moto.setBuildExecutor();
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: REPOSITORY, imageTagMutability: 'IMMUTABLE' }),
    );
  });

  const run = (input: unknown, executionName: string) =>
    runPipeline({ input, stack, executionName, waitMs: () => 20 });

  it('deploys the digest of the tag the build pushed, not the tag', async () => {
    const [repo] = await serve(ecrRepository());
    const digest = await push(repo.commitId.slice(0, 7));

    const result = await run(pushOf(repo.commitId), 'pinned');

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    const arn = (result.output as { render: { taskDefinitionArn: string } }).render.taskDefinitionArn;
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    const web = taskDefinition?.containerDefinitions?.[0];
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(web?.image).toBe(`${OWN}@${digest}`);
    // Text placeholders elsewhere keep what the build named (only the image field is pinned).
    expect(web?.environment).toEqual([{ name: 'IMAGE', value: `${OWN}:${repo.commitId.slice(0, 7)}` }]);
  });

  it('fails before registering anything when the tag was never pushed, naming the container and the fix', async () => {
    const [repo] = await serve(ecrRepository());

    const result = await run(pushOf(repo.commitId), 'unpushed');

    expect(result.status).toBe('FAILED');
    expect(result.error?.name).toBe('InvalidInputError');
    expect(JSON.parse(String(result.error?.cause)).errorMessage).toContain(
      `container "web" image ${OWN}:${repo.commitId.slice(0, 7)}: tag ${repo.commitId.slice(0, 7)} is not in ECR repository ${REPOSITORY}; push the image`,
    );
    expect(result.statesVisited).not.toContain('CreateGreen');
    const registered = await ecs
      .send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }))
      .catch((e: Error) => e);
    expect(registered).toBeInstanceOf(Error);
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'FAILED', error: { name: 'InvalidInputError' } });
  });
});
