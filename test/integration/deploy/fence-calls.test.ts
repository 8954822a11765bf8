/**
 * The deploy core calls its fence right before each write toward green: a fence that refuses leaves the listeners
 * and the task sets exactly as they were (CreateGreen, AllowTestTraffic, ShiftTraffic, Finalize).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { finalize } from '../../../functions/lib/deploy/finalize-rollback';
import { allowTestTraffic, createGreen } from '../../../functions/lib/deploy/green';
import { setWeights } from '../../../functions/lib/deploy/listener';
import { shiftTraffic } from '../../../functions/lib/deploy/shift';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { DeploymentFencedError } from '../../../functions/lib/shared/errors';
import { createDeployFixture, type DeployFixture, listenerWeights } from '../../support/deploy-fixture';
import { loadEvent } from '../../support/events';
import { useMoto } from '../../support/moto';

// The deploy stage's ECS client (signed JSON requests); the SDK's reads back what ECS holds.
const ecs = jsonClient(ECS);
const ecsSdk = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});
const dynamodb = new DynamoDBClient({});
const deployment: Deployment = {
  ...loadEvent<{ deployment: Deployment }>('rollback').deployment,
  id: 'dep-0001',
};

describe('the fence before each write toward green', () => {
  const moto = useMoto();
  let { fx, config, table, tableName, render, A, B } = {} as DeployFixture;
  let calls = 0;
  let refuse = false;
  const fence = async () => {
    calls += 1;
    if (refuse) throw new DeploymentFencedError('deployment dep-0001 no longer holds the lock');
  };

  beforeEach(async () => {
    ({ fx, config, table, tableName, render, A, B } = await createDeployFixture(moto));
    await table.createRecord(deployment, {});
    calls = 0;
    refuse = false;
  });

  const taskSets = async () =>
    (
      (await ecsSdk.send(new DescribeTaskSetsCommand({ cluster: fx.clusterName, service: fx.serviceName })))
        .taskSets ?? []
    ).map((set) => set.taskSetArn);
  const snapshot = async () => ({
    production: await listenerWeights(fx.listenerArn),
    test: await listenerWeights(fx.testListenerArn),
    taskSets: await taskSets(),
  });
  const deps = () => ({ ecs, elbv2, table, fence });

  it('CreateGreen asks before attaching green to the listener and before creating the task set', async () => {
    await createGreen({ deployment, render }, config, deps());
    expect(calls).toBe(2);
  });

  it('CreateGreen changes nothing when the fence refuses', async () => {
    refuse = true;
    const before = await snapshot();
    await expect(createGreen({ deployment, render }, config, deps())).rejects.toThrow(DeploymentFencedError);
    expect(await snapshot()).toEqual(before);
  });

  it('AllowTestTraffic, ShiftTraffic and Finalize change nothing when the fence refuses', async () => {
    const green = await createGreen({ deployment, render }, config, deps());
    refuse = true;
    const before = await snapshot();

    await expect(allowTestTraffic({ deployment, green }, deps())).rejects.toThrow(DeploymentFencedError);
    await expect(
      shiftTraffic(
        { deployment, green, step: 0 },
        { elbv2, dynamodb, fence },
        {
          productionListenerArn: fx.listenerArn,
          trafficStrategy: 'AllAtOnce',
          terminationWaitMinutes: 0,
          manualPauseTimeoutMinutes: 1440,
          tableName,
        },
      ),
    ).rejects.toThrow(DeploymentFencedError);
    expect(await snapshot()).toEqual(before);

    // Finalize runs once production is all on green: the fence still keeps blue and the test listener as they are.
    await setWeights(elbv2, fx.listenerArn, { [A]: 0, [B]: 100 });
    const atFinalize = await snapshot();
    await expect(finalize({ deployment, render, green }, deps())).rejects.toThrow(DeploymentFencedError);
    expect(await snapshot()).toEqual(atFinalize);
    expect(calls).toBe(2 + 3);
  });
});
