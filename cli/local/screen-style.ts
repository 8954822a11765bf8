/**
 * How `switchyard local` styles what it prints: colour only for a person's terminal (the stream is a TTY and
 * NO_COLOR is unset or empty, https://no-color.org), plain text everywhere else, so logs and pipes never see an
 * escape code.
 */

/** The colours the screen uses; each is the identity when colour is off. */
export interface Paint {
  enabled: boolean;
  green: (text: string) => string;
  red: (text: string) => string;
  yellow: (text: string) => string;
  dim: (text: string) => string;
}

/** A stream as the screen needs it: where to write, and whether a person's terminal is behind it. */
export interface ScreenStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** True when the stream is a terminal and the environment does not ask for no colour. */
export function colourWanted(stream: ScreenStream, env: NodeJS.ProcessEnv = process.env): boolean {
  // no-color.org: NO_COLOR present and not empty turns colour off, whatever its value.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;

/** The colours, or none. */
export function paint(enabled: boolean): Paint {
  const none = (text: string) => text;
  return enabled
    ? { enabled, green: sgr(32, 39), red: sgr(31, 39), yellow: sgr(33, 39), dim: sgr(2, 22) }
    : { enabled, green: none, red: none, yellow: none, dim: none };
}

/** Every ANSI escape sequence (SGR colours, cursor moves, erases). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC.
export const ANSI_PATTERN = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** The text a person reads: `text` without escape sequences. */
export function visible(text: string): string {
  return text.replace(ANSI_PATTERN, '');
}

/**
 * `text` cut to `width` visible characters (escape sequences kept, colour closed), so a live line never wraps:
 * a wrapped line would break the count of lines the next redraw moves up over.
 */
export function fitWidth(text: string, width: number): string {
  if (visible(text).length <= width) return text;
  let out = '';
  let shown = 0;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC.
  for (const part of text.split(/(\x1b\[[0-9;?]*[A-Za-z])/)) {
    if (part.startsWith('\x1b[')) out += part;
    else {
      const chars = [...part];
      const room = Math.max(0, width - 1 - shown);
      out += chars.slice(0, room).join('');
      shown += Math.min(chars.length, room);
      if (shown >= width - 1) break;
    }
  }
  return text.includes('\x1b[') ? `${out}…\x1b[0m` : `${out}…`;
}

/** Seconds as the progress lines show them: `12.3 s`. */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
