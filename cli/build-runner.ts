/**
 * Runs a buildspec (version 0.2) on this machine the way AWS CodeBuild runs it, with no Docker and no
 * AWS account: a fresh copy of the source, CodeBuild's phases, transitions, environment variables and
 * log lines, the artifact zipped and put where CodeBuild puts it, and a result shaped like BatchGetBuilds'.
 *
 * Shell session: CodeBuild 0.2 runs "all build commands in the same instance of the default shell", so
 * `cd`, assignments and exports carry over between commands and phases. Each command runs in a fresh
 * `sh` (or bash) that first sources the state the previous command left (`export -p` output and the
 * working directory), runs the command in the current shell with `set -a` (so plain assignments carry
 * over too), and saves the state again from an EXIT trap. Compared with one long-lived shell fed
 * commands on stdin, a command cannot read the next commands from stdin, `exit 3` ends only that command
 * (with status 3), and the exit status needs no in-band marker in the output.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { constants } from 'node:fs';
import {
  access,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, relative, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type ArtifactFile,
  type Buildspec,
  PHASE_NAMES,
  type PhaseName,
  parseBuildspec,
  selectArtifactFiles,
  type TreeEntry,
} from '../functions/lib/buildspec';
import { describeError, InvalidInputError } from '../functions/lib/errors';
import { extractZip } from '../functions/lib/unzip';
import { type ZipEntry, ZipWriter } from '../functions/lib/zip';

export type BuildStatus = 'SUCCEEDED' | 'FAILED' | 'FAULT' | 'TIMED_OUT' | 'STOPPED';
export type PhaseType =
  | 'SUBMITTED'
  | 'QUEUED'
  | 'PROVISIONING'
  | 'DOWNLOAD_SOURCE'
  | 'INSTALL'
  | 'PRE_BUILD'
  | 'BUILD'
  | 'POST_BUILD'
  | 'UPLOAD_ARTIFACTS'
  | 'FINALIZING'
  | 'COMPLETED';

export interface PhaseContext {
  statusCode: string;
  message: string;
}

/** One phase, as BatchGetBuilds reports it (COMPLETED has a startTime only). */
export interface BuildPhase {
  phaseType: PhaseType;
  phaseStatus?: BuildStatus;
  startTime: Date;
  endTime?: Date;
  durationInSeconds?: number;
  contexts?: PhaseContext[];
}

/** A project or StartBuild environment variable; only PLAINTEXT can be resolved locally. */
export interface EnvironmentVariable {
  name: string;
  value: string;
  type?: 'PLAINTEXT' | 'PARAMETER_STORE' | 'SECRETS_MANAGER';
}

/** The project's (or StartBuild's artifactsOverride) S3 artifacts settings; `bucket` is ProjectArtifacts.location. */
export interface ArtifactsSettings {
  bucket: string;
  path?: string;
  /** Defaults to the project name; "/" means no name component. */
  name?: string;
  namespaceType?: 'NONE' | 'BUILD_ID';
  /** NONE (CodeBuild's default) uploads each file under the key; ZIP uploads one archive at the key. */
  packaging?: 'NONE' | 'ZIP';
  /** When true, the buildspec's artifacts.name (shell-expanded) replaces `name`. */
  overrideArtifactName?: boolean;
}

export type BuildSource = { zip: Buffer } | { zipFile: string } | { directory: string };

export interface RunBuildOptions {
  projectName: string;
  source: BuildSource;
  /** StartBuild's buildspecOverride: a path relative to CODEBUILD_SRC_DIR, or the buildspec YAML itself. */
  buildspec?: string;
  /** `<project>:<uuid>`; a new one by default. */
  buildId?: string;
  buildNumber?: number;
  region?: string;
  accountId?: string;
  sourceVersion?: string;
  resolvedSourceVersion?: string;
  initiator?: string;
  image?: string;
  /** The project's environment variables. */
  environmentVariables?: EnvironmentVariable[];
  /** StartBuild's environmentVariablesOverride; wins over the project's, which win over the buildspec's. */
  environmentVariablesOverride?: EnvironmentVariable[];
  /** Where the artifact goes; absent means NO_ARTIFACTS. */
  artifacts?: ArtifactsSettings;
  /** Needed when `artifacts` is set. */
  s3?: S3Client;
  /** Receives the build log, one line at a time, as CodeBuild writes it to CloudWatch Logs. */
  onLog?: (line: string) => void;
  /** Build timeout; the running command's process group is killed and the build ends TIMED_OUT. */
  timeoutMs?: number;
  /** StopBuild: the build ends STOPPED. */
  signal?: AbortSignal;
  /** The build image's environment; default this process's. */
  baseEnv?: Record<string, string | undefined>;
  /** Parent of the build's temporary directory; default the OS temp directory. */
  workRoot?: string;
  /** HOME for the commands; default a fresh directory next to the source (CodeBuild's /root is not ours). */
  home?: string;
  now?: () => Date;
}

