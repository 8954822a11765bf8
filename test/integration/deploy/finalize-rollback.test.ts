import { DescribeTaskSetsCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { finalize, type RollbackInput, rollback } from '../../../functions/lib/deploy/finalize-rollback';
import { allowTestTraffic, createGreen } from '../../../functions/lib/deploy/green';
import { setWeights } from '../../../functions/lib/deploy/listener';
import type { GreenState } from '../../../functions/lib/deploy/state';
import { makePrimary } from '../../../functions/lib/deploy/task-sets';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { ECS, jsonClient } from '../../../functions/lib/shared/aws-json';
import { ServiceNotReadyError, TransientAwsError } from '../../../functions/lib/shared/errors';
import {
  createDeployFixture,
  createService,
  type DeployFixture,
  listenerWeights,
  readRecord,
} from '../../support/deploy-fixture';
import { ecsAround } from '../../support/ecs-json-around';
import { loadEvent } from '../../support/events';
import { serviceError } from '../../support/fake-json-service';
import { useMoto } from '../../support/moto';

// The deploy stage's ECS client (signed JSON requests); the SDK's reads back what ECS holds.
const ecs = jsonClient(ECS);
const ecsSdk = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

const sample = loadEvent<RollbackInput>('rollback');
const deployment: Deployment = { ...sample.deployment, id: 'dep-0001' };
const error = sample.error;

describe('Finalize and Rollback against the blue/green fixture', () => {
  const moto = useMoto();
  // Set before each test (createDeployFixture).
  let { fx, config, table, tableName, render, A, B } = {} as DeployFixture;

  beforeEach(async () => {
    ({ fx, config, table, tableName, render, A, B } = await createDeployFixture(moto));
    await table.createRecord(deployment, {});
  });

  const deps = () => ({ ecs, elbv2, table });
  /** Every task set of the service, DRAINING ones included, as [arn, status]. */
  const taskSets = async (service = fx.serviceName) =>
    (
      (await ecsSdk.send(new DescribeTaskSetsCommand({ cluster: fx.clusterName, service }))).taskSets ?? []
    ).map((set) => [set.taskSetArn, set.status]);
  const record = () => readRecord(tableName, deployment);
  const create = () => createGreen({ deployment, render }, config, deps());
  const shift = (greenPercent: number) =>
    setWeights(elbv2, fx.listenerArn, { [A]: 100 - greenPercent, [B]: greenPercent });
  /** What Finalize does first: green becomes the PRIMARY task set. */
  const makeGreenPrimary = (green: GreenState) =>
    makePrimary(ecs, { cluster: fx.clusterName, service: fx.serviceName, taskSetArn: green.greenTaskSetArn });

  describe('Finalize', () => {
    it('makes green the only task set and PRIMARY, and the test listener follows production', async () => {
      const green = await create();
      await allowTestTraffic({ deployment, green }, deps());
      await shift(100);

      const result = await finalize({ deployment, render, green }, deps());

      expect(result).toEqual({
        primaryTaskSetArn: green.greenTaskSetArn,
        deletedTaskSetArn: fx.blueTaskSetArn,
      });
      expect(await taskSets()).toEqual([[green.greenTaskSetArn, 'PRIMARY']]);
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 0, [B]: 100 });
      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [B]: 100, [A]: 0 });
      expect(await record()).toMatchObject({
        finalizedAt: expect.any(String),
        primaryTaskSetArn: green.greenTaskSetArn,
      });

      expect(await finalize({ deployment, render, green }, deps())).toEqual(result);
      expect(await taskSets()).toEqual([[green.greenTaskSetArn, 'PRIMARY']]);
    });

    it('moves the test listener even when AllowTestTraffic was skipped', async () => {
      const green = await create();
      await shift(100);

      await finalize({ deployment, render, green }, deps());

      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [B]: 100, [A]: 0 });
    });

    it('refuses to delete blue while production still sends it traffic', async () => {
      const green = await create();
      await shift(50);

      await expect(finalize({ deployment, render, green }, deps())).rejects.toThrow(ServiceNotReadyError);
      await expect(finalize({ deployment, render, green }, deps())).rejects.toThrow(
        /does not send all traffic to green/,
      );
      expect(await taskSets()).toEqual(
        expect.arrayContaining([
          [fx.blueTaskSetArn, 'PRIMARY'],
          [green.greenTaskSetArn, 'ACTIVE'],
        ]),
      );
    });
  });

  describe('Rollback', () => {
    /** Rolls back twice (the second as a retry would) and checks the end state every time. */
    async function rollBackTwice(input: RollbackInput, greenTaskSetArn: string | null, knownAfter = true) {
      const first = await rollback(input, config, deps());
      const expected = {
        productionWeights: { [A]: 100, [B]: 0 },
        testWeights: { [A]: 100, [B]: 0 },
        primaryTaskSetArn: fx.blueTaskSetArn,
        deletedGreenTaskSetArn: greenTaskSetArn,
        keptGreen: false,
        cause: {
          name: 'GreenUnhealthyError',
          message: expect.stringMatching(/^green task set .* was not ready by/),
        },
        summary: expect.stringContaining(`traffic back on ${A}, task set ${fx.blueTaskSetArn} PRIMARY`),
      };
      expect(first).toEqual(expected);
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 100, [B]: 0 });
      expect(await listenerWeights(fx.testListenerArn)).toEqual({ [A]: 100, [B]: 0 });
      expect(await taskSets()).toEqual([[fx.blueTaskSetArn, 'PRIMARY']]);
      expect(await record()).toMatchObject({
        rollback: { primaryTaskSetArn: fx.blueTaskSetArn },
        rolledBackAt: expect.any(String),
      });

      const again = await rollback(input, config, deps());
      if (knownAfter) expect(again).toEqual(first);
      // Without `green`, the deleted task set can no longer be found by its externalId.
      else expect(again).toEqual({ ...expected, deletedGreenTaskSetArn: null });
      expect(await taskSets()).toEqual([[fx.blueTaskSetArn, 'PRIMARY']]);
    }

    it('before CreateGreen made anything: production stays on the live group', async () => {
      await rollBackTwice({ deployment, render, error }, null);
    });

    it('before CreateGreen returned: finds its task set by externalId and deletes it', async () => {
      const green = await create();

      await rollBackTwice({ deployment, render, error }, green.greenTaskSetArn, false);
    });

    it('once green was created', async () => {
      const green = await create();

      await rollBackTwice({ deployment, render, green, error }, green.greenTaskSetArn);
    });

    it('in the middle of the shift (50/50, test listener on green)', async () => {
      const green = await create();
      await allowTestTraffic({ deployment, green }, deps());
      await shift(50);

      await rollBackTwice({ deployment, render, green, error }, green.greenTaskSetArn);
    });

    it('after Finalize made green PRIMARY but before it deleted blue', async () => {
      const green = await create();
      await allowTestTraffic({ deployment, green }, deps());
      await shift(100);
      await makeGreenPrimary(green);

      await rollBackTwice({ deployment, render, green, error }, green.greenTaskSetArn);
    });

    it('summarises a plain-text cause', async () => {
      const result = await rollback(
        {
          deployment,
          render,
          error: { Error: 'States.Timeout', Cause: 'Task timed out after 60.00 seconds' },
        },
        config,
        deps(),
      );

      expect(result.cause).toEqual({ name: 'States.Timeout', message: 'Task timed out after 60.00 seconds' });
    });

    it('keeps traffic on green once Finalize has deleted blue: there is nothing left to go back to', async () => {
      const green = await create();
      await shift(100);
      await finalize({ deployment, render, green }, deps());

      const result = await rollback({ deployment, render, green, error }, config, deps());

      expect(result).toMatchObject({
        productionWeights: { [B]: 100, [A]: 0 },
        testWeights: { [B]: 100, [A]: 0 },
        primaryTaskSetArn: green.greenTaskSetArn,
        deletedGreenTaskSetArn: null,
        // The record then says SUCCEEDED (record-result.ts): production keeps the new revision.
        keptGreen: true,
        summary: expect.stringMatching(/traffic stays on green .*deploy the previous revision/),
      });
      expect(await taskSets()).toEqual([[green.greenTaskSetArn, 'PRIMARY']]);
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 0, [B]: 100 });
    });

    it('on a first deployment, returns the service to no task set with traffic where it was', async () => {
      await createService(fx, 'first');
      const first = { ...config, service: 'first' };
      const network = {
        ...render,
        appspec: { ...render.appspec, networkConfiguration: fx.networkConfiguration },
      };
      const green = await createGreen({ deployment, render: network }, first, deps());
      await shift(50);

      const result = await rollback({ deployment, render: network, green, error }, first, deps());

      expect(result).toMatchObject({
        productionWeights: { [A]: 100, [B]: 0 },
        primaryTaskSetArn: null,
        deletedGreenTaskSetArn: green.greenTaskSetArn,
      });
      expect(await taskSets('first')).toEqual([]);
    });

    it('leaves a listener it did not change alone when CreateGreen refused it', async () => {
      await shift(40);

      const result = await rollback({ deployment, render, error }, config, deps());

      expect(result).toMatchObject({
        productionWeights: { [A]: 60, [B]: 40 },
        testWeights: null,
        primaryTaskSetArn: fx.blueTaskSetArn,
        deletedGreenTaskSetArn: null,
        summary: expect.stringContaining('nothing changed'),
      });
      expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 60, [B]: 40 });
    });

    describe('when DeleteTaskSet fails (a fault moto cannot produce)', () => {
      // ECS calls go to moto through the real client, except DeleteTaskSet, which fails.
      const faulty = ecsAround(ecs, (operation, send) =>
        operation === 'DeleteTaskSet'
          ? Promise.reject(serviceError('ServerException', 500, 'Internal error'))
          : send(),
      );

      it('has already moved traffic back and blue PRIMARY; a retry finishes the job', async () => {
        const green = await create();
        await allowTestTraffic({ deployment, green }, deps());
        await shift(100);
        await makeGreenPrimary(green);
        const input = { deployment, render, green, error };

        await expect(rollback(input, config, { ecs: faulty, elbv2, table })).rejects.toThrow(
          TransientAwsError,
        );

        expect(await listenerWeights(fx.listenerArn)).toEqual({ [A]: 100, [B]: 0 });
        expect(await listenerWeights(fx.testListenerArn)).toEqual({ [A]: 100, [B]: 0 });
        expect(await taskSets()).toEqual(
          expect.arrayContaining([
            [fx.blueTaskSetArn, 'PRIMARY'],
            [green.greenTaskSetArn, 'ACTIVE'],
          ]),
        );

        expect(await rollback(input, config, deps())).toMatchObject({
          primaryTaskSetArn: fx.blueTaskSetArn,
          deletedGreenTaskSetArn: green.greenTaskSetArn,
        });
        expect(await taskSets()).toEqual([[fx.blueTaskSetArn, 'PRIMARY']]);
      });
    });
  });

  it('the sample events carry what the handlers read', () => {
    const finalizeEvent = loadEvent<{ green: GreenState; traffic: { done: boolean } }>('finalize');
    expect(finalizeEvent.traffic.done).toBe(true);
    for (const name of ['check-green', 'allow-test-traffic', 'finalize', 'rollback']) {
      const event = loadEvent<{ deployment: Deployment; green: GreenState }>(name);
      expect(event.deployment).toEqual(loadEvent<{ deployment: Deployment }>('archive-source').deployment);
      expect(event.green).toEqual(finalizeEvent.green);
    }
    expect(JSON.parse(sample.error.Cause ?? '')).toMatchObject({ errorType: sample.error.Error });
  });
});
