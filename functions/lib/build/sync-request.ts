/**
 * Step Functions' service integrations name an API's parameters in PascalCase even where the service's own API is
 * camelCase (https://docs.aws.amazon.com/step-functions/latest/dg/connect-codebuild.html: "Parameters in Step
 * Functions are expressed in PascalCase"). StartBuild hands WaitForBuild its request in that form; the local runner
 * turns it back to call CodeBuild as Step Functions would.
 */

function recase(value: unknown, first: (letter: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => recase(item, first));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => [first(key.charAt(0)) + key.slice(1), recase(item, first)]),
  );
}

/** `{projectName, environmentVariablesOverride: [{name}]}` → `{ProjectName, EnvironmentVariablesOverride: [{Name}]}`. */
export function pascalCased(value: unknown): unknown {
  return recase(value, (letter) => letter.toUpperCase());
}

/** The reverse of pascalCased: an integration's parameters as the SDK's command input. */
export function camelCased(value: unknown): unknown {
  return recase(value, (letter) => letter.toLowerCase());
}
