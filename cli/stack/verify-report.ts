/**
 * The lines of `switchyard verify`: one per check, `✓`/`✗`/`!` at a terminal and `ok`/`FAIL`/`warn` otherwise
 * (a CI log, a pipe, NO_COLOR), the check's subject and, when it did not pass, what is wrong and the fix.
 */
import { SwitchyardError } from '../../functions/lib/shared/errors';

/** How a check ended: `fail` makes the command exit 1; `warn` is worth reading but does not. */
export type CheckStatus = 'ok' | 'fail' | 'warn';

/** One check's outcome. */
export interface CheckResult {
  status: CheckStatus;
  /** What was checked, e.g. `service web in cluster prod: EXTERNAL deployment controller`. */
  subject: string;
  /** Why it failed or warns, with the fix; or a detail of a pass. */
  note?: string;
}

/** A passed check. */
export const ok = (subject: string, note?: string): CheckResult => ({
  status: 'ok',
  subject,
  ...(note ? { note } : {}),
});
/** A failed check; `note` says what is wrong and how to fix it. */
export const fail = (subject: string, note: string): CheckResult => ({ status: 'fail', subject, note });
/** A warning; `note` says why. */
export const warn = (subject: string, note: string): CheckResult => ({ status: 'warn', subject, note });

/**
 * Runs a check; an error it throws (an AWS error, a refused call, the core's own checks) is a failure of that
 * check, with its message, so one unreadable resource never hides the other checks.
 */
export async function attempt(
  subject: string,
  run: () => Promise<CheckResult | CheckResult[]>,
): Promise<CheckResult[]> {
  try {
    const result = await run();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const message = error instanceof Error ? error.message : String(error);
    const denied = /AccessDenied|UnauthorizedOperation|not authorized/i.test(`${name} ${message}`);
    return [
      fail(
        subject,
        denied
          ? `${message}: the credentials in use may not read it; verify needs read access (Describe*/Get*)`
          : // An AWS error's name (TargetGroupNotFoundException) says what its message may not; ours say it all.
            `${name && !(error instanceof SwitchyardError) && !message.startsWith(name) ? `${name}: ` : ''}${message}`,
      ),
    ];
  }
}

const MARKS = {
  colour: { ok: '\u001b[32m✓\u001b[0m', fail: '\u001b[31m✗\u001b[0m', warn: '\u001b[33m!\u001b[0m' },
  plain: { ok: 'ok  ', fail: 'FAIL', warn: 'warn' },
} as const;

/** One check as a line. */
export function formatCheck(result: CheckResult, colour: boolean): string {
  const mark = (colour ? MARKS.colour : MARKS.plain)[result.status];
  return `${mark} ${result.subject}${result.note ? `: ${result.note}` : ''}`;
}

/** The closing line: how many checks passed, failed and warned. */
export function formatSummary(results: readonly CheckResult[]): string {
  const count = (status: CheckStatus) => results.filter((r) => r.status === status).length;
  const failed = count('fail');
  return (
    `${failed === 0 ? 'ready to deploy' : 'not ready to deploy'}: ${count('ok')} passed, ${failed} failed, ` +
    `${count('warn')} warning${count('warn') === 1 ? '' : 's'}`
  );
}
