/**
 * Parses and validates a CodeBuild buildspec (version 0.2) for the local build runner, and selects the
 * artifact files the way CodeBuild does. Pure: no file system, no processes. Every key the runner does not
 * support yields a warning; anything it cannot run is an InvalidInputError naming the file, field and fix.
 */
import { basename } from 'node:path/posix';
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { InvalidInputError } from '../../functions/lib/shared/errors';

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

export interface Buildspec {
  shell: 'sh' | 'bash';
  /** env.variables, in file order. */
  variables: Array<{ name: string; value: string }>;
  exportedVariables: string[];
  phases: Partial<Record<PhaseName, BuildspecPhase>>;
  artifacts?: BuildspecArtifacts;
}

export interface ParsedBuildspec {
  buildspec: Buildspec;
  /** Keys the local runner ignores, each a sentence naming the file and the key. */
  warnings: string[];
}

type Path = Array<string | number>;
type Keys = Record<string, 'supported' | 'unsupported'>;

const TOP_KEYS: Keys = {
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
const ENV_KEYS: Keys = {
  shell: 'supported',
  variables: 'supported',
  'exported-variables': 'supported',
  // Warned about in Reader.read, with what is lost.
  'parameter-store': 'supported',
  'secrets-manager': 'supported',
  'git-credential-helper': 'supported',
};
const PHASE_KEYS: Keys = {
  commands: 'supported',
  finally: 'supported',
  'on-failure': 'supported',
  'run-as': 'unsupported',
  'runtime-versions': 'unsupported',
};
const ARTIFACT_KEYS: Keys = {
  files: 'supported',
  name: 'supported',
  'base-directory': 'supported',
  'discard-paths': 'supported',
  'exclude-paths': 'supported',
  'enable-symlinks': 'supported',
  's3-prefix': 'unsupported',
  'secondary-artifacts': 'unsupported',
};
const SHELLS: Record<string, 'sh' | 'bash'> = {
  sh: 'sh',
  '/bin/sh': 'sh',
  bash: 'bash',
  '/bin/bash': 'bash',
};
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const COMMAND_LIST_FIX =
  'write one command per line, each starting with "- ", e.g.\n    commands:\n      - npm ci\n      - npm test';

/** Parses `text` as a buildspec; throws InvalidInputError before anything runs when it cannot be run. */
export function parseBuildspec(text: string, file = 'buildspec.yml'): ParsedBuildspec {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]);
    throw new InvalidInputError(
      `${file} is not valid YAML (line ${line.line}, column ${line.col}): ${error.message}. ` +
        'Check the indentation (spaces, each key indented under its parent) and quote any command that ' +
        'contains ": " or starts with a character YAML reserves ({ [ * & ! | > \' " % @ `)',
    );
  }
  return new Reader(file, doc, lines).read(doc.toJS({ maxAliasCount: 1000 }) as unknown);
}

/** Validates one document; collects warnings as it goes. */
class Reader {
  readonly warnings: string[] = [];

  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  read(root: unknown): ParsedBuildspec {
    if (root === null || root === undefined) {
      throw new InvalidInputError(
        `${this.file} is empty: it needs at least "version: 0.2" and a phases mapping`,
      );
    }
    const top = this.mapping(root, [], 'a mapping with version, env, phases and artifacts');
    this.checkKeys(top, [], TOP_KEYS);
    this.version(top.version);
    const env = top.env === undefined || top.env === null ? {} : this.mapping(top.env, ['env'], 'a mapping');
    this.checkKeys(env, ['env'], ENV_KEYS);
    const buildspec: Buildspec = {
      shell: this.shell(env.shell),
      variables: this.variables(env.variables),
      exportedVariables: this.exportedVariables(env['exported-variables']),
      phases: this.phases(top.phases),
      artifacts:
        top.artifacts === undefined || top.artifacts === null ? undefined : this.artifacts(top.artifacts),
    };
    for (const [key, what] of [
      ['parameter-store', 'its variables are not set'],
      ['secrets-manager', 'its variables are not set'],
      ['git-credential-helper', 'git uses the credentials of this machine'],
    ] as const) {
      if (env[key] !== undefined)
        this.warn(['env', key], `is not supported by the local build runner: ${what}`);
    }
    return { buildspec, warnings: this.warnings };
  }

