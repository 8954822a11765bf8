/**
 * DOWNLOAD_SOURCE of a local build, as CodeBuild does it: the source copied into CODEBUILD_SRC_DIR, the buildspec
 * read and checked, the environment variables processed (Parameter Store and Secrets Manager references resolved),
 * and the shell session the commands will share started. Any failure here is the phase's context.
 */
import { describeError, InvalidInputError } from '../../functions/lib/shared/errors';
import { parseBuildspec } from './buildspec';
import { type Buildspec, PHASE_NAMES, type PhaseName } from './buildspec-schema';
import { buildEnvironment } from './environment';
import type { Interrupt } from './interrupt';
import { type Dirs, resolveShell, ShellSession } from './shell-session';
import { copySource, loadBuildspec } from './source';
import type { PhaseContext, PhaseType, RunBuildOptions } from './types';

export const PHASE_TYPES: Record<PhaseName, PhaseType> = {
  install: 'INSTALL',
  pre_build: 'PRE_BUILD',
  build: 'BUILD',
  post_build: 'POST_BUILD',
};

/** What the phase needs of the build it belongs to. */
export interface SourceJob {
  options: RunBuildOptions;
  dirs: Dirs;
  build: { id: string; arn: string; region: string; startTime: Date };
  interrupt: Interrupt;
  log: (text: string) => void;
  warn: (message: string) => void;
}

/** A build ready for its command phases. */
export interface PreparedBuild {
  spec: Buildspec;
  session: ShellSession;
  /** Resolved secret values, for the log to hide. */
  secretValues: string[];
  /** Variables CodeBuild never exports (the project's secrets). */
  unexportable: Set<string>;
}

/** Runs DOWNLOAD_SOURCE; returns the prepared build, or the phase's failure context. */
export async function downloadSource(job: SourceJob): Promise<PreparedBuild | PhaseContext> {
  const { options, dirs } = job;
  job.log(`CODEBUILD_SRC_DIR=${dirs.src}`);
  try {
    await copySource(options.source, dirs.src);
  } catch (error) {
    return {
      statusCode: 'CLIENT_ERROR',
      message: `error while downloading the source: ${describeError(error)}`,
    };
  }
  const loaded = await loadBuildspec(dirs.src, options.buildspec, job.log);
  if ('statusCode' in loaded) return loaded;
  let spec: Buildspec;
  try {
    const parsed = parseBuildspec(loaded.text, loaded.file);
    spec = parsed.buildspec;
    for (const warning of parsed.warnings) job.warn(warning);
  } catch (error) {
    if (error instanceof InvalidInputError) return { statusCode: 'YAML_FILE_ERROR', message: error.message };
    throw error;
  }
  job.log('Processing environment variables');
  const environment = await buildEnvironment({
    ...job.build,
    options,
    spec,
    file: loaded.file,
    dirs,
    warn: job.warn,
    log: job.log,
  });
  if ('statusCode' in environment) return environment;
  const shell = await resolveShell(spec.shell, environment.env.PATH);
  if (spec.shell === undefined) {
    job.log(
      `The buildspec sets no env.shell: commands run with ${shell} (CodeBuild runs the image's /bin/sh: bash ` +
        'on Amazon Linux images, dash on Ubuntu standard images; see docs/LOCAL-BUILDS.md)',
    );
  }
  const session = new ShellSession(shell, dirs, job.interrupt);
  await session.start(environment.env);
  job.log(`Moving to directory ${dirs.src}`);
  const present = PHASE_NAMES.filter((name) => spec.phases[name]);
  job.log(`Phases found in YAML: ${present.length}`);
  for (const name of present) {
    job.log(` ${PHASE_TYPES[name]}: ${spec.phases[name]?.commands.length ?? 0} commands`);
  }
  return { spec, session, secretValues: environment.secretValues, unexportable: environment.unexportable };
}