export interface BuildArtifact {
  bucket: string;
  key: string;
  /** sha256 of the zip; null for packaging NONE. */
  sha256: string | null;
  bytes: number;
  /** `arn:aws:s3:::bucket/key`, as BatchGetBuilds' artifacts.location. */
  location: string;
}

export interface BuildRunResult {
  id: string;
  arn: string;
  buildNumber: number;
  status: BuildStatus;
  startTime: Date;
  endTime: Date;
  phases: BuildPhase[];
  exportedVariables: Array<{ name: string; value: string }>;
  artifact: BuildArtifact | null;
  /** CODEBUILD_SRC_DIR, left in place for inspection. */
  srcDir: string;
  /** The build's temporary directory (source, shell state, HOME): remove it when done. */
  workDir: string;
  warnings: string[];
}

const PHASE_TYPES: Record<PhaseName, PhaseType> = {
  install: 'INSTALL',
  pre_build: 'PRE_BUILD',
  build: 'BUILD',
  post_build: 'POST_BUILD',
};
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** How long output may keep flowing after a command exits (a background job holding the pipe). */
const OUTPUT_GRACE_MS = 200;

/** Runs one build to completion; throws only for invalid options, every build problem is in the result. */
export async function runBuild(options: RunBuildOptions): Promise<BuildRunResult> {
  if (!options.projectName) throw new InvalidInputError('runBuild needs a projectName');
  if (options.artifacts && !options.s3) {
    throw new InvalidInputError(
      `artifacts go to S3 bucket "${options.artifacts.bucket}", so runBuild needs an s3 client`,
    );
  }
  return new LocalBuild(options).run();
}

