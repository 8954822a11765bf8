/**
 * What `switchyard verify` and `switchyard diff` are run against in the tests: the blue/green fixture in moto
 * (cli/emulator/fixture.ts) with everything else a deployment needs (the task's roles, an ECR repository holding an
 * image, a log group, an alarm), a checkout folder holding taskdef.json, and a parameters file naming it all.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  type BlueGreenFixture,
  createBlueGreenFixture,
  putTargetErrorAlarm,
} from '../../cli/emulator/fixture';
import { runSwitchyard } from './cli';
import type { MotoControls } from './moto';

/** The fixture and the files that describe it. */
export interface PreflightFixture {
  fx: BlueGreenFixture;
  /** The checkout: holds taskdef.json. */
  dir: string;
  /** The parameters file (`--parameters`). */
  parametersFile: string;
  parameters: Record<string, string>;
  account: string;
}

const ACCOUNT = '123456789012';
export const ECR_REPOSITORY = 'web';
export const LOG_GROUP = '/ecs/web';
export const ALARM = 'web-5xx';

/** A role whose trust policy lets `service` assume it. */
export async function createRole(
  iam: IAMClient,
  name: string,
  service = 'ecs-tasks.amazonaws.com',
): Promise<string> {
  const { Role } = await iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  return Role?.Arn ?? '';
}

/** Pushes a one-layer image under `tag` (ECR PutImage with a manifest). */
export async function pushImage(ecr: ECRClient, repository: string, tag: string): Promise<void> {
  const digest = (seed: string) => `sha256:${Buffer.from(seed).toString('hex').padEnd(64, '0').slice(0, 64)}`;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: {
      mediaType: 'application/vnd.docker.container.image.v1+json',
      size: 2,
      digest: digest(`c${tag}`),
    },
    layers: [
      { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: digest(tag) },
    ],
  });
  await ecr.send(new PutImageCommand({ repositoryName: repository, imageManifest: manifest, imageTag: tag }));
}

/** Writes `taskdef` as the checkout's taskdef.json. */
export function writeTaskdef(dir: string, taskdef: object): void {
  writeFileSync(join(dir, 'taskdef.json'), `${JSON.stringify(taskdef, null, 2)}\n`);
}

/** Writes the parameters file again with `changes` (a value of undefined removes the parameter). */
export function writeParameters(
  fixture: PreflightFixture,
  changes: Record<string, string | undefined> = {},
): void {
  const values: Record<string, string | undefined> = { ...fixture.parameters, ...changes };
  const kept = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  writeFileSync(fixture.parametersFile, JSON.stringify(kept, null, 2));
}

/** Creates the fixture (call after moto's reset); `taskdef` is the checkout's taskdef.json. */
export async function createPreflightFixture(
  moto: MotoControls,
  taskdef: (fx: BlueGreenFixture) => object,
): Promise<PreflightFixture> {
  const fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
  const iam = new IAMClient({});
  const ecr = new ECRClient({});
  const logs = new CloudWatchLogsClient({});
  const cloudwatch = new CloudWatchClient({});
  try {
    const executionRole = await createRole(iam, 'web-execution');
    const taskRole = await createRole(iam, 'web-task');
    await ecr.send(new CreateRepositoryCommand({ repositoryName: ECR_REPOSITORY }));
    await pushImage(ecr, ECR_REPOSITORY, 'v1');
    await logs.send(new CreateLogGroupCommand({ logGroupName: LOG_GROUP }));
    await putTargetErrorAlarm(cloudwatch, ALARM);
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-preflight-'));
    writeTaskdef(dir, taskdef(fx));
    const parameters: Record<string, string> = {
      RepositoryName: 'web',
      ClusterName: fx.clusterName,
      ServiceName: fx.serviceName,
      ProductionListenerArn: fx.listenerArn,
      TestListenerArn: fx.testListenerArn,
      TargetGroupAArn: fx.targetGroups.blue,
      TargetGroupBArn: fx.targetGroups.green,
      EcrRepositoryName: ECR_REPOSITORY,
      TaskExecutionRoleArn: executionRole,
      TaskRoleArn: taskRole,
      AlarmNames: ALARM,
    };
    const fixture = { fx, dir, parametersFile: join(dir, 'parameters.json'), parameters, account: ACCOUNT };
    writeParameters(fixture);
    return fixture;
  } finally {
    for (const client of [iam, ecr, logs, cloudwatch]) client.destroy();
  }
}

/** Runs `switchyard <args>` as a user does, against this worker's moto; NO_COLOR as given (unset by default). */
export function runAgainst(moto: MotoControls, args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_REGION: 'us-east-1',
  };
  delete base.NO_COLOR;
  return runSwitchyard(args, { ...base, ...env });
}
