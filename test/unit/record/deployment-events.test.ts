/**
 * The deployment state-change event (functions/lib/record/deployment-events.ts): the entry built for each change,
 * the pause it reports, and a put that fails being logged and swallowed, never thrown.
 */
import {
  type DeploymentChange,
  deploymentEvent,
  deploymentEvents,
  eventIdOf,
  eventPause,
} from '../../../functions/lib/record/deployment-events';
import type { Deployment } from '../../../functions/lib/record/deployments';
import { logger } from '../../../functions/lib/shared/log';
import type { AwsRequest, AwsResponse, AwsSender } from '../../../functions/lib/shared/signed-request';
import { AwsCallError } from '../../../functions/lib/shared/signed-request';

const deployment: Deployment = {
  id: 'd-1',
  repository: 'app',
  branch: 'main',
  commitId: 'c0ffee',
  trigger: 'push',
  force: false,
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:d-1',
  startedAt: '2026-01-01T00:00:00.000Z',
};
const target = { busName: 'deployments', cluster: 'prod', service: 'web' };
const at = new Date('2026-01-01T00:05:00.500Z');

function detailOf(change: DeploymentChange) {
  return JSON.parse(deploymentEvent(change, target, at).Detail);
}

describe('deploymentEvent', () => {
  it('builds the PutEvents entry of a change, with the detail docs/EVENTS.md describes', () => {
    const entry = deploymentEvent(
      { deployment, state: 'TRAFFIC_SHIFTED', step: 1, greenPercent: 10 },
      target,
      at,
    );
    expect(entry).toEqual({
      Source: 'switchyard',
      DetailType: 'Switchyard Deployment State Change',
      EventBusName: 'deployments',
      Time: Math.floor(at.getTime() / 1000),
      Resources: [deployment.executionId],
      Detail: expect.any(String),
    });
    expect(JSON.parse(entry.Detail)).toEqual({
      version: 1,
      eventId: 'd-1:TRAFFIC_SHIFTED:1',
      deploymentId: 'd-1',
      repository: 'app',
      branch: 'main',
      commitId: 'c0ffee',
      cluster: 'prod',
      service: 'web',
      state: 'TRAFFIC_SHIFTED',
      step: 1,
      greenPercent: 10,
      at: '2026-01-01T00:05:00.500Z',
      executionArn: deployment.executionId,
    });
  });

  it('gives each state and step its own id, and a retry of the same change the same one', () => {
    expect(eventIdOf('d-1', 'STARTED')).toBe('d-1:STARTED:0');
    expect(detailOf({ deployment, state: 'PAUSED', step: 1 }).eventId).toBe(
      detailOf({ deployment, state: 'PAUSED', step: 1 }).eventId,
    );
    expect(detailOf({ deployment, state: 'PAUSED', step: 1 }).eventId).not.toBe(
      detailOf({ deployment, state: 'PAUSED', step: 2 }).eventId,
    );
  });

  it('carries an end state with its error, the message cut to stay far below the 256 KB of an entry', () => {
    const detail = detailOf({
      deployment,
      state: 'ROLLED_BACK',
      error: { name: 'AlarmError', message: `web-5xx is in ALARM: ${'x'.repeat(10_000)}` },
    });
    expect(detail).toMatchObject({ state: 'ROLLED_BACK', error: { name: 'AlarmError' } });
    expect(detail.error.message).toMatch(/^web-5xx is in ALARM: x+… \(10021 bytes\)$/);
    expect(detail.error.message.length).toBeLessThan(2100);
    expect(detail).not.toHaveProperty('greenPercent');
    expect(detail).not.toHaveProperty('pause');
  });

  it('leaves out Resources when the execution id is not an ARN', () => {
    const entry = deploymentEvent(
      { deployment: { ...deployment, executionId: 'local-run' }, state: 'STARTED' },
      target,
      at,
    );
    expect(entry).not.toHaveProperty('Resources');
    expect(JSON.parse(entry.Detail).executionArn).toBe('local-run');
  });
});

