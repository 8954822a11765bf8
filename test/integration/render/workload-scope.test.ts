/**
 * RenderTaskDefinition held to what the stack allows, against the emulator's S3 and ECS: a taskdef.json of another
 * family or an AppSpec naming a network outside the allow-lists fails before anything is registered; what the
 * stack allows (or anything, with the parameters left empty) is registered.
 */
import { ECSClient, ListTaskDefinitionFamiliesCommand } from '@aws-sdk/client-ecs';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLocalStack } from '../../../cli/local/local-stack';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { renderStage } from '../../../functions/lib/render/render-task-definition';
import { OPEN_SCOPE, type WorkloadScope } from '../../../functions/lib/render/workload-scope';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { s3Reader } from '../../../functions/lib/shared/s3-read';
import { readSettings } from '../../../functions/lib/shared/settings';
import { zipToBuffer } from '../../../functions/lib/zip/write';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('render-task-definition');
const s3 = new S3Client({});
const ecs = new ECSClient({});
const EXECUTION = 'arn:aws:iam::123456789012:role/web-execution';

const taskdef = (family: string) =>
  JSON.stringify({
    family,
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    executionRoleArn: EXECUTION,
    containerDefinitions: [{ name: 'web', image: 'r/web:1', portMappings: [{ containerPort: 80 }] }],
  });
const appspec = (subnet: string, publicIp = 'DISABLED') => `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo: {ContainerName: web, ContainerPort: 80}
        NetworkConfiguration:
          AwsvpcConfiguration:
            Subnets: [${subnet}]
            SecurityGroups: [sg-0ccc]
            AssignPublicIp: ${publicIp}
`;
const STACK: WorkloadScope = {
  family: 'web',
  subnets: ['subnet-0aaa'],
  securityGroups: ['sg-0ccc'],
  allowPublicIp: false,
  taskRoleArn: '',
  executionRoleArn: EXECUTION,
  place: { region: 'us-east-1', account: '123456789012' },
};

const families = async () => (await ecs.send(new ListTaskDefinitionFamiliesCommand({}))).families ?? [];

describe('RenderTaskDefinition within the stack scope', () => {
  useMoto();
  let bucket: string;

  beforeEach(async () => {
    bucket = (await createLocalStack({})).resources.ArtifactBucket as string;
  });

  async function render(files: Record<string, string>, scope: WorkloadScope) {
    const { zip } = await zipToBuffer(
      Object.entries(files).map(([path, text]) => ({ path, mode: 'file' as const, data: Buffer.from(text) })),
      { mtime: new Date('2026-12-01T00:00:00Z') },
    );
    const out = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'build/app/build.zip', Body: zip }),
    );
    const artifact = { bucket, key: 'build/app/build.zip', versionId: out.VersionId ?? null };
    return renderStage(
      { deployment, source: artifact, buildResult: { artifact } },
      {
        s3: s3Reader(),
        ecs: jsonClient(ECS),
        settings: readSettings({
          TASK_DEFINITION_TEMPLATE_ARTIFACT: 'BUILD',
          APPSPEC_TEMPLATE_ARTIFACT: 'BUILD',
        }),
        scope,
      },
    );
  }

  it('registers the stack family with a network inside the allow-lists', async () => {
    const out = await render(
      { 'taskdef.json': taskdef('web'), 'appspec.yaml': appspec('subnet-0aaa') },
      STACK,
    );
    expect(out.taskDefinitionArn).toMatch(/:task-definition\/web:1$/);
    expect(out.appspec.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual(['subnet-0aaa']);
  });

  it('registers any family and network when the stack leaves the parameters empty (as CodeDeploy)', async () => {
    const out = await render(
      { 'taskdef.json': taskdef('payments'), 'appspec.yaml': appspec('subnet-0bad', 'ENABLED') },
      OPEN_SCOPE,
    );
    expect(out.taskDefinitionArn).toMatch(/:task-definition\/payments:1$/);
  });

  it.each([
    [
      'a taskdef.json of another family',
      { 'taskdef.json': taskdef('payments'), 'appspec.yaml': appspec('subnet-0aaa') },
      'build artifact taskdef.json: "family" is "payments", but this stack deploys task definition family "web"',
    ],
    [
      'a subnet outside AllowedSubnetIds',
      { 'taskdef.json': taskdef('web'), 'appspec.yaml': appspec('subnet-0bad') },
      'Subnets[0] is "subnet-0bad", which stack parameter AllowedSubnetIds does not allow (allowed: subnet-0aaa)',
    ],
    [
      'a public IP the stack refuses',
      { 'taskdef.json': taskdef('web'), 'appspec.yaml': appspec('subnet-0aaa', 'ENABLED') },
      'AssignPublicIp is ENABLED, but stack parameter AllowPublicIp is "false"',
    ],
  ])('refuses %s and registers nothing', async (_name, files, message) => {
    const rendering = render(files, STACK);
    await expect(rendering).rejects.toThrow(InvalidInputError);
    await expect(rendering).rejects.toThrow(message);
    expect(await families()).toEqual([]);
  });
});
