/** One build on this machine, phase by phase: the state behind runBuild. */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, InvalidInputError } from '../../functions/lib/shared/errors';
import { type Buildspec, PHASE_NAMES, type PhaseName } from './buildspec-schema';
import { downloadSource, PHASE_TYPES } from './download-source';
import { Interrupt, Interrupted } from './interrupt';
import { secretMasker, timestamp } from './log';
import type { Dirs, ShellSession } from './shell-session';
import type {
  BuildArtifact,
  BuildPhase,
  BuildRunResult,
  BuildStatus,
  PhaseContext,
  PhaseType,
  RunBuildOptions,
} from './types';
import { type ArtifactJob, deliverArtifact, selectArtifact } from './upload-artifacts';

/** One build's state, from SUBMITTED to COMPLETED. */
export class LocalBuild {
  private readonly clock: () => Date;
  private readonly onLog: (line: string) => void;
  /** Hides the resolved secrets in every line the build logs. */
  private mask: (line: string) => string = (line) => line;
  private unexportable = new Set<string>();
  private readonly interrupt: Interrupt;
  private readonly phases: BuildPhase[] = [];
  private readonly warnings: string[] = [];
  private readonly id: string;
  private readonly arn: string;
  private readonly region: string;
  private dirs: Dirs = { src: '', state: '', home: '' };
  private spec: Buildspec | undefined;
  private session: ShellSession | undefined;
  private artifact: BuildArtifact | null = null;
  private artifactFiles: string[] = [];
  private succeeding = true;

  constructor(private readonly options: RunBuildOptions) {
    this.clock = options.now ?? (() => new Date());
    this.onLog = options.onLog ?? (() => undefined);
    this.interrupt = new Interrupt(options.signal, options.timeoutMs);
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.id = options.buildId ?? `${options.projectName}:${randomUUID()}`;
    this.arn = `arn:aws:codebuild:${this.region}:${options.accountId ?? '123456789012'}:build/${this.id}`;
  }

  async run(): Promise<BuildRunResult> {
    const startTime = this.clock();
    for (const type of ['SUBMITTED', 'QUEUED', 'PROVISIONING'] as const) {
      this.phases.push({
        phaseType: type,
        phaseStatus: 'SUCCEEDED',
        startTime,
        endTime: startTime,
        durationInSeconds: 0,
      });
    }
    const workDir = await mkdtemp(join(this.options.workRoot ?? tmpdir(), 'switchyard-build-'));
    this.dirs = {
      src: join(workDir, 'src'),
      state: join(workDir, 'state'),
      home: this.options.home ?? join(workDir, 'home'),
    };
    let exportedVariables: Array<{ name: string; value: string }> = [];
    try {
      await mkdir(this.dirs.state);
      await mkdir(this.dirs.home, { recursive: true });
      if ((await this.phase('DOWNLOAD_SOURCE', () => this.downloadSource(startTime))) === 'SUCCEEDED') {
        const upload = await this.commandPhases();
        // The exported values are those at the end of the last phase that ran.
        exportedVariables = await this.exportedVariables();
        if (upload) await this.phase('UPLOAD_ARTIFACTS', () => this.uploadArtifacts());
      }
      await this.phase(
        'FINALIZING',
        async () => {
          this.session?.killLeftovers();
          return undefined;
        },
        { evenIfInterrupted: true },
      );
    } finally {
      this.interrupt.dispose();
      this.session?.killLeftovers();
    }
    const endTime = this.clock();
    this.phases.push({ phaseType: 'COMPLETED', startTime: endTime });
    return {
      id: this.id,
      arn: this.arn,
      buildNumber: this.options.buildNumber ?? 1,
      status: overallStatus(this.phases),
      startTime,
      endTime,
      phases: this.phases,
      exportedVariables,
      artifact: this.artifact,
      artifactFiles: this.artifactFiles,
      srcDir: this.dirs.src,
      workDir,
      warnings: this.warnings,
    };
  }

  /** Runs one phase and records it; a body returns a failure context, or throws. */
  private async phase(
    type: PhaseType,
    body: () => Promise<PhaseContext | undefined>,
    { evenIfInterrupted = false } = {},
  ): Promise<BuildStatus> {
    const record: BuildPhase = { phaseType: type, startTime: this.clock() };
    this.phases.push(record);
    this.log(type === 'DOWNLOAD_SOURCE' ? 'Phase is DOWNLOAD_SOURCE' : `Entering phase ${type}`);
    let status: BuildStatus = 'SUCCEEDED';
    let context: PhaseContext | undefined;
    try {
      if (!evenIfInterrupted) this.interrupt.throwIfFired();
      context = await body();
      if (context) status = 'FAILED';
    } catch (error) {
      if (error instanceof Interrupted) {
        status = error.reason;
        context = error.context;
      } else if (error instanceof InvalidInputError) {
        status = 'FAILED';
        context = { statusCode: 'CLIENT_ERROR', message: error.message };
      } else {
        status = 'FAULT';
        context = { statusCode: 'INTERNAL_ERROR', message: describeError(error) };
      }
    }
    if (status !== 'SUCCEEDED') this.succeeding = false;
    record.phaseStatus = status;
    record.endTime = this.clock();
    record.durationInSeconds = Math.floor((record.endTime.getTime() - record.startTime.getTime()) / 1000);
    record.contexts = [context ?? { statusCode: '', message: '' }];
    this.log(`Phase complete: ${type} State: ${status}`);
    this.log(`Phase context status code: ${context?.statusCode ?? ''} Message: ${context?.message ?? ''}`);
    return status;
  }