/** The S3 key CodeBuild writes an artifact to: path / build UUID (namespace BUILD_ID) / name. */
export function artifactKey(
  settings: ArtifactsSettings,
  build: { id: string; projectName: string; buildspecName?: string },
): string {
  const name =
    (settings.overrideArtifactName ? build.buildspecName : undefined) ?? settings.name ?? build.projectName;
  const namespace =
    settings.namespaceType === 'BUILD_ID' ? build.id.slice(build.id.indexOf(':') + 1) : undefined;
  return [settings.path, namespace, name]
    .map((part) => (part ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
}

interface Dirs {
  src: string;
  state: string;
  home: string;
}

/** One build's state, from SUBMITTED to COMPLETED. */
class LocalBuild {
  private readonly clock: () => Date;
  private readonly emit: (line: string) => void;
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
  private succeeding = true;

  constructor(private readonly options: RunBuildOptions) {
    this.clock = options.now ?? (() => new Date());
    this.emit = options.onLog ?? (() => undefined);
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
      const result = await session.run(command, this.succeeding, this.emit);
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
    this.log(`CODEBUILD_SRC_DIR=${this.dirs.src}`);
    try {
      await copySource(this.options.source, this.dirs.src);
    } catch (error) {
      return {
        statusCode: 'CLIENT_ERROR',
        message: `error while downloading the source: ${describeError(error)}`,
      };
    }
    const loaded = await this.loadBuildspec();
    if ('statusCode' in loaded) return loaded;
    try {
      const parsed = parseBuildspec(loaded.text, loaded.file);
      this.spec = parsed.buildspec;
      for (const warning of parsed.warnings) this.warn(warning);
    } catch (error) {
      if (error instanceof InvalidInputError)
        return { statusCode: 'YAML_FILE_ERROR', message: error.message };
      throw error;
    }
    this.log('Processing environment variables');
    const env = this.environment(startTime, this.spec);
    const shell = await resolveShell(this.spec.shell, env.PATH);
    this.session = new ShellSession(shell, this.dirs, this.interrupt);
    await this.session.start(env);
    this.log(`Moving to directory ${this.dirs.src}`);
    const present = PHASE_NAMES.filter((name) => this.spec?.phases[name]);
    this.log(`Phases found in YAML: ${present.length}`);
    for (const name of present) {
      this.log(` ${PHASE_TYPES[name]}: ${this.spec.phases[name]?.commands.length ?? 0} commands`);
    }
    return undefined;
  }

  private async loadBuildspec(): Promise<{ text: string; file: string } | PhaseContext> {
    const override = this.options.buildspec;
    if (override !== undefined && (override.includes('\n') || override.trim().startsWith('{'))) {
      return { text: override, file: 'buildspec override' };
    }
    const file = override ?? 'buildspec.yml';
    const path = resolve(this.dirs.src, file);
    if (relative(this.dirs.src, path).startsWith('..')) {
      return {
        statusCode: 'YAML_FILE_ERROR',
        message: `buildspec path ${file} is outside CODEBUILD_SRC_DIR`,
      };
    }
    this.log(`YAML location is ${path}`);
    try {
      return { text: await readFile(path, 'utf8'), file };
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      return {
        statusCode: 'YAML_FILE_ERROR',
        message: missing
          ? `${file} was not found in the source (CODEBUILD_SRC_DIR=${this.dirs.src}): add it at the root of ` +
            'the repository, or give the build a buildspec override'
          : `cannot read ${file}: ${describeError(error)}`,
      };
    }
  }

  /** The image's environment, then buildspec < project < StartBuild override, then CodeBuild's own. */
  private environment(startTime: Date, spec: Buildspec): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.options.baseEnv ?? process.env)) {
      if (value !== undefined && IDENTIFIER.test(name) && name !== 'OLDPWD') env[name] = value;
    }
    Object.assign(env, {
      HOME: this.dirs.home,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      PWD: this.dirs.src,
    });
    for (const variable of spec.variables) env[variable.name] = variable.value;
    const sources = [
      ['project', this.options.environmentVariables],
      ['StartBuild override', this.options.environmentVariablesOverride],
    ] as const;
    for (const [origin, variables] of sources) {
      for (const variable of variables ?? []) {
        const type = variable.type ?? 'PLAINTEXT';
        if (type !== 'PLAINTEXT') {
          this.warn(
            `${origin} environment variable ${variable.name} is of type ${type}, which the local build runner cannot resolve; it is not set`,
          );
        } else if (!IDENTIFIER.test(variable.name) || variable.name.startsWith('CODEBUILD_')) {
          this.warn(
            `${origin} environment variable ${variable.name} is not a valid name, or uses the reserved CODEBUILD_ prefix; it is not set`,
          );
        } else {
          env[variable.name] = variable.value;
        }
      }
    }
    const builtins: Record<string, string | undefined> = {
      CODEBUILD_BUILD_ARN: this.arn,
      CODEBUILD_BUILD_ID: this.id,
      CODEBUILD_BUILD_IMAGE: this.options.image ?? 'aws/codebuild/standard:7.0',
      CODEBUILD_BUILD_NUMBER: String(this.options.buildNumber ?? 1),
      CODEBUILD_BUILD_SUCCEEDING: '1',
      CODEBUILD_INITIATOR: this.options.initiator ?? 'switchyard-local',
      CODEBUILD_KMS_KEY_ID: 'alias/aws/s3',
      CODEBUILD_LOG_PATH: this.id.slice(this.id.indexOf(':') + 1),
      CODEBUILD_RESOLVED_SOURCE_VERSION: this.options.resolvedSourceVersion ?? this.options.sourceVersion,
      CODEBUILD_SOURCE_VERSION: this.options.sourceVersion,
      CODEBUILD_SRC_DIR: this.dirs.src,
      CODEBUILD_START_TIME: String(startTime.getTime()),
    };
    for (const [name, value] of Object.entries(builtins)) if (value !== undefined) env[name] = value;
    return env;
  }

  private async exportedVariables(): Promise<Array<{ name: string; value: string }>> {
    const names = this.spec?.exportedVariables ?? [];
    if (!this.session || names.length === 0 || this.interrupt.reason) return [];
    const values = await this.session.read(names);
    return names.map((name) => ({ name, value: values.get(name) ?? '' }));
  }

  private async uploadArtifacts(): Promise<PhaseContext | undefined> {
    const settings = this.options.artifacts;
    const spec = this.spec?.artifacts;
    if (!settings || !this.options.s3) return undefined;
    if (!spec) {
      this.log('No artifacts section in the buildspec: nothing to upload');
      return undefined;
    }
    const base = spec.baseDirectory ?? '.';
    if (spec.baseDirectory !== undefined) this.log(`Expanding base directory path: ${base}`);
    this.log('Assembling file list');
    this.log(`Expanding ${base}`);
    this.log(`Expanding file paths for base directory ${base}`);
    const files = selectArtifactFiles(await listTree(this.dirs.src, spec.enableSymlinks), spec);
    this.log(`Found ${files.length} file(s)`);
    const buildspecName =
      settings.overrideArtifactName && spec.name !== undefined && this.session
        ? await this.session.evaluate(spec.name)
        : undefined;
    const key = artifactKey(settings, { id: this.id, projectName: this.options.projectName, buildspecName });
    const upload = new ArtifactUpload(this.options.s3, settings.bucket, this.arn, this.interrupt.signal);
    try {
      this.artifact =
        settings.packaging === 'ZIP'
          ? await upload.zip(key, await zipEntries(this.dirs.src, files, spec.enableSymlinks), this.clock())
          : await upload.files(key, this.dirs.src, files);
    } catch (error) {
      this.interrupt.throwIfFired();
      if (error instanceof InvalidInputError) throw error;
      return { statusCode: 'CLIENT_ERROR', message: `Error uploading artifacts: ${describeError(error)}` };
    }
    this.log(`Uploaded the artifact to s3://${settings.bucket}/${key}`);
    return undefined;
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.log(`Warning: ${message}`);
  }

  private log(text: string): void {
    const [first, ...rest] = text.split('\n');
    this.emit(`[Container] ${timestamp(this.clock())} ${first}`);
    for (const line of rest) this.emit(line);
  }
}

