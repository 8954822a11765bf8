/**
 * The lines a function logged in a local run, as RunResult.logs keeps them (`<LogicalId> <line>`): every function
 * logs through Powertools Logger (functions/lib/shared/log.ts), one JSON object per line.
 */

/** The JSON entries `logicalId` logged (a line that is not JSON, such as an EMF line's neighbour, is skipped). */
export function logEntries(logs: readonly string[], logicalId: string): Array<Record<string, unknown>> {
  const prefix = `${logicalId} `;
  return logs.flatMap((line) => {
    if (!line.startsWith(prefix)) return [];
    try {
      const entry: unknown = JSON.parse(line.slice(prefix.length));
      return typeof entry === 'object' && entry !== null ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/** The messages of the log lines `logicalId` wrote (EMF metric lines have none). */
export function logMessages(logs: readonly string[], logicalId: string): string[] {
  return logEntries(logs, logicalId).flatMap((entry) =>
    typeof entry.message === 'string' ? [entry.message] : [],
  );
}
