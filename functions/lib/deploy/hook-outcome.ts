/**
 * What one hook's Invoke means: passed or failed, and why. It fails closed: a hook passes only when it said
 * "Succeeded", spelled as CodeDeploy spells it, and said nothing else:
 * - by answering `{"status": "Succeeded"}`, or
 * - by reporting Succeeded through PutLifecycleEventHookExecutionStatus with hooks/switchyard-codedeploy.js, which
 *   writes a status line (`SWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId", "status"}`) to the hook's log.
 *   Lambda returns only the last 4 KB of an invocation's log (LogType Tail), so only lines there are seen.
 * A function error, any other status (answered or reported, in any case: CodeDeploy's API refuses "succeeded"
 * too), or no status at all (null, a string, `{}`) fails. When both ways are used, each must say Succeeded.
 */

/** The prefix of the line hooks/switchyard-codedeploy.js writes to stdout for each status it reports. */
export const STATUS_LINE_MARKER = 'SWITCHYARD_HOOK_STATUS ';
/** The only status that passes, as CodeDeploy's PutLifecycleEventHookExecutionStatus spells it. */
export const SUCCEEDED = 'Succeeded';
/** How much of a log Lambda returns with LogType Tail. */
export const LOG_TAIL_BYTES = 4096;

const MAX_ERROR = 1000;
const MAX_QUOTE = 300;

/** What one Invoke of a hook gave back, decoded. */
export interface HookAnswer {
  /** Lambda's FunctionError (`Unhandled`), when the function failed. */
  functionError?: string | undefined;
  /** The function's answer as text ('' when it gave none). */
  payload: string;
  /** The end of the invocation's log (LogResult, decoded); '' when Lambda returned none. */
  logTail: string;
}

/** How a hook passed, or why it failed (one clause, for HookFailedError). */
export type HookOutcome = { passed: true; by: 'answer' | 'status line' } | { passed: false; reason: string };

/** The statuses reported for `executionId` by status lines in `logTail`, in log order. */
export function reportedStatuses(logTail: string, executionId: string): unknown[] {
  const statuses: unknown[] = [];
  for (const line of logTail.split('\n')) {
    const text = messageOf(line);
    const at = text.indexOf(STATUS_LINE_MARKER);
    if (at < 0) continue;
    const fields = objectOf(parseJson(text.slice(at + STATUS_LINE_MARKER.length).trim()));
    if (fields?.lifecycleEventHookExecutionId === executionId) statuses.push(fields.status);
  }
  return statuses;
}

/** Judges one hook's answer and log tail (see the top of this file). */
export function hookOutcome(answer: HookAnswer, executionId: string): HookOutcome {
  const payload = answer.payload === '' ? null : parseJson(answer.payload, answer.payload);
  const fields = objectOf(payload);
  if (answer.functionError) {
    const type = typeof fields?.errorType === 'string' ? fields.errorType : answer.functionError;
    const message =
      typeof fields?.errorMessage === 'string' ? fields.errorMessage : quote(answer.payload, MAX_ERROR);
    return { passed: false, reason: `${type}: ${truncate(message, MAX_ERROR)}` };
  }
  const reported = reportedStatuses(answer.logTail, executionId);
  const badReport = reported.find((status) => status !== SUCCEEDED);
  if (badReport !== undefined) {
    return {
      passed: false,
      reason: `reported status ${JSON.stringify(badReport)} through PutLifecycleEventHookExecutionStatus${spelling(badReport)}`,
    };
  }
  const answered = fields && Object.hasOwn(fields, 'status') ? fields.status : undefined;
  if (answered !== undefined && answered !== SUCCEEDED) {
    const said = [fields?.message, fields?.reason, fields?.errorMessage].find(
      (value) => typeof value === 'string',
    );
    const detail = said ? `: ${truncate(said, MAX_QUOTE)}` : ` (${quote(answer.payload, MAX_QUOTE)})`;
    return {
      passed: false,
      reason: `answered status ${JSON.stringify(answered)}${detail}${spelling(answered)}`,
    };
  }
  if (answered === SUCCEEDED) return { passed: true, by: 'answer' };
  if (reported.length > 0) return { passed: true, by: 'status line' };
  return {
    passed: false,
    reason:
      `answered ${answer.payload === '' ? 'nothing' : quote(answer.payload, MAX_QUOTE)} and reported no status; ` +
      `a hook passes only when it answers {"status": "${SUCCEEDED}"} or reports ${SUCCEEDED} through ` +
      'PutLifecycleEventHookExecutionStatus with hooks/switchyard-codedeploy.js (docs/HOOKS.md). Reported ' +
      `statuses are read from the last ${LOG_TAIL_BYTES / 1024} KB of the hook's log, all that Lambda returns: ` +
      `report the status last, or answer {"status": "${SUCCEEDED}"}`,
  };
}

/** The message of a log line: the line itself, or the `message` of a JSON-format log record. */
function messageOf(line: string): string {
  if (!line.startsWith('{')) return line;
  const message = objectOf(parseJson(line))?.message;
  return typeof message === 'string' ? message : line;
}

function parseJson(text: string, otherwise: unknown = undefined): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return otherwise;
  }
}

function objectOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function spelling(status: unknown): string {
  return typeof status === 'string' && status.toLowerCase() === SUCCEEDED.toLowerCase()
    ? `; only "${SUCCEEDED}", spelled so, passes`
    : '';
}

function quote(text: string, max: number): string {
  return truncate(text.trim(), max);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}