/** Puts the artifact in S3 with the metadata CodeBuild adds. */
class ArtifactUpload {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly buildArn: string,
    private readonly signal: AbortSignal,
  ) {}

  async zip(key: string, entries: ZipEntry[], mtime: Date): Promise<BuildArtifact> {
    if (key === '')
      throw new InvalidInputError('the artifact has no S3 key: set a path, a BUILD_ID namespace or a name');
    const writer = new ZipWriter({ mtime });
    const chunks: Buffer[] = [];
    writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(writer.stream, 'end');
    for (const entry of entries) await writer.add(entry);
    const summary = await writer.finish();
    await ended;
    await this.put(key, Buffer.concat(chunks), 'application/zip');
    return {
      bucket: this.bucket,
      key,
      sha256: summary.sha256,
      bytes: summary.bytes,
      location: this.location(key),
    };
  }

  /** Packaging NONE: every file under the key, as a folder. */
  async files(key: string, root: string, files: ArtifactFile[]): Promise<BuildArtifact> {
    let bytes = 0;
    for (const file of files) {
      const body = await readFile(join(root, file.source));
      bytes += body.length;
      await this.put(key === '' ? file.archivePath : `${key}/${file.archivePath}`, body, undefined);
    }
    return { bucket: this.bucket, key, sha256: null, bytes, location: this.location(key) };
  }

  private async put(key: string, body: Buffer, contentType: string | undefined): Promise<void> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: contentType,
      Metadata: { 'codebuild-buildarn': this.buildArn },
    });
    await this.s3.send(command, { abortSignal: this.signal });
  }

  private location(key: string): string {
    return `arn:aws:s3:::${this.bucket}/${key}`;
  }
}

/** Why a build was cut short. */
class Interrupted extends Error {
  override name = 'Interrupted' as const;
  constructor(readonly reason: 'TIMED_OUT' | 'STOPPED') {
    super(reason === 'TIMED_OUT' ? 'Build has timed out.' : 'Build was stopped.');
  }

  get context(): PhaseContext {
    return {
      statusCode: this.reason === 'TIMED_OUT' ? 'BUILD_TIMED_OUT' : 'BUILD_STOPPED',
      message: this.message,
    };
  }
}

/** The build's timeout and StopBuild signal, as one abort signal. */
class Interrupt {
  reason: 'TIMED_OUT' | 'STOPPED' | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.fire('STOPPED');

