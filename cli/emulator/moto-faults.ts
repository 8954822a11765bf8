/**
 * The emulator's fault control (cli/emulator/emulator_faults.py): make a seeded share of the calls to chosen
 * services fail as AWS fails (throttling, or a 500), before the call is applied or after it (the answer lost),
 * and read back every fault injected. Cleared by POST /moto-api/reset.
 */
import { controlHeaders } from './emulator-credentials';

/** A service as its SigV4 credential scope names it (moto routes a request by the same name). */
export type FaultService =
  | 'dynamodb'
  | 'codebuild'
  | 'ecs'
  | 'elasticloadbalancing'
  | 's3'
  | 'lambda'
  | 'monitoring'
  | 'codecommit'
  | 'events'
  | 'states';

/** One rule: the calls it covers and how they fail. */
export interface FaultRule {
  service: FaultService;
  /** Operation names (`PutItem`, `ModifyListener`); absent or empty: every operation of the service. */
  operations?: string[];
  /** The share of the calls that fail, from 0 to 1. */
  rate: number;
  /** `before`: nothing is applied; `after`: moto applies the call and its answer is replaced. Default before. */
  when?: 'before' | 'after';
  /** `throttle`: the service's throttling error; `500`: an internal failure. Default throttle. */
  error?: 'throttle' | '500';
}

/** The faults injected since the rules were set, by service, operation, when and error. */
export interface FaultCounts {
  seed: number;
  rules: Required<FaultRule>[];
  faults: { service: string; operation: string; when: string; error: string; count: number }[];
  /** Every call a rule could apply to, failed or not, by service and operation. */
  calls: { service: string; operation: string; count: number }[];
  total: number;
}

/** Replaces the fault rules (an empty list clears them) and resets the counts; the draws follow `seed`. */
export async function setFaults(endpoint: string, rules: FaultRule[], seed = 0): Promise<FaultCounts> {
  return faultControl(endpoint, 'POST', { seed, rules });
}

/** The rules in force and every fault injected since they were set. */
export async function faultCounts(endpoint: string): Promise<FaultCounts> {
  return faultControl(endpoint, 'GET');
}

async function faultControl(endpoint: string, method: 'GET' | 'POST', body?: unknown): Promise<FaultCounts> {
  const path = '/moto-api/switchyard/faults';
  const headers = controlHeaders(endpoint);
  const response = await fetch(new URL(path, endpoint), {
    method,
    ...(body === undefined
      ? { headers }
      : { body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto ${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as FaultCounts;
}