  private version(value: unknown): void {
    if (value === undefined) this.fail(['version'], 'is missing', 'add "version: 0.2" as the first line');
    const text = String(value);
    if (text === '0.2') return;
    if (text === '0.1') {
      this.fail(
        ['version'],
        'is 0.1, which runs every command in a separate shell; the local runner supports only 0.2',
        'change it to "version: 0.2" (commands then share one shell: cd and variables carry over)',
      );
    }
    this.fail(['version'], `is ${JSON.stringify(value)}; expected 0.2`, 'write "version: 0.2"');
  }

  private shell(value: unknown): 'sh' | 'bash' {
    if (value === undefined || value === null) return 'sh';
    const shell = typeof value === 'string' ? SHELLS[value] : undefined;
    if (shell) return shell;
    this.fail(
      ['env', 'shell'],
      `is ${JSON.stringify(value)}; the local runner has the Linux shells only`,
      'use "bash" or "/bin/sh" (powershell.exe and cmd.exe are for Windows images)',
    );
  }

  private variables(value: unknown): Array<{ name: string; value: string }> {
    if (value === undefined || value === null) return [];
    const map = this.mapping(value, ['env', 'variables'], 'a mapping of NAME: value');
    const out: Array<{ name: string; value: string }> = [];
    for (const [name, raw] of Object.entries(map)) {
      const path = ['env', 'variables', name];
      if (raw !== null && typeof raw === 'object') {
        this.fail(
          path,
          'must be a single value, found a list or mapping',
          'quote the value, e.g. NAME: "a: b"',
        );
      }
      if (!IDENTIFIER.test(name)) {
        this.warn(path, 'is not a valid shell variable name (letters, digits and _), so it is not set');
      } else if (name.startsWith('CODEBUILD_')) {
        this.warn(path, 'uses the CODEBUILD_ prefix that CodeBuild reserves, so it is not set');
      } else {
        out.push({ name, value: raw === null || raw === undefined ? '' : String(raw) });
      }
    }
    return out;
  }

  private exportedVariables(value: unknown): string[] {
    if (value === undefined || value === null) return [];
    const list = this.stringList(
      value,
      ['env', 'exported-variables'],
      'list the variable names, e.g.\n    exported-variables:\n      - IMAGE_URI',
    );
    return list.filter((name, index) => {
      const path = ['env', 'exported-variables', index];
      if (!IDENTIFIER.test(name)) {
        this.warn(path, `"${name}" is not a valid variable name, so it is not exported`);
        return false;
      }
      if (name.startsWith('AWS_')) {
        this.warn(path, `"${name}" starts with AWS_, which CodeBuild never exports`);
        return false;
      }
      return true;
    });
  }

  private phases(value: unknown): Partial<Record<PhaseName, BuildspecPhase>> {
    if (value === undefined || value === null) {
      this.fail(
        ['phases'],
        'is missing',
        'add a phases mapping, e.g.\n  phases:\n    build:\n      commands:\n        - make',
      );
    }
    const map = this.mapping(value, ['phases'], 'a mapping of install, pre_build, build and post_build');
    const phases: Partial<Record<PhaseName, BuildspecPhase>> = {};
    for (const [name, raw] of Object.entries(map)) {
      if (!(PHASE_NAMES as readonly string[]).includes(name)) {
        this.fail(['phases', name], 'is not a CodeBuild phase', `use one of ${PHASE_NAMES.join(', ')}`);
      }
      phases[name as PhaseName] = this.phase(name as PhaseName, raw);
    }
    return phases;
  }

  private phase(name: PhaseName, value: unknown): BuildspecPhase {
    const path = ['phases', name];
    // Only install may omit commands (it can hold runtime-versions alone).
    const commandsRequired = name !== 'install';
    if (value === null || value === undefined) {
      if (!commandsRequired) return { commands: [], finally: [] };
      this.fail(
        [...path, 'commands'],
        'is missing',
        `add a commands list under ${name}, or remove the empty phase`,
      );
    }
    const map = this.mapping(value, path, 'a mapping with commands (and optionally finally, on-failure)');
    this.checkKeys(map, path, PHASE_KEYS);
    if (map.commands === undefined && commandsRequired) {
      this.fail([...path, 'commands'], 'is missing', `add a commands list under ${name}`);
    }
    return {
      commands: this.commands(map.commands, [...path, 'commands']),
      finally: this.commands(map.finally, [...path, 'finally']),
      onFailure: this.onFailure(map['on-failure'], [...path, 'on-failure']),
    };
  }

