/** The shapes of a local build: its options, phases and result, as CodeBuild's API names them. */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BuildAwsAccess } from './base-env';

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

/** The kinds of variable whose value is a reference the build resolves before INSTALL. */
export type SecretVariableType = 'PARAMETER_STORE' | 'SECRETS_MANAGER';

/**
 * A project or StartBuild environment variable, as CodeBuild's EnvironmentVariable: for PARAMETER_STORE the
 * value is a parameter name, for SECRETS_MANAGER a `secret-id:json-key:version-stage:version-id` reference.
 */
export interface EnvironmentVariable {
  name: string;
  value: string;
  type?: 'PLAINTEXT' | SecretVariableType;
}

/** Resolves a PARAMETER_STORE or SECRETS_MANAGER reference to its value; throws when it cannot (missing, denied). */
export type VariableResolver = (type: SecretVariableType, reference: string) => Promise<string>;

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
  /**
   * Resolves the PARAMETER_STORE and SECRETS_MANAGER variables (the project's, StartBuild's, and the buildspec's
   * env.parameter-store and env.secrets-manager) in DOWNLOAD_SOURCE; a failure fails the build there, as in
   * CodeBuild. Absent: those variables are not set, with a warning each.
   */
  resolveVariable?: VariableResolver;
  /** Where the artifact goes; absent means NO_ARTIFACTS. */
  artifacts?: ArtifactsSettings;
  /** Needed when `artifacts` is set. */
  s3?: S3Client;
  /**
   * Instead of S3: copy the primary artifact's files (as the buildspec selects them) under this directory,
   * keeping their artifact paths (`switchyard run-build --artifacts DIR`). Ignored when `artifacts` is set.
   */
  artifactsDirectory?: string;
  /** Receives the build log, one line at a time, as CodeBuild writes it to CloudWatch Logs. */
  onLog?: (line: string) => void;
  /** Build timeout; the running command's process group is killed and the build ends TIMED_OUT. */
  timeoutMs?: number;
  /** StopBuild: the build ends STOPPED. */
  signal?: AbortSignal;
  /**
   * The build image's environment, as is. Default (base-env.ts): this process's PATH, LANG, LC_*, TERM, TMPDIR, TZ
   * and DOCKER_HOST only, or its whole environment with `inheritEnv`; then `awsAccess`.
   */
  baseEnv?: Record<string, string | undefined>;
  /** Start from this process's whole environment (`--inherit-env`); default: SWITCHYARD_BUILD_INHERIT_ENV=1 in it. */
  inheritEnv?: boolean;
  /** The build's AWS access (the emulator's endpoint and the run's credentials); none by default. */
  awsAccess?: BuildAwsAccess;
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
  /** The artifact's files, by their path inside the artifact, in the order CodeBuild lists them. */
  artifactFiles: string[];
  /** CODEBUILD_SRC_DIR, left in place for inspection. */
  srcDir: string;
  /** The build's temporary directory (source, shell state, HOME): remove it when done. */
  workDir: string;
  warnings: string[];
}
