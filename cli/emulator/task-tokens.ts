/**
 * The emulator's Step Functions task tokens (sfn_task_tokens.py): the local runner registers each token a
 * `.waitForTaskToken` state hands out, reads how SendTaskSuccess / SendTaskFailure completed it, and closes it when
 * the state's wait ran out (a later SendTaskSuccess is then TaskTimedOut, as on AWS).
 */
import { controlHeaders } from './emulator-credentials';

/** How a token stands: still WAITING, completed, or closed by a timeout. */
export interface TaskTokenState {
  token: string;
  status: 'WAITING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  output?: string;
  error?: string;
  cause?: string;
}

async function post<T>(endpoint: string, route: string, token: string): Promise<T> {
  const path = `/moto-api/switchyard/stepfunctions/task-tokens${route}`;
  const response = await fetch(new URL(path, endpoint), {
    method: 'POST',
    body: JSON.stringify({ token }),
    headers: { ...controlHeaders(endpoint), 'content-type': 'application/json' },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`moto POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A task now waits on `token`. */
export function registerTaskToken(endpoint: string, token: string): Promise<TaskTokenState> {
  return post(endpoint, '', token);
}

/** How `token` was completed, or WAITING. */
export function readTaskToken(endpoint: string, token: string): Promise<TaskTokenState> {
  return post(endpoint, '/read', token);
}

/** The task stopped waiting on `token` (its wait ran out). */
export function closeTaskToken(endpoint: string, token: string): Promise<TaskTokenState> {
  return post(endpoint, '/close', token);
}
