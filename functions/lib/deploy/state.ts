/**
 * The shape of the deploy stage's state as it travels through the machine: what each deploy function reads and
 * returns, and the checks that an event carries it. One module, so the ASL's paths and the handlers agree. Every
 * function of the deploy stage gets `{deployment, render, green?, traffic?, ...}` and returns the part it owns, at
 * the ResultPath named here.
 */

import type { Deployment } from '../record/deployments';
import type { ParsedAppSpec } from '../render/appspec';
import { InvalidInputError } from '../shared/errors';
import type { TrafficStep } from './plan';

/** `$.render`: the revision to deploy and the AppSpec's deployment settings (RenderTaskDefinition's output). */
export interface RenderedRevision {
  taskDefinitionArn: string;
  appspec: ParsedAppSpec;
}

/** `$.green`: what CreateGreen made and found (input of every later deploy function). */
export interface GreenState {
  cluster: string;
  service: string;
  productionListenerArn: string;
  /** '' when the stack has no test listener. */
  testListenerArn: string;
  /** The target group production forwards to before this deployment (blue). */
  liveTargetGroupArn: string;
  greenTargetGroupArn: string;
  /** The PRIMARY task set before this deployment; null on the first deployment of a service. */
  blueTaskSetArn: string | null;
  greenTaskSetArn: string;
  createdAt: string;
  /** Seconds between two CheckGreen polls, and the deadline after which green counts as failed. */
  pollSeconds: number;
  /** Seconds before the first CheckGreen (WaitForGreenHealth): when green can first be healthy (green-first-check.ts). */
  firstCheckSeconds?: number;
  healthyBy: string;
}

/** `$.greenCheck`: one CheckGreen poll. Not ready past `healthyBy` throws GreenUnhealthyError instead. */
export interface GreenCheckState {
  ready: boolean;
  summary: string;
}

/**
 * A pause after a step or the bake, counted in the machine's own waits (not the clock), so local runs that shorten
 * every Wait shorten the pause too: the seconds still to wait, or until promoted; null when there is none.
 */
export type Pause = { remainingSeconds: number } | ManualPause | null;

/**
 * A pause until `switchyard promote`: since when (the step's time), and the seconds the machine has waited in it
 * (absent before the first check), which ManualPauseTimeoutMinutes bounds.
 */
export interface ManualPause {
  manual: true;
  since: string;
  waitedSeconds?: number;
}

/** `$.traffic`: the shift loop's counter and the pause in force. */
export interface TrafficState {
  /** The plan, from the TRAFFIC_STRATEGY planner, fixed when the shift starts. */
  steps: TrafficStep[];
  /** Index of the step ShiftTraffic applies next; equals steps.length when production is at 100 % green. */
  nextStep: number;
  /** The step just applied. */
  greenPercent: number;
  /** Weights read back from the production listener after the write, by target group ARN. */
  observedWeights: Record<string, number>;
  /** The pause after the step just applied (the bake after the step that reaches 100 %). */
  pause: Pause;
  /**
   * The first wait of the pause, at least 1 (WaitInPause's TimeoutSecondsPath): the pause, at most
   * MAX_CHECK_INTERVAL_SECONDS; CheckPause sets the next one. The wait's own check runs at once when it starts.
   */
  waitSeconds: number;
  done: boolean;
}

/**
 * `$.pauseCheck`: CheckPause's answer during a traffic pause or the bake, fed back to the next check. Alarm or abort
 * throw instead.
 */
export interface PauseCheckState {
  status: 'WAIT' | 'CONTINUE';
  /** Seconds the machine waits before the next check, which receives them as `waitedSeconds`. */
  waitSeconds: number;
  /** What is left of the pause after that wait is counted; null once it is over. */
  pause: Pause;
}

/** The input every deploy-stage function receives (fields present once the state that sets them has run). */
export interface DeployInput {
  deployment: Deployment;
  render: RenderedRevision;
  green?: GreenState;
  traffic?: TrafficState;
  /** Set by a Catch: `{Error, Cause}` of the failure that sends the deployment to Rollback. */
  error?: { Error: string; Cause?: string };
}

/**
 * Longest one callback wait of a pause lasts: the slow safety check of the alarms, should their "CloudWatch Alarm
 * State Change" event be lost. Alarms, promote and abort wake the wait at once (functions/lib/deploy/pause-wait.ts);
 * 300 s keeps a 5-minute pause or bake to one wait.
 */
export const MAX_CHECK_INTERVAL_SECONDS = 300;

/** Seconds between two CheckGreen polls. */
export const GREEN_POLL_SECONDS = 10;

/** Seconds to wait before the next check of a timed pause with `remainingSeconds` left (0 when it is over). */
export function nextWait(remainingSeconds: number): number {
  return Math.min(MAX_CHECK_INTERVAL_SECONDS, Math.max(0, Math.ceil(remainingSeconds)));
}

/** Throws InvalidInputError unless the event carries a deployment. */
export function requireDeployment(deployment: Deployment | undefined, state: string, sample: string): void {
  if (!deployment || typeof deployment.id !== 'string' || typeof deployment.startedAt !== 'string') {
    throw new InvalidInputError(
      `${state} expects {"deployment": {"id", "repository", "startedAt", ...}, ...} as the state machine passes it (see ${sample})`,
    );
  }
}

/** The event's GreenState; InvalidInputError when it is missing or incomplete. */
export function requireGreen(
  input: { deployment?: Deployment; green?: GreenState },
  state: string,
  sample: string,
): GreenState {
  requireDeployment(input.deployment, state, sample);
  const green = input.green;
  if (!green?.greenTaskSetArn || !green.greenTargetGroupArn || !green.liveTargetGroupArn) {
    throw new InvalidInputError(
      `${state} expects "green" as CreateGreen returns it (greenTaskSetArn, greenTargetGroupArn, ` +
        `liveTargetGroupArn, ...): see ${sample}`,
    );
  }
  return green;
}
