/** The environment a build's commands start with, merged the way CodeBuild merges it. */
import type { Buildspec } from './buildspec-schema';
import type { Dirs } from './shell-session';
import type { RunBuildOptions } from './types';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The image's environment, then buildspec < project < StartBuild override, then CodeBuild's own. */
export function buildEnvironment(build: {
  options: RunBuildOptions;
  spec: Buildspec;
  id: string;
  arn: string;
  region: string;
  dirs: Dirs;
  startTime: Date;
  warn: (message: string) => void;
}): Record<string, string> {
  const { options, spec, id, arn, region, dirs, startTime, warn } = build;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.baseEnv ?? process.env)) {
    if (value !== undefined && IDENTIFIER.test(name) && name !== 'OLDPWD') env[name] = value;
  }
  Object.assign(env, {
    HOME: dirs.home,
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    PWD: dirs.src,
  });
  for (const variable of spec.variables) env[variable.name] = variable.value;
  const sources = [
    ['project', options.environmentVariables],
    ['StartBuild override', options.environmentVariablesOverride],
  ] as const;
  for (const [origin, variables] of sources) {
    for (const variable of variables ?? []) {
      const type = variable.type ?? 'PLAINTEXT';
      if (type !== 'PLAINTEXT') {
        warn(
          `${origin} environment variable ${variable.name} is of type ${type}, which the local build runner cannot resolve; it is not set`,
        );
      } else if (!IDENTIFIER.test(variable.name) || variable.name.startsWith('CODEBUILD_')) {
        warn(
          `${origin} environment variable ${variable.name} is not a valid name, or uses the reserved CODEBUILD_ prefix; it is not set`,
        );
      } else {
        env[variable.name] = variable.value;
      }
    }
  }
  const builtins: Record<string, string | undefined> = {
    CODEBUILD_BUILD_ARN: arn,
    CODEBUILD_BUILD_ID: id,
    CODEBUILD_BUILD_IMAGE: options.image ?? 'aws/codebuild/standard:7.0',
    CODEBUILD_BUILD_NUMBER: String(options.buildNumber ?? 1),
    CODEBUILD_BUILD_SUCCEEDING: '1',
    CODEBUILD_INITIATOR: options.initiator ?? 'switchyard-local',
    CODEBUILD_KMS_KEY_ID: 'alias/aws/s3',
    CODEBUILD_LOG_PATH: id.slice(id.indexOf(':') + 1),
    // Only the sources that resolve a commit have one (CodeCommit, GitHub, Bitbucket, CodePipeline); an S3 source
    // leaves it unset: https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
    CODEBUILD_RESOLVED_SOURCE_VERSION: options.resolvedSourceVersion,
    CODEBUILD_SOURCE_VERSION: options.sourceVersion,
    CODEBUILD_SRC_DIR: dirs.src,
    CODEBUILD_START_TIME: String(startTime.getTime()),
  };
  for (const [name, value] of Object.entries(builtins)) if (value !== undefined) env[name] = value;
  return env;
}
