import { ConfigurationError } from './errors';

/**
 * Reads the named environment variables, failing fast with the missing one's name. It reads them on each call
 * rather than once at cold start: it costs nothing next to an AWS call, and the local runner, which runs many
 * pipelines (one stack each) in one process, relies on it.
 */
export function configFromEnv<K extends string>(names: readonly K[]): () => Readonly<Record<K, string>> {
  return () => {
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
    return Object.freeze(values);
  };
}
