/**
 * Creates, in an emulator (moto), the resources template.yaml itself would create that the pipeline's functions
 * use: the artifact bucket (versioned) and the deployments table (keys taken from the template).
 */

import { CodeBuildClient, CreateProjectCommand, DeleteProjectCommand } from '@aws-sdk/client-codebuild';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { describeDefaultNetwork } from '../emulator/default-network';
import { type BlueGreenFixture, createBlueGreenFixture } from '../emulator/fixture';
import { createNetwork } from '../emulator/network';
import { existingTarget } from './reuse-target';
import type { LocalStack } from './state-machine';
import { loadTemplate, type SamTemplate } from './template';

/** Logical ids in template.yaml of the storage a local stack needs. */
export const STORAGE = {
  bucket: 'ArtifactBucket',
  table: 'DeploymentsTable',
  buildProject: 'BuildProject',
} as const;

function tableKeys(template: SamTemplate): {
  KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  AttributeDefinitions: { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
} {
  const props = template.Resources[STORAGE.table]?.Properties;
  if (!props) throw new Error(`template.yaml has no ${STORAGE.table}`);
  return {
    KeySchema: props.KeySchema as never,
    AttributeDefinitions: props.AttributeDefinitions as never,
  };
}

/**
 * A create whose resource already exists under the same name is taken as done: CreateBucket answers
 * BucketAlreadyOwnedByYou (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html), CreateTable
 * ResourceInUseException (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html).
 */
async function alreadyThere(create: Promise<unknown>, existsError: string): Promise<void> {
  try {
    await create;
  } catch (error) {
    if (!(error instanceof Error && error.name === existsError)) throw error;
  }
}

/** The repository a local stack deploys unless its parameters name another. */
const SAMPLE_REPOSITORY = 'switchyard-sample-app';

/** Creates the bucket and the table; returns the LocalStack description a run needs. */
export async function createLocalStack(options: {
  name?: string;
  region?: string;
  accountId?: string;
  parameters?: Record<string, string>;
  /**
   * Also create the target side in the emulator (ALB, listeners, target groups, cluster, EXTERNAL service with a
   * version already serving), fitted to the application's container, and point the stack's parameters at it.
   */
  target?: {
    containerName: string;
    containerPort: number;
    desiredCount?: number;
    serving?: boolean;
    /** Create a VPC, two subnets and a security group for it, rather than use the emulator's default VPC. */
    ownNetwork?: boolean;
  };
}): Promise<LocalStack & { target?: BlueGreenFixture }> {
  const name = options.name ?? 'switchyard';
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  const bucket = `${name}-artifacts-${accountId}`;
  const table = `${name}-deployments`;
  const buildProject = `${name}-build`;
  const ecrRepository = options.parameters?.EcrRepositoryName ?? SAMPLE_REPOSITORY;
  const s3 = new S3Client({ region });
  const dynamodb = new DynamoDBClient({ region });
  const codebuild = new CodeBuildClient({ region });
  try {
    // Each create tolerates what an earlier run left in a reused emulator (--endpoint, a kept one), as a stack
    // update keeps the resources it already has.
    await alreadyThere(s3.send(new CreateBucketCommand({ Bucket: bucket })), 'BucketAlreadyOwnedByYou');
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await alreadyThere(
      dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          ...tableKeys(loadTemplate()),
        }),
      ),
      'ResourceInUseException',
    );
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: table });
    // As template.yaml's BuildProject: the CodeCommit repository (each build names its commit), artifacts zipped per
    // build.
    const project = new CreateProjectCommand({
      name: buildProject,
      source: {
        type: 'CODECOMMIT',
        location: `https://git-codecommit.${region}.amazonaws.com/v1/repos/${options.parameters?.RepositoryName ?? SAMPLE_REPOSITORY}`,
      },
      artifacts: {
        type: 'S3',
        location: bucket,
        path: 'build',
        namespaceType: 'BUILD_ID',
        name: 'build.zip',
        packaging: 'ZIP',
      },
      environment: {
        type: 'LINUX_CONTAINER',
        computeType: 'BUILD_GENERAL1_SMALL',
        image: 'aws/codebuild/amazonlinux-x86_64-standard:5.0',
        privilegedMode: true,
        // As template.yaml's BuildProject: the variables buildspecs written for CodePipeline expect.
        environmentVariables: Object.entries({
          AWS_ACCOUNT_ID: accountId,
          AWS_DEFAULT_REGION: region,
          IMAGE_REPO_NAME: ecrRepository,
          ECR_REPOSITORY_URI: `${accountId}.dkr.ecr.${region}.amazonaws.com/${ecrRepository}`,
          REPOSITORY_URI: `${accountId}.dkr.ecr.${region}.amazonaws.com/${ecrRepository}`,
        }).map(([name, value]) => ({ name, value, type: 'PLAINTEXT' as const })),
      },
      serviceRole: `arn:aws:iam::${accountId}:role/${name}-build`,
    });
    // CreateProject of an existing name is ResourceAlreadyExistsException
    // (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html) and moto has no UpdateProject:
    // an earlier run's project (perhaps of another repository) is replaced, as a stack update would change it.
    await codebuild.send(project).catch(async (error: unknown) => {
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
      await codebuild.send(new DeleteProjectCommand({ name: buildProject }));
      await codebuild.send(project);
    });
  } finally {
    s3.destroy();
    dynamodb.destroy();
    codebuild.destroy();
  }
  let target: BlueGreenFixture | undefined;
  let targetParameters: Record<string, string> = {};
  if (options.target) {
    const endpoint = process.env.AWS_ENDPOINT_URL;
    if (!endpoint)
      throw new Error('createLocalStack({target}) needs AWS_ENDPOINT_URL: the emulator to build it in');
    target =
      (await existingTarget({ name: 'app', region, ...options.target })) ??
      (await createBlueGreenFixture({
        network: options.target.ownNetwork
          ? await createNetwork({ name: 'app', region })
          : await describeDefaultNetwork(endpoint),
        name: 'app',
        region,
        ...options.target,
      }));
    targetParameters = {
      ClusterName: target.clusterName,
      ServiceName: target.serviceName,
      ProductionListenerArn: target.listenerArn,
      TestListenerArn: target.testListenerArn,
      TargetGroupAArn: target.targetGroups.blue,
      TargetGroupBArn: target.targetGroups.green,
      // For a first deployment whose AppSpec names no network: the emulator's subnets and security group.
      TaskSubnetIds: target.networkConfiguration.awsvpcConfiguration?.subnets?.join(',') ?? '',
      TaskSecurityGroupIds: target.networkConfiguration.awsvpcConfiguration?.securityGroups?.join(',') ?? '',
    };
  }
  return {
    ...(target ? { target } : {}),
    name,
    region,
    accountId,
    parameters: {
      RepositoryName: SAMPLE_REPOSITORY,
      BranchName: 'main',
      EcrRepositoryName: ecrRepository,
      TaskExecutionRoleArn: `arn:aws:iam::${accountId}:role/switchyard-sample-execution`,
      ...targetParameters,
      ...options.parameters,
    },
    resources: { [STORAGE.bucket]: bucket, [STORAGE.table]: table, [STORAGE.buildProject]: buildProject },
  };
}