  constructor(
    private readonly external: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) {
    if (external?.aborted) this.fire('STOPPED');
    external?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = timeoutMs === undefined ? undefined : setTimeout(() => this.fire('TIMED_OUT'), timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  throwIfFired(): void {
    if (this.reason) throw new Interrupted(this.reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external?.removeEventListener('abort', this.onAbort);
  }

  private fire(reason: 'TIMED_OUT' | 'STOPPED'): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller.abort(new Interrupted(reason));
  }
}

/** The build's shell state on disk, and a fresh shell per command that restores and saves it. */
class ShellSession {
  private readonly groups = new Set<number>();
  private readonly envFile: string;
  private readonly cwdFile: string;

  constructor(
    private readonly shell: string,
    private readonly dirs: Dirs,
    private readonly interrupt: Interrupt,
  ) {
    this.envFile = join(dirs.state, 'env.sh');
    this.cwdFile = join(dirs.state, 'cwd');
  }

  async start(env: Record<string, string>): Promise<void> {
    const lines = Object.entries(env).map(([name, value]) => `export ${name}=${quote(value)}\n`);
    await writeFile(this.envFile, lines.join(''));
    await writeFile(this.cwdFile, `${this.dirs.src}\n`);
  }

  /** Runs one command where the previous one left off; its output (stdout and stderr merged) goes to `onLine`. */
  async run(command: string, succeeding: boolean, onLine: (line: string) => void) {
    const commandFile = join(this.dirs.state, 'command.sh');
    const scriptFile = join(this.dirs.state, 'run.sh');
    await writeFile(commandFile, `${command}\n`);
    // `set -- "$?"` keeps the status without a variable that `set -a` would export into the state.
    const save = `set -- "$?"; set +a; export -p > ${quote(this.envFile)}; pwd > ${quote(this.cwdFile)}; exit "$1"`;
    const script = [
      'exec 2>&1',
      `. ${quote(this.envFile)}`,
      `CODEBUILD_BUILD_SUCCEEDING=${succeeding ? 1 : 0}`,
      'export CODEBUILD_BUILD_SUCCEEDING',
      `trap ${quote(save)} EXIT`,
      'set -a',
      `. ${quote(commandFile)}`,
    ];
    await writeFile(scriptFile, `${script.join('\n')}\n`);
    const lines = new LineSplitter(onLine);
    const result = await this.spawn([scriptFile], await this.cwd(), (chunk) => lines.push(chunk));
    lines.end();
    this.interrupt.throwIfFired();
    return result;
  }

  /** The current values of `names` (valid identifiers); an unset variable is absent. */
  async read(names: string[]): Promise<Map<string, string>> {
    const script = names.map((name) => `[ -n "\${${name}+set}" ] && printf '%s\\0%s\\0' ${name} "$${name}"`);
    const out = await this.probe(`${script.join('\n')}\n:`);
    const parts = out.toString('utf8').split('\0');
    const values = new Map<string, string>();
    for (let i = 0; i + 1 < parts.length; i += 2) values.set(parts[i] ?? '', parts[i + 1] ?? '');
    return values;
  }

  /** Expands `text` as a double-quoted shell word (variables, $(...)), as CodeBuild expands artifacts.name. */
  async evaluate(text: string): Promise<string> {
    const word = text.replace(/[\\"]/g, '\\$&');
    return (await this.probe(`printf '%s' "${word}"`)).toString('utf8');
  }

  /** Kills what commands left running in the background: the build is over, as its container would be. */
  killLeftovers(): void {
    for (const group of this.groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    }
    this.groups.clear();
  }

  private async probe(script: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    const file = join(this.dirs.state, 'probe.sh');
    await writeFile(file, `. ${quote(this.envFile)} >/dev/null 2>&1\n${script}\n`);
    await this.spawn([file], this.dirs.src, (chunk) => chunks.push(chunk), 'ignore');
    return Buffer.concat(chunks);
  }

  private async cwd(): Promise<string> {
    const saved = (await readFile(this.cwdFile, 'utf8').catch(() => '')).replace(/\n$/, '');
    const ok =
      saved !== '' &&
      (await stat(saved).then(
        (s) => s.isDirectory(),
        () => false,
      ));
    return ok ? saved : this.dirs.src;
  }

  private spawn(
    args: string[],
    cwd: string,
    onData: (chunk: Buffer) => void,
    stderr: 'pipe' | 'ignore' = 'pipe',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolvePromise, reject) => {
      // Empty environment: the state file is the whole environment, so `unset` in a command sticks.
      // Own process group (detached), so a timeout or stop kills the command's children too.
      const child = spawn(this.shell, args, {
        cwd,
        env: {},
        stdio: ['ignore', 'pipe', stderr],
        detached: true,
      });
      const group = child.pid;
      if (group !== undefined) this.groups.add(group);
      const kill = () => {
        if (group !== undefined) {
          try {
            process.kill(-group, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      };
      this.interrupt.signal.addEventListener('abort', kill, { once: true });
      let openStreams = stderr === 'pipe' ? 2 : 1;
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      let grace: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = () => {
        if (settled || !exit) return;
        settled = true;
        clearTimeout(grace);
        this.interrupt.signal.removeEventListener('abort', kill);
        resolvePromise(exit);
      };
      const streamClosed = () => {
        openStreams -= 1;
        if (openStreams === 0) settle();
      };
      for (const stream of [child.stdout, child.stderr]) {
        stream?.on('data', onData);
        stream?.on('close', streamClosed);
      }
      child.on('error', (error) => {
        this.interrupt.signal.removeEventListener('abort', kill);
        reject(error);
      });
      child.on('exit', (code, signal) => {
        exit = { code, signal };
        if (openStreams === 0) return settle();
        // A background job may hold the pipe open for ever; its output after this is dropped.
        grace = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          settle();
        }, OUTPUT_GRACE_MS);
      });
    });
  }
}

/** Splits a byte stream into lines (UTF-8 safe); a last line without a newline is flushed by end(). */
class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const lines = (this.pending + this.decoder.write(chunk)).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) this.onLine(line.replace(/\r$/, ''));
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    if (rest !== '') this.onLine(rest.replace(/\r$/, ''));
  }
}

