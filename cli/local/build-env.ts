/**
 * `switchyard local --build-env FILE`: the build's own variables, in the stack parameter's shape (a JSON list of
 * CodeBuild environment variables) or as NAME=VALUE lines (plain text), checked as the stack checks them.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseBuildVariables } from '../../functions/lib/shared/settings';

/** The file as BuildEnvironmentVariables' JSON; a bad entry is an error naming the file. */
export function readBuildEnv(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`--build-env ${file}: cannot read the file (${(error as Error).message})`);
  }
  const json = text.trimStart().startsWith('[')
    ? text
    : JSON.stringify(
        text
          .split(/\r?\n/)
          .map((line) => line.trim())
          .filter((line) => line !== '' && !line.startsWith('#'))
          .map((line) => {
            const equals = line.indexOf('=');
            return {
              name: equals < 0 ? line : line.slice(0, equals),
              value: equals < 0 ? '' : line.slice(equals + 1),
            };
          }),
      );
  try {
    parseBuildVariables(json);
  } catch (error) {
    throw new InvalidInputError(
      `--build-env ${file}: ${(error as Error).message.replace(/^stack parameter \w+ is .*?: /, '')}`,
    );
  }
  return json;
}
