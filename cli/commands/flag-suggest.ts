/**
 * A subcommand's options parsed strictly, with a suggestion for a mistyped flag: `--env-var` gets "did you mean
 * --env-vars?" and the command's own `--help` named, rather than node:util's generic message.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Edit distance (insertions, deletions, substitutions, and a swap of two neighbours counted as one). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const row = rows[i] as number[];
      const up = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = best;
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The known flag closest to `given` (`--env-var`, `-x`), written as the user would type it; undefined when none
 * is close: within a third of the longer name's length, or a known flag that starts with what was typed.
 */
export function suggestFlag(given: string, options: Options): string | undefined {
  const typed = given.replace(/^-+/, '').split('=')[0] ?? '';
  if (typed === '') return undefined;
  const names = Object.keys(options);
  const prefixed = names.filter((name) => name.startsWith(typed));
  if (prefixed.length === 1) return `--${prefixed[0]}`;
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(typed.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  const limit = Math.max(1, Math.floor(Math.max(typed.length, best.name.length) / 3));
  return best.distance <= limit ? `--${best.name}` : undefined;
}

/** What parseArgs calls the unknown option in its error: `Unknown option '--env-var'`. */
function unknownOption(error: unknown): string | undefined {
  const e = error as { code?: string; message?: string };
  if (e?.code !== 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return undefined;
  return /Unknown option '([^']+)'/.exec(e.message ?? '')?.[1];
}

/**
 * `parseArgs` with `strict: true`; an unknown flag is an error naming it, the closest known flag ("did you mean
 * --env-vars?") and `switchyard <command> --help`. Other parse errors keep node's message, with the help named.
 */
export function parseFlags<T extends ParseArgsConfig>(command: string, config: T) {
  try {
    return parseArgs({ ...config, strict: true });
  } catch (error) {
    const help = `switchyard ${command} --help lists the options`;
    const flag = unknownOption(error);
    if (flag === undefined) throw new Error(`${(error as Error).message} (${help})`);
    const suggestion = suggestFlag(flag, config.options ?? {});
    throw new Error(
      suggestion
        ? `unknown option ${flag}: did you mean ${suggestion}? (${help})`
        : `unknown option ${flag} (${help})`,
    );
  }
}
