/**
 * Deployment state-change events on EventBridge (docs/EVENTS.md): one event per change of a deployment, put by the
 * state that owns the change (STARTED by AcquireLock, TRAFFIC_SHIFTED by ShiftTraffic, PAUSED by the arming of a
 * pause or the bake, the end states by RecordResult, or by CleanUp for a run stopped, timed out or failed outside the
 * machine's catches), so teams route them to a chat, SNS or anything else.
 * An event never fails or slows a deployment: PutEvents has a short timeout and two attempts, and any failure is
 * logged in one line and swallowed. EventBridge has no idempotency token
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html), so each event carries an
 * `eventId` a retried state puts again unchanged, for consumers to drop a duplicate.
 * PutEvents is sent as an AWS JSON 1.1 request (aws-json.ts): @aws-sdk/client-eventbridge would add its weight to
 * every emitting function's bundle for this one call.
 */
import type { ClientSettings } from '../shared/aws-clients';
import { awsJson, type JsonClient, type JsonService, jsonClient } from '../shared/aws-json';
import { bounded } from '../shared/json';
import { logger } from '../shared/log';
import type { AwsSender } from '../shared/signed-request';
import type { Deployment } from './record-model';

/** The `source` of every event (docs/EVENTS.md). */
export const EVENT_SOURCE = 'switchyard';
/** The `detail-type` of every event. */
export const EVENT_DETAIL_TYPE = 'Switchyard Deployment State Change';
/** The version of the detail's schema; a change that removes or renames a field raises it. */
export const EVENT_SCHEMA_VERSION = 1;

/** The states an event reports. */
export const DEPLOYMENT_EVENT_STATES = [
  'STARTED',
  'TRAFFIC_SHIFTED',
  'PAUSED',
  'SUCCEEDED',
  'ROLLED_BACK',
  'FAILED',
  'ROLLBACK_FAILED',
  'ABORTED',
  'SUPERSEDED',
] as const;
export type DeploymentEventState = (typeof DEPLOYMENT_EVENT_STATES)[number];

/** The pause a PAUSED event reports. */
export type EventPause =
  | { kind: 'timed' | 'bake'; remainingSeconds: number }
  | { kind: 'manual'; since: string; timeoutSeconds: number };

/** What the state that emits knows of the change. */
export interface DeploymentChange {
  deployment: Deployment;
  state: DeploymentEventState;
  /** The traffic steps applied so far (0 before the first): part of `eventId`. */
  step?: number;
  greenPercent?: number;
  pause?: EventPause;
  error?: { name: string; message: string } | null;
}

/** The event's `detail` (docs/EVENTS.md). */
export interface DeploymentEventDetail {
  version: number;
  eventId: string;
  deploymentId: string;
  repository: string;
  branch: string;
  commitId: string;
  cluster: string;
  service: string;
  state: DeploymentEventState;
  step?: number;
  greenPercent?: number;
  pause?: EventPause;
  error?: { name: string; message: string };
  at: string;
  executionArn: string;
}

/** One PutEvents entry, as the API names its fields. */
export interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: number;
  Resources?: string[];
}

/** The service the events go to; AWS_ENDPOINT_URL_EVENTBRIDGE or AWS_ENDPOINT_URL replaces the endpoint. */
const EVENTBRIDGE: JsonService = {
  signingName: 'events',
  endpointId: 'EVENTBRIDGE',
  targetPrefix: 'AWSEvents',
  jsonVersion: '1.1',
  hostPrefix: 'events',
};

/** A hung or slow EventBridge costs a deployment at most about 2 × 2 s. */
const EVENT_CALLS: ClientSettings = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  socketTimeoutMs: 2000,
  maxAttempts: 2,
};

/** An error message is cut here: the whole entry must stay under PutEvents' 256 KB. */
const ERROR_MESSAGE_LIMIT = 2000;

/**
 * The PAUSED event's pause, from the pause a check left (`{remainingSeconds}` or a manual one, as
 * functions/lib/deploy/state.ts has them); undefined when there is none.
 */
