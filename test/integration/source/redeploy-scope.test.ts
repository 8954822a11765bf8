/**
 * A manual {"taskDefinitionArn"} redeploy held to what the stack allows, against the emulator's ECS and DynamoDB: a
 * revision of another account, Region or family, or naming a role the stack does not pass, is refused before the
 * redeploy starts; a revision of the stack's family with its roles goes through.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { createLocalStack } from '../../../cli/local/local-stack';
import { type Deployment, DeploymentsTable } from '../../../functions/lib/record/deployments';
import type { WorkloadScope } from '../../../functions/lib/render/workload-scope';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { resolveRedeploy } from '../../../functions/lib/source/redeploy';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

const { deployment } = loadEvent<{ deployment: Deployment }>('render-task-definition');
const ecs = new ECSClient({});
const EXECUTION = 'arn:aws:iam::123456789012:role/web-execution';
const STACK: WorkloadScope = {
  family: 'web',
  subnets: [],
  securityGroups: [],
  allowPublicIp: true,
  taskRoleArn: '',
  executionRoleArn: EXECUTION,
  place: { region: 'us-east-1', account: '123456789012' },
};

describe('a manual redeploy within the stack scope', () => {
  useMoto();
  let table: DeploymentsTable;

  beforeEach(async () => {
    const stack = await createLocalStack({});
    table = new DeploymentsTable(new DynamoDBClient({}), stack.resources.DeploymentsTable as string);
    const live: Deployment = { ...deployment, id: 'live', startedAt: '2026-12-01T00:00:00.000Z' };
    await table.createRecord(live, {});
    await table.update(live, {
      status: 'SUCCEEDED',
      render: {
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
        appspec: { containerName: 'web', containerPort: 80, hooks: {} },
      },
    });
  });

  const register = async (family: string, roles: Record<string, string>) =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          ...roles,
          containerDefinitions: [{ name: 'web', image: 'r/web:0', memory: 128 }],
        }),
      )
    ).taskDefinition?.taskDefinitionArn as string;
  const redeploy = (taskDefinitionArn: string, scope: WorkloadScope = STACK) =>
    resolveRedeploy(
      { kind: 'task-definition', taskDefinitionArn },
      { table, ecs: jsonClient(ECS), repository: deployment.repository, scope },
    );

  it("deploys a revision of the stack's family that names the stack's roles", async () => {
    const arn = await register('web', { executionRoleArn: EXECUTION });
    await expect(redeploy(arn)).resolves.toMatchObject({ taskDefinitionArn: arn });
  });

  it('refuses a revision of another family, even one that exists and is ACTIVE', async () => {
    const arn = await register('payments', { executionRoleArn: EXECUTION });
    await expect(redeploy(arn)).rejects.toThrow(
      `taskDefinitionArn ${arn} is a revision of family "payments"; this stack deploys family "web"`,
    );
    // The same revision goes through on a stack that names no family: CodeDeploy's behaviour.
    await expect(redeploy(arn, { ...STACK, family: '' })).resolves.toMatchObject({ taskDefinitionArn: arn });
  });

  it('refuses a revision of its family that names another role', async () => {
    const admin = 'arn:aws:iam::123456789012:role/admin';
    const arn = await register('web', { executionRoleArn: EXECUTION, taskRoleArn: admin });
    await expect(redeploy(arn)).rejects.toThrow(
      `task definition ${arn} names taskRoleArn ${admin}, but this stack passes no role there (stack parameter TaskRoleArn)`,
    );
    expect(
      (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition?.status,
    ).toBe('ACTIVE');
  });

  it('refuses a revision of another account or Region before reading it', async () => {
    await expect(redeploy('arn:aws:ecs:us-east-1:999999999999:task-definition/web:1')).rejects.toThrow(
      'is in account 999999999999, Region us-east-1; this stack deploys to account 123456789012, Region us-east-1',
    );
    await expect(redeploy('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:1')).rejects.toThrow(
      'is in account 123456789012, Region eu-west-1',
    );
  });
});
