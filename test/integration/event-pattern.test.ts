/**
 * The push rule's event pattern, taken from template.yaml, run through EventBridge on moto: PutRule with an SQS
 * target, PutEvents of each fixture in events/, ReceiveMessage. (moto's TestEventPattern is a stub.)
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import {
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { loadEvent } from '../support/events';
import { useMoto } from '../support/moto';

interface CodeCommitEvent {
  source: string;
  'detail-type': string;
  time: string;
  resources: string[];
  detail: Record<string, unknown>;
}

const ROOT = resolve(__dirname, '../..');
const ACCOUNT = '123456789012'; // moto's default account, which PutEvents stamps on every event

/** The CodeCommitPush event's Pattern as written in template.yaml (long-form intrinsics). */
function templatePattern(): unknown {
  const out = spawnSync(
    'python3',
    [join(ROOT, 'test/support/cfn_template.py'), 'decode', join(ROOT, 'template.yaml')],
    {
      encoding: 'utf8',
    },
  );
  if (out.status !== 0) throw new Error(`cfn_template.py decode failed: ${out.stderr || out.error?.message}`);
  const template = JSON.parse(out.stdout) as {
    Resources: Record<
      string,
      { Properties: { Events: Record<string, { Properties: { Pattern: unknown } }> } }
    >;
  };
  const pattern =
    template.Resources.PipelineStateMachine?.Properties.Events.CodeCommitPush?.Properties.Pattern;
  if (!pattern)
    throw new Error('template.yaml: PipelineStateMachine has no CodeCommitPush event with a Pattern');
  return pattern;
}

/** Resolves the Ref and Fn::Sub a deployed stack would, with the stack's parameters and pseudo parameters. */
function resolveIntrinsics(value: unknown, parameters: Record<string, string>): unknown {
  const lookup = (name: string) => {
    const found = parameters[name];
    if (found === undefined) throw new Error(`the pattern refers to ${name}, which this test does not set`);
    return found;
  };
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, parameters));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first) {
    const [key, argument] = first;
    if (key === 'Ref') return lookup(String(argument));
    if (key === 'Fn::Sub' && typeof argument === 'string') {
      return argument.replace(/\$\{([^}]+)\}/g, (_match, name: string) => lookup(name));
    }
    if (key.startsWith('Fn::')) throw new Error(`the pattern uses ${key}, which this test cannot resolve`);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, parameters)]));
}

describe('the push rule of template.yaml', () => {
  useMoto();
  const events = new EventBridgeClient({});
  const sqs = new SQSClient({});
  const push = loadEvent<CodeCommitEvent>('push');
  const pattern = resolveIntrinsics(templatePattern(), {
    RepositoryName: String(push.detail.repositoryName),
    BranchName: String(push.detail.referenceName),
    'AWS::Partition': 'aws',
    'AWS::Region': 'us-east-1',
    'AWS::AccountId': ACCOUNT,
  });
  let queueUrl = '';

  beforeEach(async () => {
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'pipeline-trigger' }));
    queueUrl = queue.QueueUrl ?? '';
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(new PutRuleCommand({ Name: 'switchyard-push', EventPattern: JSON.stringify(pattern) }));
    await events.send(
      new PutTargetsCommand({
        Rule: 'switchyard-push',
        Targets: [{ Id: 'pipeline', Arn: attributes.Attributes?.QueueArn }],
      }),
    );
  });

  /** Sends the event as CodeCommit would and returns what reached the rule's target. */
  async function deliver(event: CodeCommitEvent): Promise<CodeCommitEvent[]> {
    const sent = await events.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: event.source,
            DetailType: event['detail-type'],
            Resources: event.resources,
            Detail: JSON.stringify(event.detail),
            Time: new Date(event.time),
          },
        ],
      }),
    );
    expect(sent.FailedEntryCount).toBe(0);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    return (received.Messages ?? []).map((message) => JSON.parse(message.Body ?? '{}') as CodeCommitEvent);
  }

  it('is the push pattern of the stack (a branch created or updated), once the stack parameters are in', () => {
    expect(pattern).toEqual({
      source: ['aws.codecommit'],
      'detail-type': ['CodeCommit Repository State Change'],
      resources: ['arn:aws:codecommit:us-east-1:123456789012:switchyard-sample-app'],
      detail: {
        event: ['referenceCreated', 'referenceUpdated'],
        referenceType: ['branch'],
        referenceName: ['main'],
      },
    });
  });

  it.each(['push', 'push-branch-created'])('starts the pipeline for events/%s.json', async (name) => {
    const event = loadEvent<CodeCommitEvent>(name);
    const delivered = await deliver(event);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatchObject({
      source: 'aws.codecommit',
      resources: event.resources,
      detail: event.detail,
    });
  });

  it.each(['push-tag', 'branch-deleted', 'push-other-branch'])('ignores events/%s.json', async (name) => {
    expect(await deliver(loadEvent<CodeCommitEvent>(name))).toEqual([]);
  });

  it('ignores a push to the same branch of another repository', async () => {
    const other = 'arn:aws:codecommit:us-east-1:123456789012:another-app';
    const event = { ...push, resources: [other], detail: { ...push.detail, repositoryName: 'another-app' } };
    expect(await deliver(event)).toEqual([]);
  });
});