  private commands(value: unknown, path: Path): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      this.fail(path, `must be a list of commands, found ${describe(value)}`, COMMAND_LIST_FIX);
    return value.map((item: unknown, index) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      if (item === null || item === undefined) {
        return this.fail([...path, index], 'is empty', 'write a command after the "- ", or remove the line');
      }
      if (Array.isArray(item))
        return this.fail([...path, index], 'must be a string, found a list', COMMAND_LIST_FIX);
      return this.fail(
        [...path, index],
        'must be a string, found a mapping',
        'quote the command: a colon followed by a space (": ") makes YAML read it as a key, ' +
          'e.g. - "echo result: ok"',
      );
    });
  }

  private onFailure(value: unknown, path: Path): OnFailure | undefined {
    if (value === undefined || value === null) return undefined;
    const text = String(value).toUpperCase();
    if (text === 'ABORT' || text === 'CONTINUE') return text;
    if (text.startsWith('RETRY')) {
      this.warn(
        path,
        `is ${String(value)}: retries are not supported by the local build runner, so a failure follows the default transitions`,
      );
      return undefined;
    }
    this.fail(path, `is ${JSON.stringify(value)}`, 'use ABORT or CONTINUE');
  }

  private artifacts(value: unknown): BuildspecArtifacts {
    const path = ['artifacts'];
    const map = this.mapping(value, path, 'a mapping with files (and optionally name, base-directory, ...)');
    this.checkKeys(map, path, ARTIFACT_KEYS);
    if (map.files === undefined || map.files === null) {
      this.fail(
        [...path, 'files'],
        'is missing',
        "list the output locations, e.g.\n    files:\n      - '**/*'",
      );
    }
    const scalar = (key: string): string | undefined => {
      const raw = map[key];
      if (raw === undefined || raw === null) return undefined;
      if (typeof raw === 'object')
        this.fail([...path, key], `must be a single value, found ${describe(raw)}`, 'write one value');
      return String(raw);
    };
    return {
      files: this.locations(map.files, [...path, 'files']),
      name: scalar('name'),
      baseDirectory: scalar('base-directory'),
      discardPaths: this.yesNo(map['discard-paths'], [...path, 'discard-paths']),
      excludePaths:
        map['exclude-paths'] === undefined
          ? []
          : this.locations(map['exclude-paths'], [...path, 'exclude-paths']),
      enableSymlinks: this.yesNo(map['enable-symlinks'], [...path, 'enable-symlinks']),
    };
  }

  /** A list of paths or globs; a single string is accepted as a list of one, as CodeBuild does. */
  private locations(value: unknown, path: Path): string[] {
    if (typeof value === 'string') return [value];
    return this.stringList(value, path, "write one location per line, e.g.\n    files:\n      - '**/*'");
  }

  private stringList(value: unknown, path: Path, fix: string): string[] {
    if (!Array.isArray(value)) this.fail(path, `must be a list, found ${describe(value)}`, fix);
    return value.map((item: unknown, index) => {
      if (typeof item === 'string' || typeof item === 'number') return String(item);
      return this.fail([...path, index], `must be a string, found ${describe(item)}`, fix);
    });
  }

  private yesNo(value: unknown, path: Path): boolean {
    if (value === undefined || value === null) return false;
    const text = String(value).toLowerCase();
    if (text === 'yes' || text === 'true') return true;
    if (text === 'no' || text === 'false') return false;
    this.fail(path, `is ${JSON.stringify(value)}`, 'use yes or no');
  }

  private mapping(value: unknown, path: Path, expected: string): Record<string, unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    if (path.length === 0) {
      throw new InvalidInputError(`${this.file} must be ${expected}, found ${describe(value)}`);
    }
    this.fail(path, `must be ${expected}, found ${describe(value)}`, 'indent its keys under it');
  }

  private checkKeys(map: Record<string, unknown>, path: Path, keys: Keys): void {
    for (const key of Object.keys(map)) {
      if (keys[key] === 'supported') continue;
      if (keys[key] === 'unsupported') {
        this.warn([...path, key], 'is not supported by the local build runner and is ignored');
      } else {
        const known = Object.keys(keys).join(', ');
        this.warn([...path, key], `is not a buildspec key here (known: ${known}) and is ignored`);
      }
    }
  }

  private warn(path: Path, message: string): void {
    this.warnings.push(`${this.file}: ${format(path)}${this.line(path)} ${message}`);
  }

  private fail(path: Path, problem: string, fix: string): never {
    throw new InvalidInputError(`${this.file}: ${format(path)}${this.line(path)} ${problem}; ${fix}`);
  }

  /** ` (line N)` of the key (or list item) at `path`, or '' when the document has no such node. */
  private line(path: Path): string {
    const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    let node: { range?: [number, number, number] | null } | null | undefined;
    if (isMap(parent))
      node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === last)?.key as typeof node;
    else if (isSeq(parent) && typeof last === 'number') node = parent.items[last] as typeof node;
    const offset = node?.range?.[0];
    return offset === undefined ? '' : ` (line ${this.lines.linePos(offset).line})`;
  }
}

