/**
 * What a person sees of a local run while it goes. Each stage becomes a permanent line with ✔ or ✘ and its
 * duration; the traffic bar follows each shift; a line says when the rollback starts. On a terminal the running
 * stage is shown live below them (screen-live.ts): its elapsed time, the build's last log lines, green's targets'
 * health, a pause's time left and how to end it. Elsewhere a plain line marks each stage's start.
 */
import type { RunEvent } from './run-events';
import { type LiveDetails, liveDetails } from './screen-details';
import {
  logLines,
  type PauseControls,
  type PauseState,
  pauseHelp,
  pauseLine,
  runningLine,
  stageLine,
  stageStartLine,
} from './screen-lines';
import { plainScreen, type Screen } from './screen-live';

/** Which stage a state belongs to, for the progress lines. */
const STAGES: Record<string, string> = {
  Prepare: 'Source',
  ArchiveSource: 'Source',
  StartBuild: 'Build',
  WaitForBuild: 'Build',
  CheckBuild: 'Build',
  RenderTaskDefinition: 'Render',
  AcquireLock: 'Lock',
  BeforeInstallHooks: 'Green',
  CreateGreen: 'Green',
  AfterInstallHooks: 'Green',
  CheckGreen: 'Green',
  AllowTestTraffic: 'Test traffic',
  AfterAllowTestTrafficHooks: 'Test traffic',
  BeforeAllowTrafficHooks: 'Test traffic',
  ShiftTraffic: 'Shift',
  CheckPause: 'Shift',
  WaitInPause: 'Shift',
  AfterAllowTrafficHooks: 'Bake',
  CheckBake: 'Bake',
  WaitInBake: 'Bake',
  Finalize: 'Finalize',
  Rollback: 'Rollback',
};

/** The states whose output carries `$.traffic` (the step applied and the pause in force). */
const TRAFFIC_STATES = new Set(['ShiftTraffic', 'CheckPause', 'CheckBake']);
/** The callback waits of a pause and of the bake. */
const PAUSE_WAITS = new Set(['WaitInPause', 'WaitInBake']);

/** `blue ███████░░░ 70 % | green ███░░░░░░░ 30 %` */
export function trafficBar(bluePercent: number, greenPercent: number): string {
  const bar = (percent: number) => '█'.repeat(Math.round(percent / 10)).padEnd(10, '░');
  return `blue ${bar(bluePercent)} ${String(bluePercent).padStart(3)} % | green ${bar(greenPercent)} ${String(greenPercent).padStart(3)} %`;
}

/** What the live lines of a pause need; without it a pause shows no help. */
export interface ProgressOptions {
  controls?: PauseControls;
  /** The live details' reader (tests give their own); made when the screen is live. */
  details?: LiveDetails;
}

/** Follows the run's events onto the screen (a print function: plain lines). */
export function progress(
  output: Screen | ((line: string) => void),
  options: ProgressOptions = {},
): {
  onEvent: (event: RunEvent) => void;
  finish: () => void;
} {
  const screen = typeof output === 'function' ? plainScreen(output) : output;
  const { paint } = screen;
  const details = screen.live ? (options.details ?? liveDetails()) : undefined;
  let stage: { name: string; since: number } | undefined;
  /** In a pause's or the bake's wait since it began (its checks between waits included), until the next step. */
  let pausing: 'pause' | 'bake' | undefined;
  let traffic: { greenPercent: number; pause: PauseState | null } | undefined;
  let manualPauseShown = false;

  const render = (): string[] => {
    if (!stage) return [];
    const now = Date.now();
    const lines = [runningLine(stage.name, now - stage.since, now, paint)];
    if (stage.name === 'Build' && details) lines.push(...logLines(details.buildLog, paint));
    if (stage.name === 'Green' && details?.health) lines[0] += `   targets ${details.health}`;
    if (pausing && traffic?.pause && options.controls) {
      const bake = pausing === 'bake';
      lines.push(pauseLine(traffic.pause, traffic.greenPercent, bake, options.controls, paint));
      lines.push(...pauseHelp(options.controls, paint));
    }
    return lines;
  };

  const end = (at: number, ok = true) => {
    if (stage) screen.print(stageLine(stage.name, at - stage.since, ok, paint));
  };
  const start = (name: string, at: number) => {
    end(at);
    stage = { name, since: at };
    pausing = undefined;
    details?.want(name === 'Build' ? 'build' : name === 'Green' ? 'green' : undefined);
    if (screen.live) screen.show(render);
    else screen.print(stageStartLine(name));
    if (name === 'Rollback')
      screen.print('↩ rolling back: production returns to the live target group, green is removed');
  };

  // Choices, waits and passes keep the current stage.
  const onEvent = (event: RunEvent) => {
    if (event.type === 'state-entered') {
      const name = STAGES[event.state];
      if (name && name !== stage?.name) start(name, event.at);
      if (event.state === 'ShiftTraffic') pausing = undefined;
      if (PAUSE_WAITS.has(event.state)) {
        pausing = event.state === 'WaitInBake' ? 'bake' : 'pause';
        showManualPause();
      }
    } else if (event.type === 'state-exited') {
      followOutput(event.state, event.output);
    } else if (
      event.type === 'state-failed' &&
      STAGES[event.state] &&
      // A pause's callback wait that ran its whole time ends this way, as designed (not a failure).
      event.error !== 'States.HeartbeatTimeout'
    ) {
      end(event.at, false);
      stage = undefined;
    }
  };

  const followOutput = (state: string, output: unknown) => {
    const out = (output ?? {}) as {
      build?: { id?: string };
      green?: { greenTargetGroupArn?: string };
      traffic?: { greenPercent: number; pause: PauseState | null };
    };
    if (state === 'StartBuild' && out.build?.id) details?.followBuild(out.build.id);
    if (state === 'CreateGreen' && out.green?.greenTargetGroupArn)
      details?.followGreen(out.green.greenTargetGroupArn);
    if (TRAFFIC_STATES.has(state) && out.traffic) traffic = out.traffic;
    if (state === 'ShiftTraffic' && out.traffic) {
      manualPauseShown = false;
      screen.print(`  ${trafficBar(100 - out.traffic.greenPercent, out.traffic.greenPercent)}`);
    }
  };

  // Plain lines: a manual pause waits for a person, so it says once how to end it.
  const showManualPause = () => {
    if (screen.live || manualPauseShown || !traffic?.pause || !('manual' in traffic.pause)) return;
    if (!options.controls) return;
    manualPauseShown = true;
    screen.print(pauseLine(traffic.pause, traffic.greenPercent, false, options.controls, paint));
    for (const line of pauseHelp(options.controls, paint)) screen.print(line);
  };

  return {
    onEvent,
    finish: () => {
      end(Date.now());
      stage = undefined;
      details?.stop();
      screen.show(undefined);
    },
  };
}
