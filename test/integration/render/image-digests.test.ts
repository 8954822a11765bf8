/**
 * Render pins the images of the stack's ECR repository to their digests against the emulator's ECR
 * (functions/lib/render/image-digests.ts): a pushed tag becomes `repository@sha256:…` in the registered revision,
 * a tag the repository lacks fails before anything is registered (naming the container, the image and the fix),
 * and other images are registered as they are.
 */
import { createHash } from 'node:crypto';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ECRClient,
  PutImageCommand,
} from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { pinImageDigests } from '../../../functions/lib/render/image-digests';
import { renderStage } from '../../../functions/lib/render/render-task-definition';
import { ECR, ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { s3Reader } from '../../../functions/lib/shared/s3-read';
import { readSettings } from '../../../functions/lib/shared/settings';
import { zipToBuffer } from '../../../functions/lib/zip/write';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('render-task-definition');
const s3 = new S3Client({});
const ecs = new ECSClient({});
const ecr = new ECRClient({});
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const REPOSITORY = 'switchyard-sample-app';
const OWN = `${REGISTRY}/${REPOSITORY}`;
const APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 80
`;

/** Pushes an image (a manifest with one layer) under `tag`; returns the digest ECR gives it. */
async function push(tag: string, layer: string): Promise<string> {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 2,
      digest: sha(`config ${layer}`),
    },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: sha(layer) }],
  });
  await ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: manifest, imageTag: tag }));
  const out = await ecr.send(
    new DescribeImagesCommand({ repositoryName: REPOSITORY, imageIds: [{ imageTag: tag }] }),
  );
  return out.imageDetails?.[0]?.imageDigest ?? '';
}

const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const taskdefOf = (images: Record<string, string>) => ({
  family: 'pinned',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: Object.entries(images).map(([name, image], index) => ({
    name,
    image,
    essential: index === 0,
    ...(index === 0 ? { portMappings: [{ containerPort: 80 }] } : {}),
  })),
});

describe('pinning images to their digests', () => {
  useMoto();

  beforeEach(async () => {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  });

  it('pins a tag of the stack repository, an untagged image as latest, and leaves every other image', async () => {
    const v1 = await push('v1', 'one');
    const latest = await push('latest', 'two');
    const taskdef = taskdefOf({
      web: `${OWN}:v1`,
      sidecar: OWN,
      again: `${OWN}:v1`,
      pinned: `${OWN}@${v1}`,
      other: `${REGISTRY}/another-repo:v1`,
      account: `210987654321.dkr.ecr.us-east-1.amazonaws.com/${REPOSITORY}:v1`,
      public: 'public.ecr.aws/nginx/nginx:1.27',
    });

    const pins = await pinImageDigests(taskdef, 'taskdef.json', { ecr: jsonClient(ECR), repositoryUri: OWN });

    expect(v1).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(latest).not.toBe(v1);
    expect(taskdef.containerDefinitions.map((c) => c.image)).toEqual([
      `${OWN}@${v1}`,
      `${OWN}@${latest}`,
      `${OWN}@${v1}`,
      `${OWN}@${v1}`,
      `${REGISTRY}/another-repo:v1`,
      `210987654321.dkr.ecr.us-east-1.amazonaws.com/${REPOSITORY}:v1`,
      'public.ecr.aws/nginx/nginx:1.27',
    ]);
    expect(pins.map((pin) => pin.left ?? 'pinned')).toEqual([
      'pinned',
      'pinned',
      'pinned',
      'already named by digest',
      `not the stack's ECR repository ${OWN} (EcrRepositoryName), the one Render may read: deployed by its tag`,
      `not the stack's ECR repository ${OWN} (EcrRepositoryName), the one Render may read: deployed by its tag`,
      'not a private ECR image: deployed by its tag, which its registry may move',
    ]);
  });

  it('names the container, the image and the fix when the tag or the repository is missing', async () => {
    await push('v1', 'one');

    const missing = pinImageDigests(taskdefOf({ web: `${OWN}:v2` }), 'taskdef.json', {
      ecr: jsonClient(ECR),
      repositoryUri: OWN,
    });
    await expect(missing).rejects.toBeInstanceOf(InvalidInputError);
    await expect(missing).rejects.toThrow(
      `taskdef.json: container "web" image ${OWN}:v2: tag v2 is not in ECR repository ${REPOSITORY}; push the ` +
        "image with that tag before the deployment (the buildspec's docker push), or name a tag that exists " +
        '(imageDetail.json, taskdef.json)',
    );
    const elsewhere = `${REGISTRY}/not-created`;
    await expect(
      pinImageDigests(taskdefOf({ web: `${elsewhere}:v1` }), 'taskdef.json', {
        ecr: jsonClient(ECR),
        repositoryUri: elsewhere,
      }),
    ).rejects.toThrow(
      /container "web" image .*not-created:v1: ECR repository not-created does not exist in account 123456789012 \(us-east-1\); create it, or set the stack parameter EcrRepositoryName/,
    );
  });

  describe('in RenderTaskDefinition', () => {
    let bucket: string;
    beforeEach(async () => {
      bucket = (await createLocalStack({})).resources.ArtifactBucket as string;
    });

    async function put(key: string, files: Record<string, string>) {
      const entries = Object.entries(files).map(([path, text]) => ({
        path,
        mode: 'file' as const,
        data: Buffer.from(text),
      }));
      const { zip } = await zipToBuffer(entries, { mtime: new Date('2026-12-01T00:00:00Z') });
      const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip }));
      return { bucket, key, versionId: out.VersionId ?? null };
    }

    async function render(tag: string, log: string[]) {
      return renderStage(
        {
          deployment,
          source: await put('source/app.zip', {
            'taskdef.json': JSON.stringify(taskdefOf({ web: '<IMAGE1_NAME>' })),
            'appspec.yaml': APPSPEC,
          }),
          buildResult: {
            artifact: await put('build/app/build.zip', {
              'imageDetail.json': JSON.stringify({ ImageURI: `${OWN}:${tag}` }),
            }),
          },
        },
        {
          s3: s3Reader(),
          ecs: jsonClient(ECS),
          settings: readSettings({}),
          log: (m) => log.push(m),
          pin: { ecr: jsonClient(ECR), repositoryUri: OWN },
        },
      );
    }

    it('registers the digest the build tag names, and logs it', async () => {
      const digest = await push('abc1234', 'built');
      const log: string[] = [];

      const rendered = await render('abc1234', log);

      const { taskDefinition } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: rendered.taskDefinitionArn }),
      );
      expect(taskDefinition?.containerDefinitions?.[0]?.image).toBe(`${OWN}@${digest}`);
      expect(log).toContain(`container web: ${OWN}:abc1234 pinned to ${OWN}@${digest}`);
    });

    it('registers nothing when the tag was never pushed', async () => {
      await expect(render('never-pushed', [])).rejects.toThrow(
        /taskdef\.json: container "web" image .*:never-pushed: tag never-pushed is not in ECR repository/,
      );
      const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'pinned' }));
      expect(listed.taskDefinitionArns).toEqual([]);
    });
  });
});