async function copySource(source: BuildSource, dir: string): Promise<void> {
  if ('directory' in source) {
    await cp(source.directory, dir, { recursive: true, verbatimSymlinks: true });
    return;
  }
  const zip = 'zip' in source ? source.zip : await readFile(source.zipFile);
  await extractZip(zip, dir);
}

async function resolveShell(shell: 'sh' | 'bash', path: string | undefined): Promise<string> {
  if (shell === 'sh') return '/bin/sh';
  for (const dir of [...(path ?? '').split(delimiter), '/bin', '/usr/bin'].filter(Boolean)) {
    const candidate = join(dir, 'bash');
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new InvalidInputError(
    'env.shell is bash, but bash is not on the PATH of this machine; use /bin/sh or install bash',
  );
}

/** Every path under `root`, sorted; links are followed unless `keepSymlinks`, and never descended into. */
async function listTree(root: string, keepSymlinks: boolean): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(join(root, dir), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        out.push({ path, kind: 'directory' });
        await walk(path);
      } else if (entry.isSymbolicLink()) {
        if (keepSymlinks) {
          out.push({ path, kind: 'symlink' });
          continue;
        }
        const target = await stat(join(root, path)).catch(() => undefined);
        if (target?.isFile()) out.push({ path, kind: 'file' });
        else if (target?.isDirectory()) out.push({ path, kind: 'directory' });
      } else if (entry.isFile()) {
        out.push({ path, kind: 'file' });
      }
    }
  };
  await walk('');
  return out;
}

async function zipEntries(root: string, files: ArtifactFile[], keepSymlinks: boolean): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for (const file of files) {
    const full = join(root, ...file.source.split('/'));
    if (keepSymlinks && (await lstat(full)).isSymbolicLink()) {
      entries.push({
        path: file.archivePath,
        mode: 'symlink',
        data: Buffer.from(await readlink(full), 'utf8'),
      });
      continue;
    }
    const info = await stat(full);
    entries.push({
      path: file.archivePath,
      mode: info.mode & 0o111 ? 'executable' : 'file',
      data: await readFile(full),
    });
  }
  return entries;
}

function overallStatus(phases: BuildPhase[]): BuildStatus {
  const statuses = new Set(phases.map((phase) => phase.phaseStatus));
  for (const status of ['TIMED_OUT', 'STOPPED', 'FAULT', 'FAILED'] as const)
    if (statuses.has(status)) return status;
  return 'SUCCEEDED';
}

/** A single-quoted shell word. */
function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** CodeBuild's log timestamp, `2026/11/26 12:00:00.000000`, in UTC. */
function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    `${pad(date.getUTCMilliseconds(), 3)}000`
  );
}
