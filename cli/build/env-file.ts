/**
 * `switchyard run-build --env-file FILE`: the build's environment variables, as NAME=VALUE lines (plain text) or
 * in the shape of the stack parameter BuildEnvironmentVariables, a JSON list of CodeBuild environment variables
 * (`[{"name", "value", "type"}]`, type PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER). Errors name the file and
 * the line or item.
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { EnvironmentVariable } from './types';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TYPES = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'] as const;

/** `NAME=VALUE` from `--env` or a line of an env file; `where` names the flag, or the file and line. */
export function plainVariable(text: string, where: string): EnvironmentVariable {
  const equals = text.indexOf('=');
  const name = equals < 0 ? text : text.slice(0, equals);
  if (equals < 0 || !NAME.test(name)) {
    throw new InvalidInputError(
      `${where}: "${text.slice(0, 80)}" is not NAME=VALUE with NAME a shell variable name (letters, digits, _)`,
    );
  }
  return { name, value: text.slice(equals + 1), type: 'PLAINTEXT' };
}

/** The variables of an env file: a JSON list when its text starts with `[`, else NAME=VALUE lines. */
export function readEnvFile(path: string): EnvironmentVariable[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`--env-file ${path}: cannot read the file (${(error as Error).message})`);
  }
  if (text.trimStart().startsWith('[')) return jsonVariables(text, `--env-file ${path}`);
  return text
    .split(/\r?\n/)
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, index }) => plainVariable(line, `--env-file ${path} line ${index + 1}`));
}

function jsonVariables(text: string, where: string): EnvironmentVariable[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `${where}: the file starts with "[" but is not JSON (${(error as Error).message})`,
    );
  }
  if (!Array.isArray(parsed)) throw new InvalidInputError(`${where}: expected a JSON list`);
  const fix = 'each item is {"name": "NAME", "value": "...", "type": "PLAINTEXT"} (type optional)';
  return parsed.map((item: unknown, index) => {
    const at = `${where} item ${index}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item))
      throw new InvalidInputError(`${at} is not an object; ${fix}`);
    const { name, value, type = 'PLAINTEXT', ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new InvalidInputError(`${at} has unknown key(s) ${extra.join(', ')}; ${fix}`);
    if (typeof name !== 'string' || !NAME.test(name))
      throw new InvalidInputError(`${at}: name must be a shell variable name (letters, digits, _)`);
    if (typeof value !== 'string') throw new InvalidInputError(`${at} (${name}): value must be a string`);
    if (!(TYPES as readonly unknown[]).includes(type))
      throw new InvalidInputError(`${at} (${name}): type must be one of ${TYPES.join(', ')}`);
    if (type !== 'PLAINTEXT' && value === '') {
      throw new InvalidInputError(
        `${at} (${name}): a ${type} variable's value names the ${type === 'PARAMETER_STORE' ? 'parameter' : 'secret'}`,
      );
    }
    return { name, value, type: type as EnvironmentVariable['type'] };
  });
}
