/**
 * The lifecycle hooks of a followed deployment, from its record: RunHooks puts each event's hooks there once they
 * all succeeded (functions/lib/record/hook-record.ts), so `deploy --follow` and `status --follow` show them against
 * AWS and against a local stack alike. A hook that failed is the deployment's error, said with its end.
 */
import { HOOK_EVENTS } from '../../functions/lib/render/hook-events';
import type { DeploymentRecord } from './target';

type Invoked = { functionName?: unknown; durationMs?: unknown; status?: unknown };

function hooksOf(record: DeploymentRecord | undefined): Record<string, { invoked?: Invoked[] }> {
  const hooks = record?.hooks;
  return typeof hooks === 'object' && hooks !== null
    ? (hooks as Record<string, { invoked?: Invoked[] }>)
    : {};
}

/**
 * One line per event whose hooks appeared on the record since `previous`, in lifecycle order:
 * `hooks AfterInstall: smoke-test succeeded (1200 ms)`.
 */
export function hookLines(previous: DeploymentRecord | undefined, current: DeploymentRecord): string[] {
  const before = hooksOf(previous);
  const now = hooksOf(current);
  const lines: string[] = [];
  for (const event of HOOK_EVENTS) {
    const invoked = Array.isArray(now[event]?.invoked) ? (now[event]?.invoked as Invoked[]) : [];
    if (invoked.length === 0 || before[event] !== undefined) continue;
    const each = invoked.map(
      (call) =>
        `${String(call.functionName)} ${String(call.status ?? 'Succeeded').toLowerCase()}` +
        `${typeof call.durationMs === 'number' ? ` (${call.durationMs} ms)` : ''}`,
    );
    lines.push(`hooks ${event}: ${each.join(', ')}`);
  }
  return lines;
}
