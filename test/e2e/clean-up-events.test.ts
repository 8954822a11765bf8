/**
 * The end event of a deployment stopped outside the machine's catches (docs/EVENTS.md), through the real state
 * machine on the emulator: a canary run is aborted during its pause (StopExecution, as `aws stepfunctions
 * stop-execution` does), CleanUp (called as EventBridge calls it) rolls production back and closes the record, and
 * a rule on the default bus delivers its ABORTED event to an SQS queue; CleanUp called again for the same execution
 * (EventBridge delivers at least once) puts no second event.
 */
import { handler as cleanUp } from '../../functions/clean-up/handler';
import { receivedEvents, subscribeToDeploymentEvents } from '../support/event-queue';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, production, pushOf, servingStack } from '../support/pipeline';

describe('the end event of a stopped deployment', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  it('is put by CleanUp once: ABORTED, rolled back to blue, and not again when CleanUp runs a second time', async () => {
    const queue = await subscribeToDeploymentEvents('clean-up-events');
    await moto.setBuildExecutor();
    const stack = await servingStack({ TrafficStrategy: 'Canary10Percent5Minutes' });
    const [repo] = await serve(sampleRepository());

    const result = await abortWhen(
      { input: pushOf(repo.commitId), stack, executionName: 'stopped', waitMs: () => 10 },
      (event) => event.type === 'state-entered' && event.state === 'WaitInPause',
    );

    expect(result.status).toBe('ABORTED');
    const [record] = await deploymentRecords(stack);
    expect(record).toMatchObject({ status: 'ABORTED', error: { name: 'ExecutionAborted' } });
    expect((await production(stack.target)).weights[stack.target.targetGroups.blue]).toBe(100);
    const events = await receivedEvents(queue);
    expect(events.map((e) => e.state).filter((state) => state !== 'PAUSED')).toEqual([
      'STARTED',
      'TRAFFIC_SHIFTED',
      'ABORTED',
    ]);
    const end = events.at(-1);
    expect(end).toMatchObject({
      eventId: `${record?.deploymentId}:ABORTED:0`,
      deploymentId: record?.deploymentId,
      commitId: repo.commitId,
      cluster: stack.target.clusterName,
      service: stack.target.serviceName,
      executionArn: record?.executionId,
      error: { name: 'ExecutionAborted', message: record?.error.message },
    });
    expect(end?.error?.message).toMatch(/production was rolled back to the live target group/);

    // The same status change delivered again: the record is closed, nothing more is put.
    const again = await cleanUp({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: result.executionArn,
        name: 'stopped',
        status: 'ABORTED',
        startDate: Date.parse(String(record?.startedAt)),
        stopDate: Date.now(),
      },
    });
    expect(again).toMatchObject({ action: 'already-ended' });
    expect(await receivedEvents(queue)).toEqual([]);
  });
});