describe('eventPause', () => {
  const options = { bake: false, manualPauseTimeoutMinutes: 60 };

  it('reports a timed pause or the bake with the seconds left', () => {
    expect(eventPause({ remainingSeconds: 300 }, options)).toEqual({ kind: 'timed', remainingSeconds: 300 });
    expect(eventPause({ remainingSeconds: 600 }, { ...options, bake: true })).toEqual({
      kind: 'bake',
      remainingSeconds: 600,
    });
  });

  it('reports a manual pause with the seconds left before it times out', () => {
    const since = '2026-01-01T00:00:00.000Z';
    expect(eventPause({ manual: true, since, waitedSeconds: 600 }, options)).toEqual({
      kind: 'manual',
      since,
      timeoutSeconds: 3000,
    });
    expect(eventPause({ manual: true, since }, options)).toMatchObject({ timeoutSeconds: 3600 });
    expect(eventPause(null, options)).toBeUndefined();
  });
});

describe('deploymentEvents().publish', () => {
  const env = { ...process.env };
  let warn: jest.SpyInstance;
  beforeEach(() => {
    process.env.EVENT_BUS_NAME = 'deployments';
    process.env.CLUSTER_NAME = 'prod';
    process.env.SERVICE_NAME = 'web';
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    process.env = { ...env };
    warn.mockRestore();
  });

  function sender(answer: (request: AwsRequest) => AwsResponse): AwsSender & { requests: AwsRequest[] } {
    const requests: AwsRequest[] = [];
    return {
      region: 'us-east-1',
      requests,
      async send(request) {
        requests.push(request);
        return answer(request);
      },
    };
  }
  const ok = (body: unknown): AwsResponse => ({
    statusCode: 200,
    headers: {},
    body: Buffer.from(JSON.stringify(body)),
  });

  it("puts one entry on the stack's bus as EventBridge's JSON 1.1 PutEvents", async () => {
    const events = sender(() => ok({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }));

    await deploymentEvents(events).publish({ deployment, state: 'STARTED', step: 0 });

    expect(events.requests).toHaveLength(1);
    const [request] = events.requests;
    expect(request).toMatchObject({
      method: 'POST',
      hostname: 'events.us-east-1.amazonaws.com',
      headers: { 'x-amz-target': 'AWSEvents.PutEvents', 'content-type': 'application/x-amz-json-1.1' },
    });
    const { Entries } = JSON.parse(String(request?.body));
    expect(Entries).toHaveLength(1);
    expect(Entries[0]).toMatchObject({ EventBusName: 'deployments', Source: 'switchyard' });
    expect(JSON.parse(Entries[0].Detail)).toMatchObject({
      cluster: 'prod',
      service: 'web',
      state: 'STARTED',
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it('puts on the default bus when EVENT_BUS_NAME is unset', async () => {
    delete process.env.EVENT_BUS_NAME;
    const events = sender(() => ok({ FailedEntryCount: 0 }));
    await deploymentEvents(events).publish({ deployment, state: 'SUCCEEDED' });
    expect(JSON.parse(String(events.requests[0]?.body)).Entries[0].EventBusName).toBe('default');
  });

  it('logs one line and returns when the call fails', async () => {
    const events = sender(() => {
      throw new AwsCallError('AccessDeniedException', 'not authorized to perform events:PutEvents', 400);
    });

    await expect(
      deploymentEvents(events).publish({ deployment, state: 'FAILED', error: null }),
    ).resolves.toBeUndefined();

    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toEqual({
      deploymentEventNotPut: 'd-1:FAILED:0',
      error: 'AccessDeniedException: not authorized to perform events:PutEvents',
    });
  });

  it('logs one line when EventBridge answers 200 but refused the entry', async () => {
    const events = sender(() =>
      ok({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] }),
    );

    await deploymentEvents(events).publish({ deployment, state: 'PAUSED', step: 1 });

    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toEqual({
      deploymentEventNotPut: 'd-1:PAUSED:1',
      error: 'InternalFailure: try again',
    });
  });
});
