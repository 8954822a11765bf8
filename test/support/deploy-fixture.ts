/**
 * Setup shared by the deploy-step integration tests: the blue/green fixture with a deployments table, a second
 * revision to deploy, and small readers of what the steps changed.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  type BlueGreenFixture,
  createBlueGreenFixture,
  putTargetErrorAlarm,
} from '../../cli/emulator/fixture';
import { createLocalStack } from '../../cli/local/local-stack';
import type { DeployConfig } from '../../functions/lib/deploy/deploy-config';
import type { GreenTaskSetInput } from '../../functions/lib/deploy/green-task-set';
import { readForward } from '../../functions/lib/deploy/listener';
import type { RenderedRevision } from '../../functions/lib/deploy/state';
import { type Deployment, DeploymentsTable, recordKey } from '../../functions/lib/record/deployments';
import type { MotoControls } from './moto';

const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(dynamodb);
const cloudwatch = new CloudWatchClient({});

/** The fixture, the deployments table, the DeployConfig that points at both, and a revision to deploy. */
export interface DeployFixture {
  fx: BlueGreenFixture;
  config: DeployConfig;
  table: DeploymentsTable;
  tableName: string;
  render: RenderedRevision;
  /** The fixture's live (blue) target group. */
  A: string;
  /** The fixture's free (green) target group. */
  B: string;
}

/** Creates the blue/green fixture and a local stack's deployments table (call after moto's reset). */
export async function createDeployFixture(moto: MotoControls): Promise<DeployFixture> {
  const fx = await createBlueGreenFixture({ network: await moto.describeDefaultNetwork() });
  const tableName = (await createLocalStack({})).resources.DeploymentsTable as string;
  const table = new DeploymentsTable(dynamodb, tableName);
  const { blue: A, green: B } = fx.targetGroups;
  const config: DeployConfig = {
    cluster: fx.clusterName,
    service: fx.serviceName,
    productionListenerArn: fx.listenerArn,
    testListenerArn: fx.testListenerArn,
    targetGroups: [A, B],
    greenHealthTimeoutMinutes: 10,
  };
  const render: RenderedRevision = {
    taskDefinitionArn: await registerRevision(fx),
    appspec: { containerName: fx.containerName, containerPort: fx.containerPort, hooks: {} },
  };
  return { fx, config, table, tableName, render, A, B };
}

/** A second revision of the fixture's task definition: what the pipeline would have registered. */
export async function registerRevision(fx: BlueGreenFixture): Promise<string> {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: 'app',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: fx.containerName,
          image: 'public.ecr.aws/nginx/nginx:1.27',
          memory: 512,
          essential: true,
          portMappings: [{ containerPort: fx.containerPort, protocol: 'tcp' }],
        },
      ],
    }),
  );
  return taskDefinition?.taskDefinitionArn ?? '';
}

/** A second EXTERNAL service in the fixture's cluster, with no task set yet (a first deployment). */
export async function createService(fx: BlueGreenFixture, serviceName: string): Promise<void> {
  await ecs.send(
    new CreateServiceCommand({
      cluster: fx.clusterName,
      serviceName,
      desiredCount: 2,
      deploymentController: { type: 'EXTERNAL' },
      schedulingStrategy: 'REPLICA',
    }),
  );
}

/** A listener's forward weights by target group ARN. */
export async function listenerWeights(listenerArn: string): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await readForward(elbv2, listenerArn)).targetGroups.map((g) => [g.arn, g.weight]),
  );
}

/** A deployment's record in the deployments table, as stored. */
export async function readRecord(
  tableName: string,
  deployment: Deployment,
): Promise<Record<string, unknown> | undefined> {
  return (await doc.send(new GetCommand({ TableName: tableName, Key: recordKey(deployment) }))).Item;
}

/** A 5xx alarm on the load balancer's target errors (SetAlarmState makes it go off). */
export async function putTestAlarm(name: string): Promise<void> {
  await putTargetErrorAlarm(cloudwatch, name);
}

/** The green task set CreateGreen asks for on the fixture's service, with `clientToken`; `overrides` change a field. */
export function greenTaskSetInput(
  fx: BlueGreenFixture,
  clientToken: string,
  overrides: Partial<GreenTaskSetInput> = {},
): GreenTaskSetInput {
  return {
    cluster: fx.clusterName,
    service: fx.serviceName,
    taskDefinition: fx.taskDefinitionArn,
    targetGroupArn: fx.targetGroups.green,
    containerName: fx.containerName,
    containerPort: fx.containerPort,
    clientToken,
    ...overrides,
  };
}
