/**
 * The environment a local build's image starts with. A build runs its buildspec on this machine, as the user: it
 * gets what a CodeBuild image has (a PATH, a locale, a terminal type, a temp folder), the AWS access the build is
 * given (the emulator's endpoint and the run's credentials, as CodeBuild gives the project's service role), and
 * nothing else of the user's environment (no AWS_PROFILE, AWS_SESSION_TOKEN, tokens or keys) unless the user asks
 * for all of it (`--inherit-env`). The buildspec's, the project's and StartBuild's variables and CodeBuild's own
 * CODEBUILD_* ones are added on top by environment.ts.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
 */

/** The variables of this machine a build gets by default: where its tools are, the locale, terminal and temp folder. */
export const PASSED_VARIABLES: readonly string[] = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'TERM',
  'TMPDIR',
  'TZ',
  'DOCKER_HOST',
];
/** The locale categories (LC_ALL, LC_CTYPE, ...), passed as LANG is. */
const LOCALE = /^LC_[A-Z]+$/;

/**
 * Set to `1` in the environment of the process that runs builds (`switchyard local --inherit-env` sets it for the
 * emulator, whose build executor inherits it): builds start with that process's whole environment.
 */
export const INHERIT_ENV_VARIABLE = 'SWITCHYARD_BUILD_INHERIT_ENV';

/** The AWS access a build is given: CodeBuild gives the project's role; locally, the emulator and its credentials. */
export interface BuildAwsAccess {
  /** AWS_ENDPOINT_URL: where the build's AWS calls go (the emulator). */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** How the image's environment is chosen (RunBuildOptions' fields). */
export interface BaseEnvOptions {
  /** The image's whole environment, given as is (tests, callers with their own). */
  baseEnv?: Record<string, string | undefined>;
  /** Start from this process's whole environment; default: `SWITCHYARD_BUILD_INHERIT_ENV=1` in it. */
  inheritEnv?: boolean;
  awsAccess?: BuildAwsAccess;
}

/** The variables of `source` a build gets by default (PASSED_VARIABLES and the LC_* ones), and nothing else. */
export function minimalEnvironment(source: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && (PASSED_VARIABLES.includes(name) || LOCALE.test(name))) env[name] = value;
  }
  return env;
}

/** The AWS access as the variables the AWS CLI and SDKs read. */
export function awsAccessVariables(access: BuildAwsAccess): Record<string, string> {
  return {
    ...(access.endpoint ? { AWS_ENDPOINT_URL: access.endpoint } : {}),
    AWS_ACCESS_KEY_ID: access.accessKeyId,
    AWS_SECRET_ACCESS_KEY: access.secretAccessKey,
    ...(access.sessionToken ? { AWS_SESSION_TOKEN: access.sessionToken } : {}),
  };
}

/** True when builds start with the whole environment: asked explicitly, else SWITCHYARD_BUILD_INHERIT_ENV=1. */
export function inheritsEnvironment(
  options: BaseEnvOptions,
  source: Record<string, string | undefined> = process.env,
): boolean {
  return options.inheritEnv ?? source[INHERIT_ENV_VARIABLE] === '1';
}

/**
 * The image's environment: `baseEnv` when given; else this process's whole environment when inherited, or only its
 * PASSED_VARIABLES; then the build's AWS access, which wins over any inherited AWS_* credentials.
 */
export function imageEnvironment(
  options: BaseEnvOptions,
  source: Record<string, string | undefined> = process.env,
): Record<string, string | undefined> {
  if (options.baseEnv) return options.baseEnv;
  const env: Record<string, string | undefined> = inheritsEnvironment(options, source)
    ? { ...source }
    : minimalEnvironment(source);
  if (options.awsAccess) {
    // Credentials of the user's own that would otherwise sit next to the run's are dropped with them.
    for (const name of Object.keys(env))
      if (name === 'AWS_PROFILE' || name === 'AWS_SESSION_TOKEN' || name.startsWith('AWS_ENDPOINT_URL'))
        delete env[name];
    Object.assign(env, awsAccessVariables(options.awsAccess));
  }
  return env;
}
