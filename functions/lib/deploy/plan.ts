/**
 * The traffic planner: expands a TrafficStrategy (a CodeDeploy-style name or an explicit JSON list) into the
 * steps the state machine walks through. Pure: no AWS, no clock.
 *
 * Semantics, from the CodeDeploy and ECS documentation:
 * - Canary (`TimeBasedCanary`) shifts traffic "in two increments": P % first, then, `canaryInterval` minutes
 *   later, the rest.
 * - Linear (`TimeBasedLinear`) shifts "in equal increments, with an equal number of minutes between each
 *   increment": P %, 2P %, … until 100 %. The wait is *between* increments, so there is none after the one that
 *   reaches 100 % (ECS's own linear strategy says the same: "not applied after reaching 100 percent"). When P
 *   does not divide 100 the last increment is smaller (Linear30… = 30, 60, 90, 100).
 * - The step that reaches 100 % never pauses: the bake follows it.
 */
import { InvalidInputError } from '../shared/errors';
import { echo } from '../shared/json';

/** One traffic step: send `greenPercent` of production traffic to green, then wait (or wait for an operator). */
export type TrafficStep =
  | { greenPercent: number; pauseSeconds: number }
  | { greenPercent: number; pause: 'manual' };

/** CodeDeploy's predefined ECS deployment configurations, as accepted (with or without `CodeDeployDefault.ECS`). */
export const PRESETS = [
  'AllAtOnce',
  'Canary10Percent5Minutes',
  'Canary10Percent15Minutes',
  'Linear10PercentEvery1Minutes',
  'Linear10PercentEvery3Minutes',
] as const;

const PARAMETER = 'TrafficStrategy';
const CODEDEPLOY_PREFIX = /^CodeDeployDefault\.ECS/i;
const ALL_AT_ONCE = /^AllAtOnce$/i;
// "Minute" too: CodeDeploy spells its Lambda presets that way (LambdaLinear10PercentEvery1Minute).
const CANARY = /^Canary(\d+)Percent(\d+)Minutes?$/i;
const LINEAR = /^Linear(\d+)PercentEvery(\d+)Minutes?$/i;
const STEP_KEYS = new Set(['greenPercent', 'pauseSeconds', 'pause']);
/** A Standard Step Functions execution lasts at most one year, so no pause can be longer. */
export const MAX_PAUSE_SECONDS = 365 * 24 * 3600;

const FORMS =
  `expected AllAtOnce, Canary<P>Percent<M>Minutes, Linear<P>PercentEvery<M>Minutes (optionally prefixed ` +
  `CodeDeployDefault.ECS, e.g. ${PRESETS.slice(1).join(', ')}) or a JSON list of steps such as ` +
  `[{"greenPercent":10,"pauseSeconds":300},{"greenPercent":100}]`;

function invalid(detail: string): InvalidInputError {
  return new InvalidInputError(`${PARAMETER} ${detail}`);
}

/** Expands a TrafficStrategy parameter value into steps that end at 100 %; throws InvalidInputError naming the fix. */
export function planTraffic(strategy: string): TrafficStep[] {
  const text = strategy.trim();
  if (text === '') throw invalid(`is empty; ${FORMS}`);
  if (text.startsWith('[') || text.startsWith('{')) return planFromJson(text);
  return planFromName(text);
}

function planFromName(text: string): TrafficStep[] {
  const name = text.replace(CODEDEPLOY_PREFIX, '');
  if (ALL_AT_ONCE.test(name)) return [{ greenPercent: 100, pauseSeconds: 0 }];

  const canary = CANARY.exec(name);
  if (canary) {
    const percent = Number(canary[1]);
    const minutes = Number(canary[2]);
    checkNamedPause(text, minutes);
    if (percent === 0) throw invalid(`"${text}": a canary of 0 % sends no traffic to green; use 1 to 99`);
    if (percent >= 100) {
      throw invalid(
        `"${text}": a canary of ${percent} % leaves nothing for the second increment; use 1 to 99, or AllAtOnce`,
      );
    }
    return [
      { greenPercent: percent, pauseSeconds: minutes * 60 },
      { greenPercent: 100, pauseSeconds: 0 },
    ];
  }

  const linear = LINEAR.exec(name);
  if (linear) {
    const percent = Number(linear[1]);
    const minutes = Number(linear[2]);
    checkNamedPause(text, minutes);
    if (percent === 0) throw invalid(`"${text}": an increment of 0 % never reaches 100 %; use 1 to 100`);
    if (percent > 100) throw invalid(`"${text}": an increment of ${percent} % is over 100 %; use 1 to 100`);
    const steps: TrafficStep[] = [];
    for (let green = percent; green < 100; green += percent) {
      steps.push({ greenPercent: green, pauseSeconds: minutes * 60 });
    }
    steps.push({ greenPercent: 100, pauseSeconds: 0 });
    return steps;
  }

  throw invalid(`"${text}" is not a strategy Switchyard knows; ${FORMS}`);
}

function checkNamedPause(text: string, minutes: number): void {
  if (minutes * 60 > MAX_PAUSE_SECONDS) {
    throw invalid(`"${text}": a wait of ${minutes} minutes is longer than an execution can last (one year)`);
  }
}

