/**
 * Reading the JSON files a repository or a build holds (taskdef.json, imageDetail.json, an AppSpec in JSON): a
 * UTF-8 byte order mark is accepted, and a syntax error is told by line, column, what was expected and what was
 * found, since JSON.parse on Node 20 often names no position.
 */
import { InvalidInputError } from './errors';

/** A JSON object (not an array, not null). */
export type JsonObject = Record<string, unknown>;

/** True when `value` is a JSON object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text without its UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The parsed value, or what is wrong: `not valid JSON at line 4, column 3: expected ',' or '}', found "\"memory\"…"`. */
export type JsonReading = { ok: true; value: unknown } | { ok: false; problem: string };

/** How much of a value an error message quotes: enough to recognise it, never a whole event of hundreds of KB. */
export const ECHO_LIMIT = 1024;

/**
 * Text cut to `limit` characters, with how long it was: `{"a":"xxx… (307200 bytes)`. Every value or message an
 * error echoes goes through here, so one bad input makes one bounded error.
 */
export function bounded(text: string, limit = ECHO_LIMIT): string {
  if (text.length <= limit) return text;
  let cut = text.slice(0, limit);
  // Never end on half a surrogate pair: the message must stay valid UTF-16 (and valid UTF-8 once sent).
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}… (${Buffer.byteLength(text, 'utf8')} bytes)`;
}

/** A value as an error message quotes it: its JSON (or String for what JSON cannot show), bounded. */
export function echo(value: unknown, limit = ECHO_LIMIT): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // A cycle or a BigInt: what String gives is still more use than nothing.
  }
  return bounded(text ?? String(value), limit);
}

/** Parses JSON text (a byte order mark is accepted) without throwing; used where the caller picks the error type. */
export function readJson(text: string): JsonReading {
  const body = stripBom(text);
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch {
    const { offset, expected } = locateJsonError(body);
    const before = body.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    const found =
      offset < body.length ? JSON.stringify(body.slice(offset, offset + 12)) : 'the end of the file';
    return {
      ok: false,
      problem: `not valid JSON at line ${line}, column ${column}: expected ${expected}, found ${found}`,
    };
  }
}

/** Parses a JSON file; a syntax error is an InvalidInputError naming the file, the line and the column. */
export function parseJson(text: string, file: string): unknown {
  const reading = readJson(text);
  if (!reading.ok) throw new InvalidInputError(`${file}: ${reading.problem}`);
  return reading.value;
}

const WHITESPACE = /[ \t\n\r]*/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings must not hold raw control characters.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

/** The first offset where the text stops being JSON, and what was expected there. */
function locateJsonError(text: string): { offset: number; expected: string } {
  let i = 0;
  const eat = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    const matched = pattern.exec(text) !== null;
    if (matched) i = pattern.lastIndex;
    return matched;
  };
  const punctuation = (char: string): boolean => {
    if (text[i] !== char) return false;
    i += 1;
    return true;
  };
  const collection = (close: string, item: () => string | undefined): string | undefined => {
    i += 1;
    eat(WHITESPACE);
    if (punctuation(close)) return undefined;
    for (;;) {
      const failed = item();
      if (failed !== undefined) return failed;
      eat(WHITESPACE);
      if (punctuation(close)) return undefined;
      if (!punctuation(',')) return `',' or '${close}'`;
      eat(WHITESPACE);
    }
  };
  const value = (): string | undefined => {
    eat(WHITESPACE);
    if (text[i] === '{') {
      return collection('}', () => {
        if (!eat(STRING)) return 'a property name in double quotes';
        eat(WHITESPACE);
        return punctuation(':') ? value() : "':'";
      });
    }
    if (text[i] === '[') return collection(']', value);
    return eat(STRING) || eat(LITERAL) ? undefined : 'a value';
  };
  const expected = value() ?? (eat(WHITESPACE) && i < text.length ? 'the end of the file' : 'valid JSON');
  return { offset: i, expected };
}
