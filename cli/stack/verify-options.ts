/**
 * What `switchyard verify` and `switchyard diff` share on the command line: their options parsed strictly, an
 * unknown option answered with the nearest known one, and whether the output may be coloured.
 */
import type { ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { editDistance, parseFlags } from '../commands/flag-suggest';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The name in `known` nearest to `given` (a typo of it, or its only completion); undefined when none is close. */
export function nearestName(given: string, known: readonly string[]): string | undefined {
  const prefixed = known.filter((name) => given.length >= 2 && name.startsWith(given));
  if (prefixed.length === 1) return prefixed[0];
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(given.toLowerCase(), name.toLowerCase());
    if (!best || distance < best.distance) best = { name, distance };
  }
  return best && best.distance <= Math.max(1, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/**
 * The command's options, parsed strictly (cli/commands/flag-suggest.ts: an unknown option is answered with the
 * nearest known one and the command's --help), as an InvalidInputError on a bad command line.
 */
export function parseCommandArgs<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseFlags(command, { args, options, allowPositionals: true });
  } catch (error) {
    throw new InvalidInputError((error as Error).message);
  }
}

/**
 * Colour only for a person at a terminal: never when the stream is not a TTY, nor when NO_COLOR is set to
 * anything but the empty string (https://no-color.org).
 */
export function colourFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

/** The exit status of a command that could not do its work (a bad option or input, an AWS error): 2, as diff(1). */
export const EXIT_ERROR = 2;

/** Writes the error as `switchyard <command>: <message>` and returns EXIT_ERROR. */
export function reportError(command: string, error: unknown): number {
  process.stderr.write(`switchyard ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
  return EXIT_ERROR;
}
