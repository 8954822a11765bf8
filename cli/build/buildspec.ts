/**
 * Parses and validates a CodeBuild buildspec (version 0.2) for the local build runner, section by section, into
 * the shape buildspec-schema.ts describes. Pure: no file system, no processes. Every key the runner does not
 * support yields a warning; anything it cannot run is an InvalidInputError naming the file, field and fix.
 */
import { LineCounter, parseDocument } from 'yaml';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { readEnv } from './buildspec-env';
import { describeValue, type FieldPath, FieldReader } from './buildspec-fields';
import {
  ARTIFACT_KEYS,
  type Buildspec,
  type BuildspecArtifacts,
  type BuildspecPhase,
  type OnFailure,
  type ParsedBuildspec,
  PHASE_KEYS,
  PHASE_NAMES,
  type PhaseName,
  TOP_KEYS,
} from './buildspec-schema';

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
  return new Reader(new FieldReader(file, doc, lines)).read(doc.toJS({ maxAliasCount: 1000 }) as unknown);
}

/** Reads each section of one buildspec document into its parsed shape. */
class Reader {
  constructor(private readonly fields: FieldReader) {}

  read(root: unknown): ParsedBuildspec {
    if (root === null || root === undefined) {
      throw new InvalidInputError(
        `${this.fields.file} is empty: it needs at least "version: 0.2" and a phases mapping`,
      );
    }
    const top = this.fields.mapping(root, [], 'a mapping with version, env, phases and artifacts');
    this.version(top.version);
    this.batch(top);
    this.fields.checkKeys(top, [], TOP_KEYS);
    const buildspec: Buildspec = {
      ...readEnv(this.fields, top.env),
      phases: this.phases(top.phases),
      artifacts:
        top.artifacts === undefined || top.artifacts === null ? undefined : this.artifacts(top.artifacts),
    };
    return { buildspec, warnings: this.fields.warnings };
  }

  private version(value: unknown): void {
    if (value === undefined)
      this.fields.fail(['version'], 'is missing', 'add "version: 0.2" as the first line');
    const text = String(value);
    if (text === '0.2') return;
    if (text === '0.1') {
      this.fields.fail(
        ['version'],
        'is 0.1, which runs every command in a separate shell; the local runner supports only 0.2',
        'change it to "version: 0.2" (commands then share one shell: cd and variables carry over)',
      );
    }
    this.fields.fail(['version'], `is ${JSON.stringify(value)}; expected 0.2`, 'write "version: 0.2"');
  }

  /**
   * A batch buildspec (batch.build-list, build-matrix or build-graph, and no phases of its own) describes builds
   * that CodeBuild starts with StartBuildBatch; the local runner runs one build, so it says so instead of
   * reporting missing phases. With phases, a StartBuild runs them and ignores batch, as here (a warning).
   * https://docs.aws.amazon.com/codebuild/latest/userguide/batch-build-buildspec.html
   */
  private batch(top: Record<string, unknown>): void {
    if (top.batch === undefined || top.batch === null || (top.phases !== undefined && top.phases !== null))
      return;
    const batch = top.batch;
    const kinds = ['build-list', 'build-matrix', 'build-graph'].filter(
      (kind) => batch !== null && typeof batch === 'object' && kind in batch,
    );
    const what = kinds.length > 0 ? `a batch build (batch.${kinds.join(', batch.')})` : 'a batch build';
    this.fields.fail(
      ['batch'],
      `makes this ${what} with no phases of its own: batch builds are not supported by the local build runner, ` +
        'which runs one build',
      "instead, run one build whose phases build every image and write each image's imageDetail.json (at the " +
        'path the stack parameter ImagePlaceholders binds to it), and point the build project at that buildspec',
    );
  }

