/**
 * The repository settings a team carries over from its CodePipeline: where the buildspec, the task definition
 * template and the AppSpec are (and whether the deploy reads the last two from the source or from the build's
 * output, as the ECS blue/green action's TaskDefinitionTemplateArtifact/AppSpecTemplateArtifact do), which files
 * of the build output bind which image placeholders (the action's Image<N>ContainerName), and the build's own
 * environment variables (as a CodeBuild project defines them). Each comes from a stack parameter through an
 * environment variable; `readSettings` checks them all at once, so Prepare refuses a bad value before any side
 * effect, with the parameter's name and the fix.
 */
import { ConfigurationError } from './errors';

/** Where a deploy file is read from: the commit's source archive or the build's output artifact. */
export type FileOrigin = 'SOURCE' | 'BUILD';

/** One file the deploy reads: its path in the source or the build output, and which of the two. */
export interface DeployFile {
  path: string;
  origin: FileOrigin;
}

/** A placeholder of taskdef.json (`<NAME>`) and the build output's imageDetail.json that fills it. */
export interface ImageBinding {
  placeholder: string;
  file: string;
}

/** A build environment variable, in the shape of CodeBuild's EnvironmentVariable. */
export interface BuildVariable {
  name: string;
  value: string;
  type: 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER';
}

/** Every repository setting, checked. */
export interface RepositorySettings {
  buildspecPath: string;
  taskDefinition: DeployFile;
  appSpec: DeployFile;
  /** Ordered as given; `IMAGE1_NAME ← imageDetail.json` by default. */
  images: ImageBinding[];
  buildVariables: BuildVariable[];
}

/** Each setting: the environment variable that carries it, its stack parameter, and its default. */
export const SETTINGS = {
  buildspecPath: { env: 'BUILDSPEC_PATH', parameter: 'BuildspecPath', fallback: 'buildspec.yml' },
  taskDefinitionPath: {
    env: 'TASK_DEFINITION_TEMPLATE_PATH',
    parameter: 'TaskDefinitionTemplatePath',
    fallback: 'taskdef.json',
  },
  taskDefinitionOrigin: {
    env: 'TASK_DEFINITION_TEMPLATE_ARTIFACT',
    parameter: 'TaskDefinitionTemplateArtifact',
    fallback: 'SOURCE',
  },
  appSpecPath: { env: 'APPSPEC_TEMPLATE_PATH', parameter: 'AppSpecTemplatePath', fallback: 'appspec.yaml' },
  appSpecOrigin: {
    env: 'APPSPEC_TEMPLATE_ARTIFACT',
    parameter: 'AppSpecTemplateArtifact',
    fallback: 'SOURCE',
  },
  images: {
    env: 'IMAGE_PLACEHOLDERS',
    parameter: 'ImagePlaceholders',
    fallback: 'IMAGE1_NAME=imageDetail.json',
  },
  buildVariables: {
    env: 'BUILD_ENVIRONMENT_VARIABLES',
    parameter: 'BuildEnvironmentVariables',
    fallback: '[]',
  },
} as const;

/** The ECS blue/green action maps at most four image artifacts (Image1 to Image4). */
export const MAX_IMAGE_BINDINGS = 4;
const PLACEHOLDER = /^[A-Za-z0-9_]{1,64}$/;
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE_TYPES = ['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER'] as const;

type Setting = (typeof SETTINGS)[keyof typeof SETTINGS];

function problem(setting: Setting, value: string, why: string): ConfigurationError {
  const shown = value.length > 120 ? `${value.slice(0, 120)}…` : value;
  return new ConfigurationError(
    `stack parameter ${setting.parameter} is ${JSON.stringify(shown)}: ${why} (default: ${setting.fallback})`,
  );
}

