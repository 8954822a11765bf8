/**
 * The operator's promote and abort flags on a deployment record, as `switchyard promote` / `switchyard abort`
 * write them and CheckPause (and the CLI's status) read them back.
 */

/** A promote or abort flag as `switchyard promote` / `switchyard abort` write it: `{by?, at?, reason?}` (or `true`). */
export interface OperatorRequest {
  by?: string;
  at?: string;
  reason?: string;
}

/** Reads a promote or abort flag of the record: absent/false/'' is none, `true` is an anonymous request. */
export function operatorRequest(value: unknown): OperatorRequest | undefined {
  if (value === undefined || value === null || value === false || value === '') return undefined;
  if (typeof value === 'string') return { at: value };
  if (typeof value !== 'object' || Array.isArray(value)) return {};
  const request: OperatorRequest = {};
  for (const key of ['by', 'at', 'reason'] as const) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string' && field !== '') request[key] = field;
  }
  return request;
}

/** ` by alice at 2026-…: reason`, from whatever the request carries. */
export function describeRequest(request: OperatorRequest): string {
  return `${request.by ? ` by ${request.by}` : ''}${request.at ? ` at ${request.at}` : ''}${request.reason ? `: ${request.reason}` : ''}`;
}
