import { readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { awsVariableResolver } from '../build/aws-variables';
import { parseBuildspec } from '../build/buildspec';
import { plainVariable, readEnvFile } from '../build/env-file';
import { type BuildRunResult, runBuild, type VariableResolver } from '../build/runner';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

/**
 * The resolver for typed variables: Parameter Store and Secrets Manager on the default credential chain (a
 * profile, AWS_ACCESS_KEY_ID, SSO...), AWS_ENDPOINT_URL and AWS_REGION (or AWS_DEFAULT_REGION) as the SDK reads
 * them. Only made when a variable needs it, so a build without one never touches AWS.
 */
function awsResolver(): VariableResolver {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const config = region ? { region } : {};
  return awsVariableResolver({
    ssm: new SSMClient(config),
    secretsManager: new SecretsManagerClient(config),
  });
}

/** The result as CodeBuild's API shapes it (BatchGetBuilds' phases and exportedEnvironmentVariables). */
function summary(result: BuildRunResult): Record<string, unknown> {
  return {
    status: result.status,
    phases: result.phases.map((phase) => ({
      phaseType: phase.phaseType,
      ...(phase.phaseStatus ? { phaseStatus: phase.phaseStatus } : {}),
      ...(phase.contexts ? { contexts: phase.contexts } : {}),
    })),
    warnings: result.warnings,
    exportedVariables: result.exportedVariables,
    artifactFiles: result.artifactFiles,
  };
}

/** `switchyard run-build`: one buildspec run on this machine as CodeBuild runs it, like CodeBuild's local agent. */
export const runBuildCommand: Command = {
  summary: "run a buildspec on a source folder as CodeBuild would (phases, variables, the artifact's files)",
  usage: `switchyard run-build --source DIR [--buildspec PATH] [--env NAME=VALUE]... [--env-file FILE]
                     [--resolved-source-version SHA] [--source-version V] [--artifacts DIR]
                     [--inherit-env] [--parse-only] [--json]

Runs the buildspec's phases (install, pre_build, build, post_build, with their finally blocks and on-failure)
in a copy of DIR with CodeBuild's environment variables, then collects the primary artifact's files as
CodeBuild does. The build log goes to stderr.

  --source DIR                    the source folder (CODEBUILD_SRC_DIR gets a copy; DIR is not changed)
  --buildspec PATH                the buildspec, relative to DIR (default buildspec.yml)
  --env NAME=VALUE                a build environment variable (as a project's PLAINTEXT variable); repeatable
  --env-file FILE                 the project's variables, before --env: NAME=VALUE lines (# comments and blank
                                  lines skipped), or the JSON list of the stack parameter BuildEnvironmentVariables,
                                  [{"name", "value", "type"}] (typed variables: see below)
  --resolved-source-version SHA   CODEBUILD_RESOLVED_SOURCE_VERSION (CodePipeline sets the commit id)
  --source-version V              CODEBUILD_SOURCE_VERSION
  --artifacts DIR                 write the primary artifact's files under DIR, by their artifact paths
  --inherit-env                   start the build with this whole environment (AWS_PROFILE, AWS_SESSION_TOKEN and
                                  every other variable), not only PATH, LANG, LC_*, TERM, TMPDIR, TZ and DOCKER_HOST
  --parse-only                    validate the buildspec and run nothing (exit 1, the error on stderr, if invalid)
  --json                          end stdout with one JSON line: {"status", "phases": [{"phaseType",
                                  "phaseStatus", "contexts": [{"statusCode", "message"}]}], "warnings",
                                  "exportedVariables": [{"name", "value"}], "artifactFiles": [paths]}

Typed variables: in a JSON --env-file, type PARAMETER_STORE takes a parameter name and SECRETS_MANAGER a
secret-id:json-key:version-stage:version-id reference, as in a CodeBuild project. When the file has one, those and
the buildspec's env.parameter-store and env.secrets-manager are read from AWS (SSM GetParameter with decryption,
Secrets Manager GetSecretValue) with the default credential chain, AWS_REGION and AWS_ENDPOINT_URL, as CodeBuild
reads them; one that cannot be read fails the build in DOWNLOAD_SOURCE, and their values show as *** in the log.
Without a typed entry nothing is read from AWS, and those variables stay unset (a warning each).
Commands run with bash (with /bin/sh where there is no bash) unless env.shell says /bin/sh: docs/LOCAL-BUILDS.md.
They run on this machine, as you, with CodeBuild's variables, --env, --env-file and the buildspec's, and of this
environment only PATH, LANG, LC_*, TERM, TMPDIR, TZ and DOCKER_HOST: no AWS credentials, profile or token reaches
the build unless given with --env or --inherit-env.

Exit status 0 only when the build SUCCEEDED. Ctrl-C stops the build (status STOPPED).

Example:
  switchyard run-build --source examples/sample-app --resolved-source-version "$(git rev-parse HEAD)" \\
    --artifacts /tmp/out --json`,
  run: async (args) => {
    const { values } = parseFlags('run-build', {
      args,
      options: {
        source: { type: 'string' },
        buildspec: { type: 'string' },
        env: { type: 'string', multiple: true },
        'env-file': { type: 'string' },
        'resolved-source-version': { type: 'string' },
        'source-version': { type: 'string' },
        artifacts: { type: 'string' },
        'inherit-env': { type: 'boolean' },
        'parse-only': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    if (!values.source) throw new InvalidInputError('--source DIR is required: the folder to build');
    const source = resolve(values.source);
    const file = values.buildspec ?? 'buildspec.yml';
    if (values['parse-only']) {
      const path = resolve(source, file);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        throw new InvalidInputError(`--buildspec ${file}: cannot read ${path} (${(error as Error).message})`);
      }
      const parsed = parseBuildspec(text, file);
      for (const warning of parsed.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (values.json)
        process.stdout.write(`${JSON.stringify({ valid: true, warnings: parsed.warnings })}\n`);
      else process.stdout.write(`${file}: valid\n`);
      return 0;
    }
    const environmentVariables = [
      ...(values['env-file'] ? readEnvFile(values['env-file']) : []),
      ...(values.env ?? []).map((text) => plainVariable(text, '--env')),
    ];
    const typed = environmentVariables.some((variable) => (variable.type ?? 'PLAINTEXT') !== 'PLAINTEXT');
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGINT', stop);
    const started = Date.now();
    let result: BuildRunResult;
    try {
      result = await runBuild({
        projectName: 'switchyard-run-build',
        source: { directory: source },
        ...(values.buildspec ? { buildspec: values.buildspec } : {}),
        sourceVersion: values['source-version'],
        resolvedSourceVersion: values['resolved-source-version'],
        environmentVariables,
        ...(typed ? { resolveVariable: awsResolver() } : {}),
        ...(values.artifacts ? { artifactsDirectory: resolve(values.artifacts) } : {}),
        inheritEnv: values['inherit-env'] ?? false,
        onLog: (line) => process.stderr.write(`${line}\n`),
        signal: controller.signal,
      });
    } finally {
      process.removeListener('SIGINT', stop);
    }
    await rm(result.workDir, { recursive: true, force: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (values.json) process.stdout.write(`${JSON.stringify(summary(result))}\n`);
    else {
      const failed = result.phases.find((phase) => phase.phaseStatus && phase.phaseStatus !== 'SUCCEEDED');
      const why = failed ? ` in ${failed.phaseType}: ${failed.contexts?.[0]?.message ?? ''}` : '';
      process.stdout.write(`build ${result.status} in ${seconds} s${why}\n`);
      for (const exported of result.exportedVariables)
        process.stdout.write(`exported ${exported.name}=${exported.value}\n`);
      if (values.artifacts)
        process.stdout.write(`${result.artifactFiles.length} artifact file(s) in ${values.artifacts}\n`);
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  },
};