  private phases(value: unknown): Partial<Record<PhaseName, BuildspecPhase>> {
    if (value === undefined || value === null) {
      this.fields.fail(
        ['phases'],
        'is missing',
        'add a phases mapping, e.g.\n  phases:\n    build:\n      commands:\n        - make',
      );
    }
    const map = this.fields.mapping(
      value,
      ['phases'],
      'a mapping of install, pre_build, build and post_build',
    );
    const phases: Partial<Record<PhaseName, BuildspecPhase>> = {};
    for (const [name, raw] of Object.entries(map)) {
      if (!(PHASE_NAMES as readonly string[]).includes(name)) {
        this.fields.fail(
          ['phases', name],
          'is not a CodeBuild phase',
          `use one of ${PHASE_NAMES.join(', ')}`,
        );
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
      this.fields.fail(
        [...path, 'commands'],
        'is missing',
        `add a commands list under ${name}, or remove the empty phase`,
      );
    }
    const map = this.fields.mapping(
      value,
      path,
      'a mapping with commands (and optionally finally, on-failure)',
    );
    this.fields.checkKeys(map, path, PHASE_KEYS);
    if (map.commands === undefined && commandsRequired) {
      this.fields.fail([...path, 'commands'], 'is missing', `add a commands list under ${name}`);
    }
    return {
      commands: this.commands(map.commands, [...path, 'commands']),
      finally: this.commands(map.finally, [...path, 'finally']),
      onFailure: this.onFailure(map['on-failure'], [...path, 'on-failure']),
    };
  }

  private commands(value: unknown, path: FieldPath): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      this.fields.fail(path, `must be a list of commands, found ${describeValue(value)}`, COMMAND_LIST_FIX);
    return value.map((item: unknown, index) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' || typeof item === 'boolean') return String(item);
      if (item === null || item === undefined) {
        return this.fields.fail(
          [...path, index],
          'is empty',
          'write a command after the "- ", or remove the line',
        );
      }
      if (Array.isArray(item))
        return this.fields.fail([...path, index], 'must be a string, found a list', COMMAND_LIST_FIX);
      return this.fields.fail(
        [...path, index],
        'must be a string, found a mapping',
        'quote the command: a colon followed by a space (": ") makes YAML read it as a key, ' +
          'e.g. - "echo result: ok"',
      );
    });
  }

  private onFailure(value: unknown, path: FieldPath): OnFailure | undefined {
    if (value === undefined || value === null) return undefined;
    const text = String(value).toUpperCase();
    if (text === 'ABORT' || text === 'CONTINUE') return text;
    if (text.startsWith('RETRY')) {
      this.fields.warn(
        path,
        `is ${String(value)}: retries are not supported by the local build runner, so a failure follows the default transitions`,
      );
      return undefined;
    }
    this.fields.fail(path, `is ${JSON.stringify(value)}`, 'use ABORT or CONTINUE');
  }

  private artifacts(value: unknown): BuildspecArtifacts {
    const path = ['artifacts'];
    const map = this.fields.mapping(
      value,
      path,
      'a mapping with files (and optionally name, base-directory, ...)',
    );
    this.fields.checkKeys(map, path, ARTIFACT_KEYS);
    if (map.files === undefined || map.files === null) {
      this.fields.fail(
        [...path, 'files'],
        'is missing',
        "list the output locations, e.g.\n    files:\n      - '**/*'",
      );
    }
    const scalar = (key: string): string | undefined => {
      const raw = map[key];
      if (raw === undefined || raw === null) return undefined;
      if (typeof raw === 'object')
        this.fields.fail(
          [...path, key],
          `must be a single value, found ${describeValue(raw)}`,
          'write one value',
        );
      return String(raw);
    };
    return {
      files: this.locations(map.files, [...path, 'files']),
      name: scalar('name'),
      baseDirectory: scalar('base-directory'),
      discardPaths: this.fields.yesNo(map['discard-paths'], [...path, 'discard-paths']),
      excludePaths:
        map['exclude-paths'] === undefined
          ? []
          : this.locations(map['exclude-paths'], [...path, 'exclude-paths']),
      enableSymlinks: this.fields.yesNo(map['enable-symlinks'], [...path, 'enable-symlinks']),
    };
  }

  /** A list of paths or globs; a single string is accepted as a list of one, as CodeBuild does. */
  private locations(value: unknown, path: FieldPath): string[] {
    if (typeof value === 'string') return [value];
    return this.fields.stringList(
      value,
      path,
      "write one location per line, e.g.\n    files:\n      - '**/*'",
    );
  }
}
