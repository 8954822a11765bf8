import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Loads a fixture from events/ (the same files `sam local invoke -e` uses). */
export function loadEvent<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(__dirname, '../../events', `${name}.json`), 'utf8')) as T;
}
