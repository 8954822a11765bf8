/**
 * What a person sees of a local run while it goes: one line per stage with its duration, the traffic bar after
 * each shift, and a line when the rollback starts.
 */
import type { RunEvent } from './state-machine';

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

/** `blue ███████░░░ 70 % | green ███░░░░░░░ 30 %` */
export function trafficBar(bluePercent: number, greenPercent: number): string {
  const bar = (percent: number) => '█'.repeat(Math.round(percent / 10)).padEnd(10, '░');
  return `blue ${bar(bluePercent)} ${String(bluePercent).padStart(3)} % | green ${bar(greenPercent)} ${String(greenPercent).padStart(3)} %`;
}

/** Prints one line per stage with its duration, the traffic bar at each step, and the rollback. */
export function progress(print: (line: string) => void): {
  onEvent: (event: RunEvent) => void;
  finish: () => void;
} {
  let stage: { name: string; since: number } | undefined;
  const end = (at: number, mark = '✔') => {
    if (stage)
      print(`${mark} ${stage.name.padEnd(13)} ${((at - stage.since) / 1000).toFixed(1).padStart(6)} s`);
  };
  // Choices, waits and passes keep the current stage.
  const onEvent = (event: RunEvent) => {
    if (event.type === 'state-entered') {
      const name = STAGES[event.state];
      if (name && name !== stage?.name) {
        end(event.at);
        stage = { name, since: event.at };
        if (name === 'Rollback')
          print('↩ rolling back: production returns to the live target group, green is removed');
      }
    } else if (event.type === 'state-exited' && event.state === 'ShiftTraffic') {
      const traffic = (event.output as { traffic?: { greenPercent: number } }).traffic;
      if (traffic) print(`  ${trafficBar(100 - traffic.greenPercent, traffic.greenPercent)}`);
    } else if (
      event.type === 'state-failed' &&
      STAGES[event.state] &&
      // A pause's callback wait that ran its whole time ends this way, as designed (not a failure).
      event.error !== 'States.HeartbeatTimeout'
    ) {
      end(event.at, '✘');
      stage = undefined;
    }
  };
  return {
    onEvent,
    finish: () => {
      end(Date.now());
      stage = undefined;
    },
  };
}
