/**
 * The buildspec (version 0.2) as the local build runner understands it: the parsed shape, the phases in the order
 * CodeBuild runs them, and which keys of each section it supports. Types and tables only; buildspec.ts reads a file
 * into this shape.
 */

/** The buildspec phases, in the order CodeBuild runs them. */
export const PHASE_NAMES = ['install', 'pre_build', 'build', 'post_build'] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** What CodeBuild does after a phase fails; absent means the default transitions. */
export type OnFailure = 'ABORT' | 'CONTINUE';

export interface BuildspecPhase {
  commands: string[];
  finally: string[];
  onFailure?: OnFailure;
}

export interface BuildspecArtifacts {
  files: string[];
  /** Shell-expanded at upload time; used only when the project sets overrideArtifactName. */
  name?: string;
  baseDirectory?: string;
  discardPaths: boolean;
  excludePaths: string[];
  enableSymlinks: boolean;
}

/** A buildspec variable: its name and, for parameter-store and secrets-manager, the reference to resolve. */
export interface BuildspecVariable {
  name: string;
  value: string;
}

export interface Buildspec {
  /** env.shell; absent means the runner's default (bash where this machine has it, see resolveShell). */
  shell?: 'sh' | 'bash';
  /** env.variables, in file order. */
  variables: BuildspecVariable[];
  /** env.parameter-store: each value is the name of a Systems Manager parameter. */
  parameterStore: BuildspecVariable[];
  /** env.secrets-manager: each value is a `secret-id:json-key:version-stage:version-id` reference. */
  secretsManager: BuildspecVariable[];
  exportedVariables: string[];
  phases: Partial<Record<PhaseName, BuildspecPhase>>;
  artifacts?: BuildspecArtifacts;
}

export interface ParsedBuildspec {
  buildspec: Buildspec;
  /** Keys the local runner ignores, each a sentence naming the file and the key. */
  warnings: string[];
}

/** The keys a section may hold: read by the runner, or known to CodeBuild but ignored here with a warning. */
export type KnownKeys = Record<string, 'supported' | 'unsupported'>;

export const TOP_KEYS: KnownKeys = {
  version: 'supported',
  env: 'supported',
  phases: 'supported',
  artifacts: 'supported',
  'run-as': 'unsupported',
  proxy: 'unsupported',
  batch: 'unsupported',
  reports: 'unsupported',
  cache: 'unsupported',
};
export const ENV_KEYS: KnownKeys = {
  shell: 'supported',
  variables: 'supported',
  'exported-variables': 'supported',
  'parameter-store': 'supported',
  'secrets-manager': 'supported',
  // Warned about when the buildspec is read (UNSET_ENV_KEYS), with what is lost.
  'git-credential-helper': 'supported',
};
/** env keys the runner accepts but cannot honour, and what is lost without them. */
export const UNSET_ENV_KEYS = [
  ['git-credential-helper', 'git uses the credentials of this machine'],
] as const;
export const PHASE_KEYS: KnownKeys = {
  commands: 'supported',
  finally: 'supported',
  'on-failure': 'supported',
  'run-as': 'unsupported',
  'runtime-versions': 'unsupported',
};
export const ARTIFACT_KEYS: KnownKeys = {
  files: 'supported',
  name: 'supported',
  'base-directory': 'supported',
  'discard-paths': 'supported',
  'exclude-paths': 'supported',
  'enable-symlinks': 'supported',
  's3-prefix': 'unsupported',
  'secondary-artifacts': 'unsupported',
};
/** env.shell values that name a Linux shell, and the shell each one runs. */
export const SHELLS: Record<string, 'sh' | 'bash'> = {
  sh: 'sh',
  '/bin/sh': 'sh',
  bash: 'bash',
  '/bin/bash': 'bash',
};
