/**
 * The end event of a deployment stopped outside the machine's catches (docs/EVENTS.md), through the real state
 * machine on the emulator: a canary run is aborted during its pause (StopExecution, as `aws stepfunctions
 * stop-execution` does), CleanUp (called as EventBridge calls it) rolls production back and closes the record, and
 * a rule on the default bus delivers its ABORTED event to an SQS queue; CleanUp called again for the same execution
 * (EventBridge delivers at least once) puts no second event.
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { handler as cleanUp } from '../../functions/clean-up/handler';
import {
  type DeploymentEventDetail,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
} from '../../functions/lib/record/deployment-events';
import { sampleRepository } from '../support/fake-codecommit';
import { useGitCodeCommit } from '../support/git-codecommit';
import { useMoto } from '../support/moto';
import { abortWhen, deploymentRecords, production, pushOf, servingStack } from '../support/pipeline';

const sqs = new SQSClient({});
const eventbridge = new EventBridgeClient({});

/** A queue every switchyard event of the default bus goes to, as a team's rule routes them. */
async function subscribe(): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'clean-up-events' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  const pattern = { source: [EVENT_SOURCE], 'detail-type': [EVENT_DETAIL_TYPE] };
  await eventbridge.send(new PutRuleCommand({ Name: 'ends', EventPattern: JSON.stringify(pattern) }));
  await eventbridge.send(
    new PutTargetsCommand({ Rule: 'ends', Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
  );
  return QueueUrl as string;
}

/** Every event the queue holds, in the order they were put. */
async function received(queueUrl: string): Promise<DeploymentEventDetail[]> {
  const events: DeploymentEventDetail[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
    );
    if (Messages.length === 0) return events;
    for (const message of Messages) events.push(JSON.parse(message.Body ?? '{}').detail);
  }
}

describe('the end event of a stopped deployment', () => {
  const moto = useMoto();
  const serve = useGitCodeCommit(moto);

  it('is put by CleanUp once: ABORTED, rolled back to blue, and not again when CleanUp runs a second time', async () => {
    const queue = await subscribe();
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
    const events = await received(queue);
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
    expect(await received(queue)).toEqual([]);
  });
});