/** A path inside the repository or the build output: relative, `/`-separated, no `.`/`..`/empty parts. */
export function checkRelativePath(path: string): string | undefined {
  if (path === '') return 'it is empty';
  if (path.length > 1024) return 'it is longer than 1024 characters';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'give a path relative to the repository root';
  if (path.includes('\\')) return 'separate folders with "/", not "\\"';
  const parts = path.split('/');
  if (parts.some((part) => part === '' || part === '.' || part === '..'))
    return 'give a plain relative path such as "deploy/taskdef.json" (no empty, "." or ".." parts)';
  if (parts.includes('.git')) return 'a path inside .git is not part of the source';
  return undefined;
}

function readPath(setting: Setting, env: NodeJS.ProcessEnv): string {
  const value = env[setting.env] ?? setting.fallback;
  const why = checkRelativePath(value);
  if (why) throw problem(setting, value, why);
  return value;
}

function readOrigin(setting: Setting, env: NodeJS.ProcessEnv): FileOrigin {
  const value = env[setting.env] ?? setting.fallback;
  if (value !== 'SOURCE' && value !== 'BUILD')
    throw problem(setting, value, 'use SOURCE (the commit) or BUILD (the build output artifact)');
  return value;
}

/** `NAME=path,NAME=path`: each placeholder `<NAME>` of taskdef.json and the imageDetail.json that fills it. */
export function parseImageBindings(value: string): ImageBinding[] {
  const setting = SETTINGS.images;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length > MAX_IMAGE_BINDINGS)
    throw problem(
      setting,
      value,
      `at most ${MAX_IMAGE_BINDINGS} placeholders, as the ECS blue/green action maps`,
    );
  const bindings: ImageBinding[] = [];
  for (const entry of entries) {
    const equals = entry.indexOf('=');
    const placeholder = (equals < 0 ? '' : entry.slice(0, equals)).trim().replace(/^<(.*)>$/, '$1');
    const file = equals < 0 ? '' : entry.slice(equals + 1).trim();
    if (!PLACEHOLDER.test(placeholder))
      throw problem(
        setting,
        value,
        `"${entry}" is not NAME=FILE with NAME letters, digits or _ (e.g. IMAGE1_NAME=imageDetail.json)`,
      );
    const why = checkRelativePath(file);
    if (why) throw problem(setting, value, `the file of ${placeholder}: ${why}`);
    if (bindings.some((binding) => binding.placeholder === placeholder))
      throw problem(setting, value, `placeholder ${placeholder} is bound twice`);
    bindings.push({ placeholder, file });
  }
  return bindings;
}

/** A JSON list of CodeBuild environment variables: `[{"name", "value", "type"?}]`. */
export function parseBuildVariables(value: string): BuildVariable[] {
  const setting = SETTINGS.buildVariables;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw problem(setting, value, `it is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(parsed))
    throw problem(setting, value, 'give a JSON list such as [{"name": "IMAGE_TAG", "value": "latest"}]');
  const seen = new Set<string>();
  return parsed.map((item: unknown, index) => {
    const at = `item ${index}`;
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw problem(setting, value, `${at} is not an object {"name", "value", "type"?}`);
    const { name, value: itemValue, type = 'PLAINTEXT', ...rest } = item as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0)
      throw problem(
        setting,
        value,
        `${at} has unknown key(s) ${extra.join(', ')}; the keys are name, value and type`,
      );
    if (typeof name !== 'string' || !VARIABLE_NAME.test(name))
      throw problem(setting, value, `${at}: name must be a shell variable name (letters, digits, _)`);
    if (name.startsWith('CODEBUILD_'))
      throw problem(setting, value, `${at}: ${name} uses the CODEBUILD_ prefix, which CodeBuild reserves`);
    if (seen.has(name)) throw problem(setting, value, `${at}: ${name} is given twice`);
    seen.add(name);
    if (typeof itemValue !== 'string')
      throw problem(setting, value, `${at} (${name}): value must be a string`);
    if (!(VARIABLE_TYPES as readonly unknown[]).includes(type))
      throw problem(setting, value, `${at} (${name}): type must be one of ${VARIABLE_TYPES.join(', ')}`);
    if (type !== 'PLAINTEXT' && itemValue === '')
      throw problem(
        setting,
        value,
        `${at} (${name}): a ${type} variable's value names the parameter or secret`,
      );
    return { name, value: itemValue, type: type as BuildVariable['type'] };
  });
}