function planFromJson(text: string): TrafficStep[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`is not valid JSON (${(error as Error).message}); ${FORMS}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw invalid(`must be a non-empty JSON list of steps; ${FORMS}`);
  }
  const steps = parsed.map((raw, index) => parseStep(raw, index, index === parsed.length - 1));
  steps.reduce((previous, step, index) => {
    if (step.greenPercent <= previous) {
      throw invalid(
        `step ${index + 1} sends ${step.greenPercent} % to green after step ${index} sent ${previous} %; ` +
          'each step must send more than the one before',
      );
    }
    return step.greenPercent;
  }, 0);
  return steps;
}

function parseStep(raw: unknown, index: number, last: boolean): TrafficStep {
  const where = `step ${index + 1}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw invalid(`${where} is ${echo(raw)}; expected an object like {"greenPercent":10,"pauseSeconds":300}`);
  }
  const step = raw as Record<string, unknown>;
  const unknown = Object.keys(step).filter((key) => !STEP_KEYS.has(key));
  if (unknown.length > 0) {
    throw invalid(
      `${where} has unknown keys ${unknown.join(', ')}; a step has greenPercent and pauseSeconds or "pause": "manual"`,
    );
  }

  const green = step.greenPercent;
  if (typeof green !== 'number' || !Number.isInteger(green)) {
    throw invalid(`${where}: greenPercent is ${echo(green)}; expected a whole number from 1 to 100`);
  }
  if (green <= 0) throw invalid(`${where}: greenPercent ${green} sends no traffic to green; use 1 to 100`);
  if (green > 100) throw invalid(`${where}: greenPercent ${green} is over 100`);

  const { pauseSeconds, pause } = step;
  if (pause !== undefined && pause !== 'manual') {
    throw invalid(
      `${where}: pause is ${echo(pause)}; the only pause value is "manual" (else use pauseSeconds)`,
    );
  }
  if (pause !== undefined && pauseSeconds !== undefined) {
    throw invalid(`${where} has both pauseSeconds and "pause": "manual"; give one`);
  }
  if (pauseSeconds !== undefined && (typeof pauseSeconds !== 'number' || !Number.isInteger(pauseSeconds))) {
    throw invalid(
      `${where}: pauseSeconds is ${echo(pauseSeconds)}; expected a whole number of seconds, 0 or more`,
    );
  }
  if (typeof pauseSeconds === 'number' && pauseSeconds < 0) {
    throw invalid(`${where}: pauseSeconds ${pauseSeconds} is negative; use 0 or more`);
  }
  if (typeof pauseSeconds === 'number' && pauseSeconds > MAX_PAUSE_SECONDS) {
    throw invalid(`${where}: pauseSeconds ${pauseSeconds} is longer than an execution can last (one year)`);
  }

  if (last) {
    if (green !== 100) {
      throw invalid(`ends at ${green} %; the last step must send 100 % to green (add {"greenPercent":100})`);
    }
    if (pause !== undefined || (typeof pauseSeconds === 'number' && pauseSeconds > 0)) {
      throw invalid(`${where} (100 %) has a pause; the last step takes none, the bake follows it: remove it`);
    }
    return { greenPercent: 100, pauseSeconds: 0 };
  }
  if (green === 100) {
    throw invalid(`${where} reaches 100 % but more steps follow; 100 % must be the last step`);
  }
  if (pause === 'manual') return { greenPercent: green, pause: 'manual' };
  if (pauseSeconds === undefined) {
    throw invalid(`${where} (${green} %) needs "pauseSeconds" (0 or more) or "pause": "manual"`);
  }
  return { greenPercent: green, pauseSeconds: pauseSeconds as number };
}

/** A one-line human description of a plan, for logs and the CLI (`10 %, wait 5 min → 100 %`). */
export function describePlan(steps: readonly TrafficStep[]): string {
  if (steps.length === 1) return 'all at once: 100 % to green';
  const uniform = uniformLinear(steps);
  if (uniform) {
    return `linear: +${uniform.increment} % every ${formatDuration(uniform.pauseSeconds)}, ${steps.length} steps to 100 %`;
  }
  return steps
    .map((step) => {
      if ('pause' in step) return `${step.greenPercent} %, wait for promote`;
      if (step.greenPercent === 100) return '100 %';
      return step.pauseSeconds > 0
        ? `${step.greenPercent} %, wait ${formatDuration(step.pauseSeconds)}`
        : `${step.greenPercent} %`;
    })
    .join(' → ');
}

/** Three or more timed steps of one increment and one pause (the last may be shorter): a linear plan. */
function uniformLinear(
  steps: readonly TrafficStep[],
): { increment: number; pauseSeconds: number } | undefined {
  if (steps.length < 3) return undefined;
  const first = steps[0];
  if (!first || 'pause' in first || first.pauseSeconds === 0) return undefined;
  const increment = first.greenPercent;
  const body = steps.slice(0, -1);
  const regular = body.every(
    (step, index) =>
      !('pause' in step) &&
      step.greenPercent === increment * (index + 1) &&
      step.pauseSeconds === first.pauseSeconds,
  );
  return regular ? { increment, pauseSeconds: first.pauseSeconds } : undefined;
}

function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) {
    const minutes = seconds / 60;
    return minutes > 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  }
  return `${seconds} s`;
}