function format(path: Path): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

/** One path under the source directory, as the runner found it. */
export interface TreeEntry {
  /** Relative to CODEBUILD_SRC_DIR, `/`-separated. */
  path: string;
  /** A symbolic link is listed as 'file' or 'directory' when followed, 'symlink' when kept. */
  kind: 'file' | 'directory' | 'symlink';
}

/** A file to put in the artifact. */
export interface ArtifactFile {
  /** Relative to CODEBUILD_SRC_DIR. */
  source: string;
  /** Its path inside the artifact. */
  archivePath: string;
}

/**
 * The files of `tree` that `artifacts` selects, as CodeBuild selects them: `files` and `exclude-paths`
 * are globs relative to each directory `base-directory` matches (itself a glob), `*` stays within a
 * path component, `**` crosses them, a plain directory name takes everything under it, and
 * `discard-paths` keeps only file names. Throws InvalidInputError with CodeBuild's own messages.
 */
export function selectArtifactFiles(tree: TreeEntry[], artifacts: BuildspecArtifacts): ArtifactFile[] {
  const bases = baseDirectories(tree, artifacts.baseDirectory);
  const includes = artifacts.files.map(matcher);
  const excludes = artifacts.excludePaths.map(matcher);
  const seen = new Set<string>();
  const files: ArtifactFile[] = [];
  for (const base of bases) {
    for (const entry of tree) {
      if (entry.kind === 'directory') continue;
      if (base !== '' && !entry.path.startsWith(`${base}/`)) continue;
      const relative = base === '' ? entry.path : entry.path.slice(base.length + 1);
      if (!includes.some((match) => match(relative)) || excludes.some((match) => match(relative))) continue;
      const archivePath = artifacts.discardPaths ? basename(relative) : relative;
      // With discard-paths two files can share a name; the first one found is kept.
      if (seen.has(archivePath)) continue;
      seen.add(archivePath);
      files.push({ source: entry.path, archivePath });
    }
  }
  if (files.length === 0) throw new InvalidInputError('no matching artifact paths found');
  return files;
}

function baseDirectories(tree: TreeEntry[], baseDirectory: string | undefined): string[] {
  if (baseDirectory === undefined) return [''];
  const pattern = normalize(baseDirectory);
  if (pattern === '') return [''];
  const regex = globToRegExp(pattern);
  const bases = tree
    .filter((entry) => entry.kind === 'directory' && regex.test(entry.path))
    .map((e) => e.path);
  if (bases.length === 0)
    throw new InvalidInputError(`no matching base directory path found for ${baseDirectory}`);
  return bases;
}

function matcher(pattern: string): (path: string) => boolean {
  const normal = normalize(pattern);
  const regex = globToRegExp(normal);
  const literalDirectory = !/[*?[]/.test(normal) && normal !== '';
  return (path) => regex.test(path) || (literalDirectory && path.startsWith(`${normal}/`));
}

function normalize(pattern: string): string {
  return pattern
    .trim()
    .replace(/\\/g, '/')
    .replace(/\/{2,}/g, '/')
    .replace(/^(\.\/)+/, '')
    .replace(/\/$/, '')
    .replace(/^\.$/, '');
}

/** A glob as a RegExp over `/`-separated relative paths: `**` any depth, `*` and `?` within a component. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 3;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 2;
    } else if (pattern[i] === '*') {
      source += '[^/]*';
      i += 1;
    } else if (pattern[i] === '?') {
      source += '[^/]';
      i += 1;
    } else {
      source += (pattern[i] ?? '').replace(/[.+^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}