/** Reads and checks every repository setting; throws ConfigurationError naming the stack parameter. */
export function readSettings(env: NodeJS.ProcessEnv = process.env): RepositorySettings {
  const images = parseImageBindings(env[SETTINGS.images.env] ?? SETTINGS.images.fallback);
  const buildspecPath = readPath(SETTINGS.buildspecPath, env);
  if (!/\.ya?ml$/.test(buildspecPath))
    throw problem(SETTINGS.buildspecPath, buildspecPath, 'a buildspec is a YAML file (.yml or .yaml)');
  return {
    buildspecPath,
    taskDefinition: {
      path: readPath(SETTINGS.taskDefinitionPath, env),
      origin: readOrigin(SETTINGS.taskDefinitionOrigin, env),
    },
    appSpec: { path: readPath(SETTINGS.appSpecPath, env), origin: readOrigin(SETTINGS.appSpecOrigin, env) },
    images,
    buildVariables: parseBuildVariables(env[SETTINGS.buildVariables.env] ?? SETTINGS.buildVariables.fallback),
  };
}

/** The stack parameters that grant the build read access to its PARAMETER_STORE and SECRETS_MANAGER variables. */
export const GRANTS = {
  parameters: { env: 'BUILD_PARAMETER_STORE_ARNS', parameter: 'BuildParameterStoreArns' },
  secrets: { env: 'BUILD_SECRETS_MANAGER_ARNS', parameter: 'BuildSecretsManagerArns' },
} as const;

function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

function grantList(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((arn) => arn.trim())
    .filter((arn) => arn !== '');
}

/**
 * Every PARAMETER_STORE and SECRETS_MANAGER variable must be readable by the build's role, which the stack grants
 * only on the ARNs of BuildParameterStoreArns and BuildSecretsManagerArns (CodeBuild reads them with the project's
 * service role: https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html). A variable
 * no grant covers would fail the build at DOWNLOAD_SOURCE; it is refused here instead, before any side effect.
 */
export function checkVariableGrants(variables: BuildVariable[], env: NodeJS.ProcessEnv = process.env): void {
  const parameterArns = grantList(env, GRANTS.parameters.env);
  const secretArns = grantList(env, GRANTS.secrets.env);
  for (const variable of variables) {
    if (variable.type === 'PARAMETER_STORE') {
      // A parameter named "/app/token" or "app/token" is the resource "parameter/app/token".
      const resource = `parameter/${variable.value.replace(/^\//, '')}`;
      if (!parameterArns.some((arn) => globMatches(arn.slice(arn.indexOf(':parameter/') + 1), resource))) {
        throw new ConfigurationError(
          `build variable ${variable.name} reads the SSM parameter ${variable.value}, which stack parameter ` +
            `${GRANTS.parameters.parameter} does not grant: add its ARN (arn:aws:ssm:<region>:<account>:${resource})`,
        );
      }
    } else if (variable.type === 'SECRETS_MANAGER') {
      // "secret-id:json-key:version-stage:version-id"; the id is a name or an ARN (whose own colons come first).
      const id = variable.value.startsWith('arn:')
        ? variable.value.split(':').slice(0, 7).join(':')
        : (variable.value.split(':')[0] ?? '');
      const resource = id.startsWith('arn:') ? id.slice(id.indexOf(':secret:') + 1) : `secret:${id}-XXXXXX`;
      if (!secretArns.some((arn) => globMatches(arn.slice(arn.indexOf(':secret:') + 1), resource))) {
        throw new ConfigurationError(
          `build variable ${variable.name} reads the secret ${id}, which stack parameter ${GRANTS.secrets.parameter} ` +
            `does not grant: add its ARN (arn:aws:secretsmanager:<region>:<account>:secret:${id.startsWith('arn:') ? id.split(':secret:')[1] : `${id}-*`})`,
        );
      }
    }
  }
}
