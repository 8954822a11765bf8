/**
 * The lines of `switchyard local`'s screen, as text: a finished stage, the running stage's live lines (spinner,
 * elapsed time, the build's log, green's health, a pause's time left and how to end it).
 */
import { type Paint, seconds } from './screen-style';

/** A pause in force, as ShiftTraffic and CheckPause leave it in `$.traffic.pause` (functions/lib/deploy/state.ts). */
export type PauseState =
  | { remainingSeconds: number }
  | { manual: true; since: string; waitedSeconds?: number };

/** What a person needs to end a pause from another shell. */
export interface PauseControls {
  tableName: string;
  repository: string;
  endpoint: string;
  /** The stack's ManualPauseTimeoutMinutes: a manual pause rolls back after it. */
  manualPauseTimeoutMinutes: number;
}

const SPINNER = '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

/** `✔ Build            2.4 s`: a stage that ended (✘ when it failed). */
export function stageLine(name: string, ms: number, ok: boolean, paint: Paint): string {
  const head = `${ok ? '✔' : '✘'} ${name.padEnd(13)}`;
  return `${ok ? paint.green(head) : paint.red(head)} ${paint.dim(seconds(ms).padStart(8))}`;
}

/** `▸ Build`: a stage that started (plain lines only; a terminal shows the live line instead). */
export function stageStartLine(name: string): string {
  return `▸ ${name}`;
}

/** `⠹ Build           12.3 s`: the running stage, its spinner turning with the clock. */
export function runningLine(name: string, ms: number, now: number, paint: Paint): string {
  const spinner = SPINNER[Math.floor(now / 100) % SPINNER.length] ?? '·';
  return `${paint.yellow(spinner)} ${name.padEnd(13)} ${seconds(ms).padStart(8)}`;
}

/** `4 min 10 s`, `23 h 59 min`: a span of the pipeline's time. */
export function span(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const minutes = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)} h${minutes ? ` ${minutes} min` : ''}`;
}

/**
 * The pause in force: where traffic stands and the time left, in the pipeline's time (a local run compresses its
 * waits, so it passes faster here). Each line fits 80 columns.
 */
export function pauseLine(
  pause: PauseState,
  greenPercent: number,
  bake: boolean,
  controls: PauseControls,
  paint: Paint,
): string {
  const where = bake ? 'baking, blue kept running' : `paused at ${greenPercent} % green`;
  const left =
    'manual' in pause
      ? ` until promoted; rolls back in ${span(controls.manualPauseTimeoutMinutes * 60 - (pause.waitedSeconds ?? 0))}`
      : `: ${span(pause.remainingSeconds)} left`;
  return `  ${paint.yellow(`⏸ ${where}`)}${left}`;
}

/** How to end the pause: promote, or abort (Ctrl-C here, or switchyard abort from another shell). */
export function pauseHelp(controls: PauseControls, paint: Paint): string[] {
  return [
    '  promote: switchyard promote   abort: Ctrl-C, or switchyard abort   each with',
    `    --table ${controls.tableName} --repository ${controls.repository}`,
    paint.dim(`    env: AWS_ENDPOINT_URL=${controls.endpoint} and its keys (--keep prints)`),
  ];
}

/** The build's last log lines, under the running line. */
export function logLines(lines: string[], paint: Paint): string[] {
  // A build's own escape codes or carriage returns would break the region's redraw.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
  return lines.map((line) => paint.dim(`  │ ${line.replace(/[\x00-\x1f\x7f]/g, ' ')}`));
}
