/**
 * The shape of the deploy stage's state as it travels through the machine: what each deploy function reads and
 * returns. One module, so the ASL's paths and the handlers agree. Every function of the deploy stage gets
 * `{deployment, render, green?, traffic?, ...}` and returns the part it owns, at the ResultPath named here.
 */
import type { ParsedAppSpec } from './appspec';
import type { Deployment } from './deployments';
import type { TrafficStep } from './plan';

/** `$.render`: the revision to deploy and the AppSpec's deployment settings (RenderTaskDefinition's output). */
export interface RenderedRevision {
  taskDefinitionArn: string;
  appspec: ParsedAppSpec;
}

/** `$.lock`: AcquireLock's answer. WAITING loops through a Wait; SUPERSEDED ends the execution. */
export interface LockState {
  status: 'ACQUIRED' | 'WAITING' | 'SUPERSEDED';
  /** Who holds the lock while this one waits, or which newer commit superseded it. */
  holder?: { deploymentId: string; commitId: string; since: string };
  supersededBy?: { deploymentId: string; commitId: string };
  /** Seconds the machine waits before asking again. */
  pollSeconds: number;
  waitingSince: string;
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
  healthyBy: string;
}

/** `$.greenCheck`: one CheckGreen poll. Not ready past `healthyBy` throws GreenUnhealthyError instead. */
export interface GreenCheckState {
  ready: boolean;
  summary: string;
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
  /** The pause after the step just applied: until a time, or until promoted; null when there is none. */
  pause: { until: string } | { manual: true; since: string } | null;
  /** Seconds the machine waits before the next CheckPause (at most 30, so alarms and abort are seen quickly). */
  waitSeconds: number;
  done: boolean;
}

/** `$.pauseCheck`: CheckPause's answer during a traffic pause or the bake. Alarm or abort throw instead. */
export interface PauseCheckState {
  status: 'WAIT' | 'CONTINUE';
  waitSeconds: number;
}

/** `$.bake`: the termination wait after production reached 100 % green. */
export interface BakeState {
  until: string;
  waitSeconds: number;
}

/** The input every deploy-stage function receives (fields present once the state that sets them has run). */
export interface DeployInput {
  deployment: Deployment;
  render: RenderedRevision;
  green?: GreenState;
  traffic?: TrafficState;
  bake?: BakeState;
  /** Set by a Catch: `{Error, Cause}` of the failure that sends the deployment to Rollback. */
  error?: { Error: string; Cause?: string };
}

/** Longest the machine waits between two checks during a pause, so alarms and abort are noticed in time. */
export const MAX_CHECK_INTERVAL_SECONDS = 30;

/** Seconds to wait before the next check of a pause that ends at `until` (0 when it has ended). */
export function secondsUntilNextCheck(until: string, now: Date = new Date()): number {
  const left = Math.ceil((Date.parse(until) - now.getTime()) / 1000);
  return Math.max(0, Math.min(MAX_CHECK_INTERVAL_SECONDS, left));
}
