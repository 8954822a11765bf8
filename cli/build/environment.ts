/**
 * The environment a build's commands start with, merged the way CodeBuild merges it: the image's environment
 * (base-env.ts: a minimal one, not the user's whole environment), then the buildspec's variables, then the
 * project's, then StartBuild's overrides (each name taken from the last place that sets it), then CodeBuild's own
 * CODEBUILD_ variables. Parameter Store and Secrets Manager variables are resolved through
 * RunBuildOptions.resolveVariable; their values are masked in the log.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.variables
 */
import { imageEnvironment } from './base-env';
import type { Buildspec } from './buildspec-schema';
import type { Dirs } from './shell-session';
import type { EnvironmentVariable, PhaseContext, RunBuildOptions, SecretVariableType } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A variable as declared, before it is resolved, and where it was declared (for messages). */
interface Declared {
  name: string;
  /** The plain value, or the reference to resolve. */
  value: string;
  type: 'PLAINTEXT' | SecretVariableType;
  /** Where it is declared: `the project`, `the StartBuild override`, `buildspec.yml env.parameter-store`. */
  origin: string;
  /** How a warning names it: `project environment variable TOKEN`, `buildspec.yml: env.parameter-store.TOKEN`. */
  label: string;
  fromProject: boolean;
}

/** The environment the commands start with, and what the log and the exported variables must hide. */
export interface BuildEnvironment {
  env: Record<string, string>;
  /** The values resolved from Parameter Store or Secrets Manager: the log shows *** for each. */
  secretValues: string[];
  /** The project's and StartBuild's secret variables, which CodeBuild never exports. */
  unexportable: Set<string>;
}

/** What buildEnvironment needs of the build. */
export interface EnvironmentInputs {
  options: RunBuildOptions;
  spec: Buildspec;
  /** The buildspec's name, for messages. */
  file: string;
  id: string;
  arn: string;
  region: string;
  dirs: Dirs;
  startTime: Date;
  warn: (message: string) => void;
  log: (message: string) => void;
}

/** CodeBuild's status code for a reference it could not resolve, by the variable's type. */
const FAILURE_CODES: Record<SecretVariableType, string> = {
  PARAMETER_STORE: 'Decrypted Variables Error',
  SECRETS_MANAGER: 'Secrets Manager Error',
};

/**
 * The build's environment, or DOWNLOAD_SOURCE's failure context when a reference cannot be resolved (CodeBuild
 * fails the build there, before INSTALL; the message names the variable and its reference, never a value).
 */
export async function buildEnvironment(build: EnvironmentInputs): Promise<BuildEnvironment | PhaseContext> {
  const { options, dirs, region, warn } = build;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(imageEnvironment(options))) {
    if (value !== undefined && IDENTIFIER.test(name) && name !== 'OLDPWD') env[name] = value;
  }
  Object.assign(env, { HOME: dirs.home, AWS_REGION: region, AWS_DEFAULT_REGION: region, PWD: dirs.src });
  const declared = declaredVariables(build);
  const secretValues: string[] = [];
  const unexportable = new Set<string>();
  const resolve = options.resolveVariable;
  if (resolve && [...declared.values()].some((v) => v.type === 'PARAMETER_STORE'))
    build.log('Decrypting parameter store environment variables');
  for (const variable of declared.values()) {
    if (variable.type === 'PLAINTEXT') {
      env[variable.name] = variable.value;
      continue;
    }
    if (variable.fromProject) unexportable.add(variable.name);
    if (!resolve) {
      warn(
        `${variable.label} is of type ${variable.type}, which the local build runner cannot resolve; it is not set`,
      );
      continue;
    }
    try {
      const value = await resolve(variable.type, variable.value);
      env[variable.name] = value;
      secretValues.push(value);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        statusCode: FAILURE_CODES[variable.type],
        message: `${reason} (variable ${variable.name} of ${variable.origin}, reference "${variable.value}")`,
      };
    }
  }
  for (const [name, value] of Object.entries(builtins(build))) if (value !== undefined) env[name] = value;
  return { env, secretValues, unexportable };
}

/** Every variable the buildspec, the project and StartBuild declare, each name from the last place that sets it. */
function declaredVariables(build: EnvironmentInputs): Map<string, Declared> {
  const { options, spec, file, warn } = build;
  const declared = new Map<string, Declared>();
  const put = (variable: Declared) => {
    // Re-inserting moves the name to the end: values are set in the order their winning declaration comes.
    declared.delete(variable.name);
    declared.set(variable.name, variable);
  };
  const sections = [
    ['variables', 'PLAINTEXT', spec.variables],
    ['parameter-store', 'PARAMETER_STORE', spec.parameterStore],
    ['secrets-manager', 'SECRETS_MANAGER', spec.secretsManager],
  ] as const;
  for (const [key, type, variables] of sections) {
    for (const { name, value } of variables) {
      const [origin, label] = [`${file} env.${key}`, `${file}: env.${key}.${name}`];
      put({ name, value, type, origin, label, fromProject: false });
    }
  }
  const settings: Array<[string, string, EnvironmentVariable[] | undefined]> = [
    ['the project', 'project', options.environmentVariables],
    ['the StartBuild override', 'StartBuild override', options.environmentVariablesOverride],
  ];
  for (const [origin, kind, variables] of settings) {
    for (const variable of variables ?? []) {
      const label = `${kind} environment variable ${variable.name}`;
      if (!IDENTIFIER.test(variable.name) || variable.name.startsWith('CODEBUILD_')) {
        warn(`${label} is not a valid name, or uses the reserved CODEBUILD_ prefix; it is not set`);
        continue;
      }
      put({ ...variable, type: variable.type ?? 'PLAINTEXT', origin, label, fromProject: true });
    }
  }
  return declared;
}

/** CodeBuild's own variables: https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html */
function builtins(build: EnvironmentInputs): Record<string, string | undefined> {
  const { options, id, arn, dirs, startTime } = build;
  return {
    CODEBUILD_BUILD_ARN: arn,
    CODEBUILD_BUILD_ID: id,
    CODEBUILD_BUILD_IMAGE: options.image ?? 'aws/codebuild/standard:7.0',
    CODEBUILD_BUILD_NUMBER: String(options.buildNumber ?? 1),
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_INITIATOR: options.initiator ?? 'switchyard-local',
    CODEBUILD_KMS_KEY_ID: 'alias/aws/s3',
    CODEBUILD_LOG_PATH: id.slice(id.indexOf(':') + 1),
    // Only the sources that resolve a commit have one (CodeCommit, GitHub, Bitbucket, CodePipeline); an S3 source
    // leaves it unset.
    CODEBUILD_RESOLVED_SOURCE_VERSION: options.resolvedSourceVersion,
    CODEBUILD_SOURCE_VERSION: options.sourceVersion,
    CODEBUILD_SRC_DIR: dirs.src,
    CODEBUILD_START_TIME: String(startTime.getTime()),
  };
}
