/** CodeBuild's log lines: the command output split into lines, and the `[Container]` timestamp. */
import { StringDecoder } from 'node:string_decoder';

/** Splits a byte stream into lines (UTF-8 safe); a last line without a newline is flushed by end(). */
export class LineSplitter {
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

/** CodeBuild's log timestamp, `2026/11/26 12:00:00.000000`, in UTC. */
export function timestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return (
    `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    `${pad(date.getUTCMilliseconds(), 3)}000`
  );
}

/**
 * Hides secret values in log lines as CodeBuild hides Parameter Store and Secrets Manager values: each occurrence
 * becomes ***. The log comes a line at a time, so a value of several lines is hidden line by line.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env
 */
export function secretMasker(values: string[]): (line: string) => string {
  const pieces = [...new Set(values.flatMap((value) => value.split(/\r?\n/)))]
    .filter((piece) => piece !== '')
    // Longest first: at each place the longest secret that matches is hidden whole, in one pass.
    .sort((a, b) => b.length - a.length);
  if (pieces.length === 0) return (line) => line;
  const pattern = new RegExp(
    pieces.map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
    'g',
  );
  return (line) => line.replace(pattern, '***');
}
