import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Deployment } from '../../functions/lib/record/record-model';

/** Loads a fixture from events/ (the same files `sam local invoke -e` uses). */
export function loadEvent<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(__dirname, '../../events', `${name}.json`), 'utf8')) as T;
}

/** A deployment as Prepare makes it (events/acquire-lock.json's), with its own id, commit and execution. */
export function sampleDeployment(id: string): Deployment {
  return {
    ...loadEvent<{ deployment: Deployment }>('acquire-lock').deployment,
    id,
    commitId: id.padEnd(40, '0'),
    executionId: `arn:aws:states:us-east-1:123456789012:execution:switchyard-pipeline:${id}`,
    startedAt: '2026-11-26T12:00:00.000Z',
  };
}