export function eventPause(
  pause: { remainingSeconds: number } | { manual: true; since: string; waitedSeconds?: number } | null,
  options: { bake: boolean; manualPauseTimeoutMinutes: number },
): EventPause | undefined {
  if (!pause) return undefined;
  if ('manual' in pause) {
    const timeoutSeconds = options.manualPauseTimeoutMinutes * 60 - (pause.waitedSeconds ?? 0);
    return { kind: 'manual', since: pause.since, timeoutSeconds: Math.max(0, timeoutSeconds) };
  }
  return { kind: options.bake ? 'bake' : 'timed', remainingSeconds: pause.remainingSeconds };
}

/** The id a consumer dedupes by: the same change put again by a retried state has the same id. */
export function eventIdOf(deploymentId: string, state: DeploymentEventState, step = 0): string {
  return `${deploymentId}:${state}:${step}`;
}

/** The PutEvents entry of a change of `deployment` on the stack's service. */
export function deploymentEvent(
  change: DeploymentChange,
  target: { busName: string; cluster: string; service: string },
  at: Date = new Date(),
): PutEventsEntry {
  const { deployment, state } = change;
  const detail: DeploymentEventDetail = {
    version: EVENT_SCHEMA_VERSION,
    eventId: eventIdOf(deployment.id, state, change.step),
    deploymentId: deployment.id,
    repository: deployment.repository,
    branch: deployment.branch,
    commitId: deployment.commitId,
    cluster: target.cluster,
    service: target.service,
    state,
    ...(change.step === undefined ? {} : { step: change.step }),
    ...(change.greenPercent === undefined ? {} : { greenPercent: change.greenPercent }),
    ...(change.pause ? { pause: change.pause } : {}),
    ...(change.error
      ? { error: { name: change.error.name, message: bounded(change.error.message, ERROR_MESSAGE_LIMIT) } }
      : {}),
    at: at.toISOString(),
    executionArn: deployment.executionId,
  };
  return {
    Source: EVENT_SOURCE,
    DetailType: EVENT_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    EventBusName: target.busName,
    // PutEvents' Time is a timestamp, which the JSON protocol sends as epoch seconds.
    Time: Math.floor(at.getTime() / 1000),
    // Resources must be ARNs; a local execution's id may not be one.
    ...(deployment.executionId?.startsWith('arn:') ? { Resources: [deployment.executionId] } : {}),
  };
}

/** What PutEvents answers. */
type PutEventsOutput = {
  FailedEntryCount?: number;
  Entries?: { ErrorCode?: string; ErrorMessage?: string }[];
};

/** Puts the events of one function; created once in its handler. */
export interface DeploymentEvents {
  publish(change: DeploymentChange): Promise<void>;
}

/**
 * The events of a handler: the bus from EVENT_BUS_NAME ("default" when unset), the service from CLUSTER_NAME and
 * SERVICE_NAME, read at each publish (the local runner runs many stacks in one process). `sender` replaces the
 * signed requests' (tests).
 */
export function deploymentEvents(sender?: AwsSender): DeploymentEvents {
  let events: JsonClient | undefined = sender ? { service: EVENTBRIDGE, sender } : undefined;
  return {
    async publish(change) {
      const eventId = change?.deployment ? eventIdOf(change.deployment.id, change.state, change.step) : '';
      try {
        events ??= jsonClient(EVENTBRIDGE, EVENT_CALLS);
        const entry = deploymentEvent(change, {
          busName: process.env.EVENT_BUS_NAME || 'default',
          cluster: process.env.CLUSTER_NAME ?? '',
          service: process.env.SERVICE_NAME ?? '',
        });
        const answer = await awsJson<PutEventsOutput>(events, 'events:PutEvents', { Entries: [entry] });
        // PutEvents answers 200 even when it refused the entry: the entry's ErrorCode says why.
        if (answer.FailedEntryCount) {
          const refused = answer.Entries?.[0];
          const code = refused?.ErrorCode ?? 'EntryRefused';
          throw Object.assign(new Error(refused?.ErrorMessage ?? 'PutEvents refused the entry'), {
            name: code,
          });
        }
      } catch (error) {
        const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
        const reason = `${name}: ${bounded(message, 300)}`;
        logger.warn(`deployment event ${eventId} not put: ${reason}`, {
          deploymentEventNotPut: eventId,
          error: reason,
        });
      }
    },
  };
}
