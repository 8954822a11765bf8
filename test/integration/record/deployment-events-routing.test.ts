/**
 * The rules docs/EVENTS.md and examples/infrastructure.yaml give teams, run through EventBridge on moto against the
 * events Switchyard puts (functions/lib/record/deployment-events.ts): PutRule with an SQS target, PutEvents of
 * built entries, ReceiveMessage.
 */
import { readFileSync } from 'node:fs';
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
import { loadTemplate } from '../../../cli/local/template';
import { type DeploymentEventState, deploymentEvent } from '../../../functions/lib/record/deployment-events';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { useMoto } from '../../support/moto';

const ROOT = resolve(__dirname, '../../..');
const eventbridge = new EventBridgeClient({});
const sqs = new SQSClient({});

const deployment: Deployment = {
  id: 'd-1',
  repository: 'switchyard-sample-app',
  branch: 'main',
  commitId: 'c0ffee',
  trigger: 'push',
  force: false,
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:d-1',
  startedAt: '2026-01-01T00:00:00.000Z',
};

/** The example stack's rule: its pattern, with the cluster its Ref names. */
function examplePattern(cluster: string): unknown {
  const template = loadTemplate(join(ROOT, 'examples/infrastructure.yaml'));
  const rule = template.Resources.DeploymentEventsRule?.Properties as { EventPattern: unknown };
  return JSON.parse(JSON.stringify(rule.EventPattern).replace('{"Ref":"Cluster"}', JSON.stringify(cluster)));
}

/** The pattern docs/EVENTS.md gives for the failures of one service. */
function documentedPattern(): unknown {
  const text = readFileSync(join(ROOT, 'docs/EVENTS.md'), 'utf8');
  const block = /```json\n(\{\n {2}"source"[\s\S]*?)```/.exec(text)?.[1];
  if (!block) throw new Error('docs/EVENTS.md has no JSON event pattern starting with "source"');
  return JSON.parse(block);
}

/** The states of the events `pattern` lets through, of those put for each cluster and state. */
async function routed(
  pattern: unknown,
  puts: { cluster: string; state: DeploymentEventState }[],
): Promise<string[]> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'routed' }));
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await eventbridge.send(new PutRuleCommand({ Name: 'routed', EventPattern: JSON.stringify(pattern) }));
  await eventbridge.send(
    new PutTargetsCommand({ Rule: 'routed', Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
  );
  for (const { cluster, state } of puts) {
    const entry = deploymentEvent({ deployment, state }, { busName: 'default', cluster, service: 'web' });
    await eventbridge.send(
      new PutEventsCommand({ Entries: [{ ...entry, Time: new Date(entry.Time * 1000) }] }),
    );
  }
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  return Messages.map((m) => {
    const { detail } = JSON.parse(m.Body ?? '{}');
    return `${detail.cluster} ${detail.state}`;
  });
}

describe('routing the deployment events', () => {
  useMoto();

  it("the example stack's rule takes every state of its own cluster's deployments, and no other cluster's", async () => {
    const got = await routed(examplePattern('switchyard-sample'), [
      { cluster: 'switchyard-sample', state: 'STARTED' },
      { cluster: 'other', state: 'STARTED' },
      { cluster: 'switchyard-sample', state: 'ROLLED_BACK' },
    ]);
    expect(got.sort()).toEqual(['switchyard-sample ROLLED_BACK', 'switchyard-sample STARTED']);
  });

  it('the documented failures-only pattern takes the failures and nothing else', async () => {
    const puts = (['STARTED', 'TRAFFIC_SHIFTED', 'SUCCEEDED', 'ROLLED_BACK', 'FAILED'] as const).map(
      (state) => ({ cluster: 'switchyard-sample', state }),
    );
    const got = await routed(documentedPattern(), puts);
    expect(got.sort()).toEqual(['switchyard-sample FAILED', 'switchyard-sample ROLLED_BACK']);
  });

  it('the example topic lets EventBridge publish for that rule only', () => {
    const template = loadTemplate(join(ROOT, 'examples/infrastructure.yaml'));
    const policy = template.Resources.DeploymentEventsTopicPolicy?.Properties as {
      PolicyDocument: { Statement: Record<string, unknown>[] };
    };
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['DeploymentEventsRule', 'Arn'] } } },
      }),
    ]);
  });
});