  /** INSTALL to POST_BUILD with CodeBuild's transitions; true when UPLOAD_ARTIFACTS is still attempted. */
  private async commandPhases(): Promise<boolean> {
    for (const name of PHASE_NAMES) {
      const status = await this.phase(PHASE_TYPES[name], () => this.commands(name));
      if (status === 'SUCCEEDED') continue;
      if (status !== 'FAILED') return false;
      const onFailure = this.spec?.phases[name]?.onFailure;
      if (onFailure === 'CONTINUE') continue;
      // By default a failed BUILD still runs POST_BUILD, and UPLOAD_ARTIFACTS is attempted after both;
      // a failed INSTALL or PRE_BUILD goes straight to FINALIZING.
      if (onFailure === 'ABORT' || name === 'install' || name === 'pre_build') return false;
    }
    return true;
  }

  private async commands(name: PhaseName): Promise<PhaseContext | undefined> {
    const phase = this.spec?.phases[name];
    if (!phase) return undefined;
    const failure = await this.block(phase.commands);
    // finally runs even when a command failed; the phase reports the first failure.
    const finallyFailure = await this.block(phase.finally);
    return failure ?? finallyFailure;
  }

  /** Runs commands in order and stops at the first that fails. */
  private async block(commands: string[]): Promise<PhaseContext | undefined> {
    const session = this.session;
    if (!session) return undefined;
    for (const command of commands) {
      // A YAML block scalar (`- |`) ends with a newline that is not part of what the log shows.
      const shown = command.replace(/\n+$/, '');
      this.log(`Running command ${shown}`);
      const result = await session.run(command, this.succeeding, (line) => this.emit(line));
      if (result.code === 0) continue;
      const reason = result.code === null ? `signal: ${result.signal}` : `exit status ${result.code}`;
      this.succeeding = false;
      this.log(`Command did not exit successfully ${shown} ${reason}`);
      return {
        statusCode: 'COMMAND_EXECUTION_ERROR',
        message: `Error while executing command: ${shown}. Reason: ${reason}`,
      };
    }
    return undefined;
  }

  private async downloadSource(startTime: Date): Promise<PhaseContext | undefined> {
    const prepared = await downloadSource({
      options: this.options,
      dirs: this.dirs,
      build: { id: this.id, arn: this.arn, region: this.region, startTime },
      interrupt: this.interrupt,
      log: (text) => this.log(text),
      warn: (message) => this.warn(message),
    });
    if ('statusCode' in prepared) return prepared;
    this.spec = prepared.spec;
    this.session = prepared.session;
    this.mask = secretMasker(prepared.secretValues);
    this.unexportable = prepared.unexportable;
    return undefined;
  }

  private async exportedVariables(): Promise<Array<{ name: string; value: string }>> {
    const names = (this.spec?.exportedVariables ?? []).filter((name) => {
      if (!this.unexportable.has(name)) return true;
      // https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.exported-variables
      this.warn(`exported variable ${name} is a secret of the project, which CodeBuild never exports`);
      return false;
    });
    if (!this.session || names.length === 0 || this.interrupt.reason) return [];
    const values = await this.session.read(names);
    return names.map((name) => ({ name, value: values.get(name) ?? '' }));
  }

  private async uploadArtifacts(): Promise<PhaseContext | undefined> {
    const job: ArtifactJob = {
      options: this.options,
      srcDir: this.dirs.src,
      build: { id: this.id, arn: this.arn },
      session: this.session,
      interrupt: this.interrupt,
      now: this.clock,
      log: (text) => this.log(text),
    };
    const spec = this.spec?.artifacts;
    const files = await selectArtifact(job, spec);
    if (!spec || !files) return undefined;
    this.artifactFiles = files.map((file) => file.archivePath);
    const delivered = await deliverArtifact(job, spec, files);
    if ('statusCode' in delivered) return delivered;
    this.artifact = delivered.artifact;
    return undefined;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.log(`Warning: ${message}`);
  }

  private emit(line: string): void {
    this.onLog(this.mask(line));
  }

  private log(text: string): void {
    const [first, ...rest] = text.split('\n');
    this.emit(`[Container] ${timestamp(this.clock())} ${first}`);
    for (const line of rest) this.emit(line);
  }
}

function overallStatus(phases: BuildPhase[]): BuildStatus {
  const statuses = new Set(phases.map((phase) => phase.phaseStatus));
  for (const status of ['TIMED_OUT', 'STOPPED', 'FAULT', 'FAILED'] as const)
    if (statuses.has(status)) return status;
  return 'SUCCEEDED';
}
