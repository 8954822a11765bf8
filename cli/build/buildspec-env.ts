/**
 * Reads a buildspec's env section for the buildspec parser: the shell, the plain variables, the Parameter Store
 * and Secrets Manager variables (as references; the runner resolves them), and the exported variables.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env
 */
import { describeValue, type FieldPath, type FieldReader } from './buildspec-fields';
import { type Buildspec, ENV_KEYS, SHELLS, UNSET_ENV_KEYS } from './buildspec-schema';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The env section's part of the parsed buildspec. */
export type BuildspecEnv = Pick<
  Buildspec,
  'shell' | 'variables' | 'parameterStore' | 'secretsManager' | 'exportedVariables'
>;

/** Reads `value` (the env section, or nothing) into its parsed shape; throws InvalidInputError through `fields`. */
export function readEnv(fields: FieldReader, value: unknown): BuildspecEnv {
  const env = value === undefined || value === null ? {} : fields.mapping(value, ['env'], 'a mapping');
  fields.checkKeys(env, ['env'], ENV_KEYS);
  const parsed: BuildspecEnv = {
    shell: shell(fields, env.shell),
    variables: variables(fields, env.variables, 'variables', 'NAME: value'),
    parameterStore: variables(fields, env['parameter-store'], 'parameter-store', 'NAME: /parameter/name'),
    secretsManager: variables(
      fields,
      env['secrets-manager'],
      'secrets-manager',
      'NAME: secret-id:json-key:version-stage:version-id',
    ),
    exportedVariables: exportedVariables(fields, env['exported-variables']),
  };
  for (const [key, what] of UNSET_ENV_KEYS) {
    if (env[key] !== undefined)
      fields.warn(['env', key], `is not supported by the local build runner: ${what}`);
  }
  return parsed;
}

function shell(fields: FieldReader, value: unknown): 'sh' | 'bash' | undefined {
  if (value === undefined || value === null) return undefined;
  const found = typeof value === 'string' ? SHELLS[value] : undefined;
  if (found) return found;
  fields.fail(
    ['env', 'shell'],
    `is ${JSON.stringify(value)}; the local runner has the Linux shells only`,
    'use "bash" or "/bin/sh" (powershell.exe and cmd.exe are for Windows images)',
  );
}

/** A NAME: value mapping of env.variables, env.parameter-store or env.secrets-manager, in file order. */
function variables(
  fields: FieldReader,
  value: unknown,
  key: 'variables' | 'parameter-store' | 'secrets-manager',
  shape: string,
): Array<{ name: string; value: string }> {
  if (value === undefined || value === null) return [];
  const map = fields.mapping(value, ['env', key], `a mapping of ${shape}`);
  const out: Array<{ name: string; value: string }> = [];
  for (const [name, raw] of Object.entries(map)) {
    const path: FieldPath = ['env', key, name];
    if (raw !== null && typeof raw === 'object') {
      fields.fail(
        path,
        `must be a single value, found ${describeValue(raw)}`,
        'quote the value, e.g. NAME: "a: b"',
      );
    }
    if (key !== 'variables' && (raw === null || raw === undefined || String(raw) === '')) {
      fields.fail(
        path,
        'is empty',
        key === 'parameter-store' ? 'give the parameter name' : 'give the secret reference',
      );
    }
    if (!IDENTIFIER.test(name)) {
      fields.warn(path, 'is not a valid shell variable name (letters, digits and _), so it is not set');
    } else if (name.startsWith('CODEBUILD_')) {
      fields.warn(path, 'uses the CODEBUILD_ prefix that CodeBuild reserves, so it is not set');
    } else {
      out.push({ name, value: raw === null || raw === undefined ? '' : String(raw) });
    }
  }
  return out;
}

function exportedVariables(fields: FieldReader, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const list = fields.stringList(
    value,
    ['env', 'exported-variables'],
    'list the variable names, e.g.\n    exported-variables:\n      - IMAGE_URI',
  );
  return list.filter((name, index) => {
    const path = ['env', 'exported-variables', index];
    if (!IDENTIFIER.test(name)) {
      fields.warn(path, `"${name}" is not a valid variable name, so it is not exported`);
      return false;
    }
    if (name.startsWith('AWS_')) {
      fields.warn(path, `"${name}" starts with AWS_, which CodeBuild never exports`);
      return false;
    }
    return true;
  });
}
