/**
 * The deployment state-change events (docs/EVENTS.md) through the real state machine on the emulator: a rule on the
 * default bus matching source "switchyard" delivers each event to an SQS queue, which the test reads in the order the
 * events were put. A canary deployment, an alarm's rollback, and EventBridge failing every PutEvents (which must not
 * change how a deployment ends).
 */
import { CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { faultCounts, setFaults } from '../../cli/emulator/moto-faults';
import { createLocalStack } from '../../cli/local/local-stack';
import { type LocalHandler, type LocalStack, runPipeline } from '../../cli/local/state-machine';
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from '../../functions/lib/record/deployment-events';
import { handler as shiftTraffic } from '../../functions/shift-traffic/handler';
import { putTestAlarm } from '../support/deploy-fixture';
import { receivedEvents, subscribeToDeploymentEvents } from '../support/event-queue';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { deploymentRecords, production, pushOf } from '../support/pipeline';

describe('deployment state-change events', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  async function stackWith(parameters: Record<string, string>) {
    await moto.setBuildExecutor();
    const stack = await createLocalStack({
      parameters,
      target: { containerName: 'web', containerPort: 8080, serving: true },
    });
    return stack as LocalStack & { target: BlueGreenFixture };
  }

  const run = (stack: LocalStack, commitId: string, name: string, handlers?: Record<string, LocalHandler>) =>
    runPipeline({ input: pushOf(commitId), stack, executionName: name, waitMs: () => 10, handlers });

  it('tells a canary deployment: started, 10 %, paused once, 100 %, succeeded', async () => {
    const queue = await subscribeToDeploymentEvents('deployment-events');
    // A 15-minute pause is three waits of at most 300 s (the safety checks): still one PAUSED.
    const stack = await stackWith({
      TrafficStrategy: 'Canary10Percent15Minutes',
      TerminationWaitMinutes: '0',
    });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, repo.commitId, 'canary');

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect(result.statesVisited.filter((s) => s === 'WaitInPause').length).toBe(3);
    const events = await receivedEvents(queue);
    expect(events.map((e) => [e.state, e.greenPercent])).toEqual([
      ['STARTED', undefined],
      ['TRAFFIC_SHIFTED', 10],
      ['PAUSED', 10],
      ['TRAFFIC_SHIFTED', 100],
      ['SUCCEEDED', undefined],
    ]);
    expect(events[2]?.pause).toEqual({ kind: 'timed', remainingSeconds: 900 });
    const [record] = await deploymentRecords(stack);
    for (const event of events) {
      expect(event).toMatchObject({
        source: EVENT_SOURCE,
        detailType: EVENT_DETAIL_TYPE,
        version: 1,
        deploymentId: record?.deploymentId,
        repository: 'switchyard-sample-app',
        branch: 'main',
        commitId: repo.commitId,
        cluster: stack.target.clusterName,
        service: stack.target.serviceName,
        executionArn: record?.executionId,
      });
      expect(Date.parse(event.at)).not.toBeNaN();
    }
    expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
    expect(events.map((e) => e.eventId)).toContain(`${record?.deploymentId}:TRAFFIC_SHIFTED:1`);
  });

  it('tells a rollback after an alarm during the pause as ROLLED_BACK, with the error', async () => {
    const queue = await subscribeToDeploymentEvents('deployment-events');
    const cloudwatch = new CloudWatchClient({});
    await putTestAlarm('web-5xx');
    const stack = await stackWith({ TrafficStrategy: 'Canary10Percent5Minutes', AlarmNames: 'web-5xx' });
    const [repo] = await serve(sampleRepository());
    // The alarm fires once the canary takes 10 %: the pause's first check sees it, before the pause is armed.
    const shiftThenAlarm: LocalHandler = async (event) => {
      const out = await shiftTraffic(event as never);
      await cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: 'web-5xx', StateValue: 'ALARM', StateReason: '12 errors' }),
      );
      return out;
    };

    const result = await run(stack, repo.commitId, 'alarm', { ShiftTrafficFunction: shiftThenAlarm });

    expect(result).toMatchObject({ status: 'FAILED', error: { name: 'AlarmError' } });
    const events = await receivedEvents(queue);
    expect(events.map((e) => [e.state, e.greenPercent])).toEqual([
      ['STARTED', undefined],
      ['TRAFFIC_SHIFTED', 10],
      ['ROLLED_BACK', undefined],
    ]);
    expect(events[2]?.error).toEqual({
      name: 'AlarmError',
      message: expect.stringMatching(/web-5xx.*12 errors/),
    });
  });

  it('tells the bake as a pause of its own kind', async () => {
    const queue = await subscribeToDeploymentEvents('deployment-events');
    const stack = await stackWith({ TrafficStrategy: 'AllAtOnce', TerminationWaitMinutes: '5' });
    const [repo] = await serve(sampleRepository());

    const result = await run(stack, repo.commitId, 'bake');

    expect(result.status).toBe('SUCCEEDED');
    const events = await receivedEvents(queue);
    expect(events.map((e) => e.state)).toEqual(['STARTED', 'TRAFFIC_SHIFTED', 'PAUSED', 'SUCCEEDED']);
    expect(events[2]).toMatchObject({ greenPercent: 100, pause: { kind: 'bake', remainingSeconds: 300 } });
  });

  it('deploys as usual when EventBridge fails every PutEvents, logging each event it lost', async () => {
    const queue = await subscribeToDeploymentEvents('deployment-events');
    const stack = await stackWith({
      TrafficStrategy: 'Canary10Percent5Minutes',
      TerminationWaitMinutes: '0',
    });
    const [repo] = await serve(sampleRepository());
    await setFaults(moto.endpoint, [{ service: 'events', operations: ['PutEvents'], rate: 1, error: '500' }]);
    const lost: string[] = [];

    const result = await runPipeline({
      input: pushOf(repo.commitId),
      stack,
      executionName: 'no-events',
      waitMs: () => 10,
      onLog: (line) => {
        if (line.includes('deploymentEventNotPut')) lost.push(line);
      },
    });
    const counts = await faultCounts(moto.endpoint);
    await setFaults(moto.endpoint, []);

    expect(result).toMatchObject({ status: 'SUCCEEDED', error: null });
    expect((await production(stack.target)).weights[stack.target.targetGroups.green]).toBe(100);
    const [record] = await deploymentRecords(stack);
    expect(record?.status).toBe('SUCCEEDED');
    // STARTED, TRAFFIC_SHIFTED twice, PAUSED and SUCCEEDED: each put failed (tried once or more, per AWS_MAX_ATTEMPTS).
    const puts = counts.calls.find((c) => c.service === 'events' && c.operation === 'PutEvents');
    expect(puts?.count).toBeGreaterThanOrEqual(5);
    expect(counts.faults.find((f) => f.operation === 'PutEvents')?.count).toBe(puts?.count);
    expect(lost).toHaveLength(5);
    expect(lost[0]).toMatch(/:STARTED:0.*InternalFailure/);
    expect(await receivedEvents(queue)).toEqual([]);
  });
});
