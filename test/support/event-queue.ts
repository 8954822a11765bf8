/**
 * An SQS queue every Switchyard deployment event of the emulator's default bus goes to, as a team's rule would
 * route them (docs/EVENTS.md), and what it holds.
 */
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type DeploymentEventDetail,
  EVENT_DETAIL_TYPE,
  EVENT_SOURCE,
} from '../../functions/lib/record/deployment-events';

/** An event as the queue received it: its detail, with the envelope's source and detail-type. */
export type ReceivedEvent = DeploymentEventDetail & { source: string; detailType: string };

/** Creates the queue and the rule that sends every deployment event to it; returns the queue's URL. */
export async function subscribeToDeploymentEvents(name: string): Promise<string> {
  const sqs = new SQSClient({});
  const eventbridge = new EventBridgeClient({});
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    const pattern = { source: [EVENT_SOURCE], 'detail-type': [EVENT_DETAIL_TYPE] };
    await eventbridge.send(new PutRuleCommand({ Name: name, EventPattern: JSON.stringify(pattern) }));
    await eventbridge.send(
      new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
    );
    return QueueUrl as string;
  } finally {
    sqs.destroy();
    eventbridge.destroy();
  }
}

/** Every event the queue holds now, in the order they were put (each received once). */
export async function receivedEvents(queueUrl: string): Promise<ReceivedEvent[]> {
  const sqs = new SQSClient({});
  const events: ReceivedEvent[] = [];
  try {
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }),
      );
      if (Messages.length === 0) return events;
      for (const message of Messages) {
        const event = JSON.parse(message.Body ?? '{}');
        events.push({ ...event.detail, source: event.source, detailType: event['detail-type'] });
      }
    }
  } finally {
    sqs.destroy();
  }
}
