import { ConfigurationError } from './errors';

/**
 * Reads the named environment variables once, on first use, and fails fast naming the missing one.
 * Lazy so that a process that sets its environment after importing a handler (the local runner) still works.
 */
export function configFromEnv<K extends string>(names: readonly K[]): () => Readonly<Record<K, string>> {
  let cached: Readonly<Record<K, string>> | undefined;
  return () => {
    if (cached) return cached;
    const values = {} as Record<K, string>;
    for (const name of names) {
      const value = process.env[name];
      if (value === undefined || value === '') {
        throw new ConfigurationError(
          `environment variable ${name} is not set; the stack sets it from template.yaml (Globals.Function.Environment)`,
        );
      }
      values[name] = value;
    }
    cached = Object.freeze(values);
    return cached;
  };
}
