/**
 * The lifecycle hooks of a followed deployment, from its execution's history: the record does not keep them, the
 * history does (each `<Event>Hooks` state's output is RunHooks' `{hook, invoked}`). Read only where the history is
 * the pipeline's; an emulator's canned history names none of its states and gives no line.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';

/** The states that run hooks, by the lifecycle event they run (statemachine/pipeline.asl.json). */
const HOOK_STATES: Record<string, string> = {
  BeforeInstallHooks: 'BeforeInstall',
  AfterInstallHooks: 'AfterInstall',
  AfterAllowTestTrafficHooks: 'AfterAllowTestTraffic',
  BeforeAllowTrafficHooks: 'BeforeAllowTraffic',
  AfterAllowTrafficHooks: 'AfterAllowTraffic',
};

/**
 * One line per hook state that ended since the last call (`seen`: the ids of the events already reported), in the
 * order they ended: `hooks AfterInstall: smoke-test succeeded (1200 ms)`. Events without hooks give no line.
 */
export function hookLines(events: readonly HistoryEvent[], seen: Set<number>): string[] {
  const lines: string[] = [];
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const exited = event.stateExitedEventDetails;
    const hook = exited ? HOOK_STATES[exited.name ?? ''] : undefined;
    if (!hook || seen.has(event.id ?? -1)) continue;
    seen.add(event.id ?? -1);
    let invoked: { functionName?: unknown; durationMs?: unknown; status?: unknown }[] = [];
    try {
      const output = JSON.parse(exited?.output ?? 'null') as {
        hooks?: Record<string, { invoked?: typeof invoked }>;
      } | null;
      invoked = output?.hooks?.[hook]?.invoked ?? [];
    } catch {
      invoked = [];
    }
    if (invoked.length === 0) continue;
    const each = invoked.map(
      (call) =>
        `${String(call.functionName)} ${String(call.status ?? 'Succeeded').toLowerCase()}` +
        `${typeof call.durationMs === 'number' ? ` (${call.durationMs} ms)` : ''}`,
    );
    lines.push(`hooks ${hook}: ${each.join(', ')}`);
  }
  return lines;
}

/** The newest events of an execution's history, with their data; [] when it cannot be read. */
export async function recentHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  try {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        reverseOrder: true,
        maxResults: 100,
        includeExecutionData: true,
      }),
    );
    return out.events ?? [];
  } catch {
    return [];
  }
}
