/**
 * Reads the fields of one parsed YAML document for the buildspec parser: shape checks (a mapping, a list of
 * strings, yes/no, known keys) whose warnings and errors name the file, the field's path and its line.
 */
import { type Document, isMap, isScalar, isSeq, type LineCounter } from 'yaml';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { KnownKeys } from './buildspec-schema';

/** Where a field is in the document: keys and list indexes from the root. */
export type FieldPath = Array<string | number>;

/** The checks of one document; collects warnings as it goes, throws InvalidInputError on what cannot be run. */
export class FieldReader {
  readonly warnings: string[] = [];

  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** `value` as a mapping, or an error saying it must be `expected`. */
  mapping(value: unknown, path: FieldPath, expected: string): Record<string, unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
    if (path.length === 0) {
      throw new InvalidInputError(`${this.file} must be ${expected}, found ${describeValue(value)}`);
    }
    this.fail(path, `must be ${expected}, found ${describeValue(value)}`, 'indent its keys under it');
  }

  /** `value` as a list of strings (numbers are read as strings). */
  stringList(value: unknown, path: FieldPath, fix: string): string[] {
    if (!Array.isArray(value)) this.fail(path, `must be a list, found ${describeValue(value)}`, fix);
    return value.map((item: unknown, index) => {
      if (typeof item === 'string' || typeof item === 'number') return String(item);
      return this.fail([...path, index], `must be a string, found ${describeValue(item)}`, fix);
    });
  }

  /** yes/true or no/false, as CodeBuild reads them; absent is no. */
  yesNo(value: unknown, path: FieldPath): boolean {
    if (value === undefined || value === null) return false;
    const text = String(value).toLowerCase();
    if (text === 'yes' || text === 'true') return true;
    if (text === 'no' || text === 'false') return false;
    this.fail(path, `is ${JSON.stringify(value)}`, 'use yes or no');
  }

  /** Warns about each key of `map` the runner ignores: unsupported ones, and ones CodeBuild does not know. */
  checkKeys(map: Record<string, unknown>, path: FieldPath, keys: KnownKeys): void {
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

  warn(path: FieldPath, message: string): void {
    this.warnings.push(`${this.file}: ${formatPath(path)}${this.line(path)} ${message}`);
  }

  fail(path: FieldPath, problem: string, fix: string): never {
    throw new InvalidInputError(`${this.file}: ${formatPath(path)}${this.line(path)} ${problem}; ${fix}`);
  }

  /** ` (line N)` of the key (or list item) at `path`, or '' when the document has no such node. */
  private line(path: FieldPath): string {
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

/** What a value is, for an error message: `a list`, `a mapping`, `the string "x"`, `nothing`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${JSON.stringify(value)}`;
}

function formatPath(path: FieldPath): string {
  return path
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
}
