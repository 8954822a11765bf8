/**
 * The emulator's fault injector (cli/emulator/emulator_faults.py, controlled through cli/emulator/moto-faults.ts):
 * throttling and 500s as each protocol's SDK reads them, before the call is applied or after, the same calls failing
 * for the same seed, every fault counted, a bad rule refused, and a reset clearing the rules.
 */
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import {
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { faultCounts, setFaults } from '../../../../cli/emulator/moto-faults';
import { isTransient } from '../../../../functions/lib/shared/errors';
import { useMoto } from '../../../support/moto';

// One attempt (setup-env.ts): each fault reaches the test instead of being retried by the SDK.
const dynamodb = new DynamoDBClient({});
const ecs = new ECSClient({});
const elbv2 = new ElasticLoadBalancingV2Client({});

async function failureOf(
  call: Promise<unknown>,
): Promise<{ name: string; status?: number; transient: boolean } | null> {
  try {
    await call;
    return null;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { name: (error as Error).name, status, transient: isTransient(error) };
  }
}

const createTable = (name: string) =>
  dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
const tableExists = async (name: string) =>
  (await failureOf(dynamodb.send(new DescribeTableCommand({ TableName: name })))) === null;

describe('the emulator fault injector', () => {
  const moto = useMoto();

  it('throttles before the call: nothing is applied, and the SDK sees a retryable throttling error', async () => {
    await setFaults(moto.endpoint, [{ service: 'dynamodb', operations: ['CreateTable'], rate: 1 }]);

    expect(await failureOf(createTable('before'))).toEqual({
      name: 'ThrottlingException',
      status: 400,
      transient: true,
    });

    await setFaults(moto.endpoint, []);
    expect(await tableExists('before')).toBe(false);
  });

  it('fails after the call with a 500: the work is done, only the answer is lost', async () => {
    await setFaults(moto.endpoint, [
      { service: 'dynamodb', operations: ['CreateTable'], rate: 1, when: 'after', error: '500' },
    ]);

    expect(await failureOf(createTable('after'))).toEqual({
      name: 'InternalServerError',
      status: 500,
      transient: true,
    });

    const counts = await faultCounts(moto.endpoint);
    expect(counts.faults).toEqual([
      { service: 'dynamodb', operation: 'CreateTable', when: 'after', error: '500', count: 1 },
    ]);
    await setFaults(moto.endpoint, []);
    expect(await tableExists('after')).toBe(true);
  });

  it('answers in the JSON protocol of ECS and the query protocol of ELBv2', async () => {
    await setFaults(moto.endpoint, [
      { service: 'ecs', rate: 1 },
      { service: 'elasticloadbalancing', rate: 1, error: '500' },
    ]);

    expect(await failureOf(ecs.send(new ListClustersCommand({})))).toEqual({
      name: 'ThrottlingException',
      status: 400,
      transient: true,
    });
    expect(await failureOf(elbv2.send(new DescribeLoadBalancersCommand({})))).toEqual({
      name: 'InternalFailure',
      status: 500,
      transient: true,
    });
    expect((await faultCounts(moto.endpoint)).total).toBe(2);
  });

  it('fails the same calls for the same seed, a share near the rate, each one counted', async () => {
    const run = async (seed: number) => {
      await setFaults(moto.endpoint, [{ service: 'ecs', operations: ['ListClusters'], rate: 0.3 }], seed);
      const failed: number[] = [];
      for (let i = 0; i < 40; i += 1)
        if (await failureOf(ecs.send(new ListClustersCommand({})))) failed.push(i);
      return { failed, counts: await faultCounts(moto.endpoint) };
    };
    const first = await run(7);
    const again = await run(7);
    const other = await run(8);

    expect(again.failed).toEqual(first.failed);
    expect(other.failed).not.toEqual(first.failed);
    expect(first.failed.length).toBeGreaterThanOrEqual(4);
    expect(first.failed.length).toBeLessThanOrEqual(20);
    expect(first.counts.total).toBe(first.failed.length);
    expect(first.counts.calls).toEqual([{ service: 'ecs', operation: 'ListClusters', count: 40 }]);
  });

  it('leaves other services and operations alone', async () => {
    await setFaults(moto.endpoint, [{ service: 'dynamodb', operations: ['DeleteTable'], rate: 1 }]);

    expect(await failureOf(createTable('untouched'))).toBeNull();
    expect(await failureOf(ecs.send(new ListClustersCommand({})))).toBeNull();
    expect((await faultCounts(moto.endpoint)).total).toBe(0);
  });

  it('refuses a bad rule, naming the field', async () => {
    await expect(setFaults(moto.endpoint, [{ service: 'ecs', rate: 2 }])).rejects.toThrow(
      /rules\[0\]\.rate must be a number from 0 to 1/,
    );
  });

  it('is cleared by a reset', async () => {
    await setFaults(moto.endpoint, [{ service: 'ecs', rate: 1 }]);
    await moto.reset();

    expect(await failureOf(ecs.send(new ListClustersCommand({})))).toBeNull();
    expect(await faultCounts(moto.endpoint)).toMatchObject({ rules: [], total: 0 });
  });
});
