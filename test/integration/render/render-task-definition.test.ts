/**
 * RenderTaskDefinition with the repository settings, against the emulator's S3 and ECS: the task definition
 * template and the AppSpec at any path, from the commit or from the build output, and the image placeholders the
 * stack binds; a file that is not where the settings say fails before anything is registered.
 */
import { DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { renderStage } from '../../../functions/lib/render/render-task-definition';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { BuildArtifactError, SourceError } from '../../../functions/lib/shared/errors';
import { s3Reader } from '../../../functions/lib/shared/s3-read';
import { readSettings } from '../../../functions/lib/shared/settings';
import { zipToBuffer } from '../../../functions/lib/zip/write';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('render-task-definition');
const s3 = new S3Client({});
const ecs = new ECSClient({});

const taskdef = (image: string) =>
  JSON.stringify({
    family: 'render-settings',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'web', image, portMappings: [{ containerPort: 80 }] }],
  });
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

describe('RenderTaskDefinition with the repository settings', () => {
  useMoto();
  let bucket: string;

  beforeEach(async () => {
    bucket = (await createLocalStack({})).resources.ArtifactBucket as string;
  });

  async function put(key: string, files: Record<string, string>) {
    const { zip } = await zipToBuffer(
      Object.entries(files).map(([path, text]) => ({ path, mode: 'file' as const, data: Buffer.from(text) })),
      { mtime: new Date('2026-12-01T00:00:00Z') },
    );
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: zip }));
    return { bucket, key, versionId: out.VersionId ?? null };
  }

  async function render(
    source: Record<string, string>,
    build: Record<string, string>,
    env: NodeJS.ProcessEnv,
  ) {
    return renderStage(
      {
        deployment,
        source: await put('source/app.zip', source),
        buildResult: { artifact: await put('build/app/build.zip', build) },
      },
      { s3: s3Reader(), ecs: jsonClient(ECS), settings: readSettings(env) },
    );
  }

  const revisions = async () =>
    (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'render-settings' })))
      .taskDefinitionArns ?? [];
  const imageOf = async (arn: string) =>
    (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition
      ?.containerDefinitions?.[0]?.image;

  it('reads the files at the default paths of the commit and fills <IMAGE1_NAME>', async () => {
    const out = await render(
      { 'taskdef.json': taskdef('<IMAGE1_NAME>'), 'appspec.yaml': APPSPEC },
      { 'imageDetail.json': '{"ImageURI": "r/web:1"}' },
      {},
    );
    expect(await imageOf(out.taskDefinitionArn)).toBe('r/web:1');
    expect(out.appspec).toMatchObject({ containerName: 'web', containerPort: 80 });
  });

  it('reads them from a folder of the build output and fills the placeholder the stack names', async () => {
    const out = await render(
      { 'README.md': 'nothing to deploy at the root' },
      {
        'deploy/taskdef.json': taskdef('<IMAGE_NAME>'),
        'deploy/appspec.yml': APPSPEC,
        'images/web.json': '{"ImageURI": "r/web:2"}',
      },
      {
        TASK_DEFINITION_TEMPLATE_PATH: 'deploy/taskdef.json',
        TASK_DEFINITION_TEMPLATE_ARTIFACT: 'BUILD',
        APPSPEC_TEMPLATE_PATH: 'deploy/appspec.yml',
        APPSPEC_TEMPLATE_ARTIFACT: 'BUILD',
        IMAGE_PLACEHOLDERS: 'IMAGE_NAME=images/web.json',
      },
    );
    expect(await imageOf(out.taskDefinitionArn)).toBe('r/web:2');
  });

  it('deploys a template that names its image in full when the build leaves no image file', async () => {
    const out = await render(
      { 'appspec.yaml': APPSPEC },
      { 'taskdef.json': taskdef('123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234') },
      { TASK_DEFINITION_TEMPLATE_ARTIFACT: 'BUILD' },
    );
    expect(await imageOf(out.taskDefinitionArn)).toBe(
      '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234',
    );
  });

  it('names the path and the settings when the task definition is not in the commit, and registers nothing', async () => {
    const failure = render(
      { 'taskdef-template.json': taskdef('<IMAGE1_NAME>'), 'appspec.yaml': APPSPEC },
      { 'imageDetail.json': '{"ImageURI": "r/web:1"}' },
      {},
    );
    await expect(failure).rejects.toThrow(SourceError);
    await expect(failure).rejects.toThrow(
      'taskdef.json is not in the commit (SOURCE): set stack parameter TaskDefinitionTemplatePath to where the file is, ' +
        'or TaskDefinitionTemplateArtifact to BUILD if the build writes it',
    );
    expect(await revisions()).toEqual([]);
  });

  it('names the path and the settings when the AppSpec is not in the build output', async () => {
    await expect(
      render(
        { 'taskdef.json': taskdef('<IMAGE1_NAME>') },
        { 'imageDetail.json': '{"ImageURI": "r/web:1"}' },
        { APPSPEC_TEMPLATE_PATH: 'deploy/appspec.yml', APPSPEC_TEMPLATE_ARTIFACT: 'BUILD' },
      ),
    ).rejects.toThrow(
      new BuildArtifactError(
        'deploy/appspec.yml is not in the build output artifact (BUILD): set stack parameter AppSpecTemplatePath to ' +
          'where the file is, or AppSpecTemplateArtifact to SOURCE if it is committed',
      ),
    );
    expect(await revisions()).toEqual([]);
  });
});
