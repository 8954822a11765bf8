/**
 * Reading an emulator that takes time as AWS does (useMoto().setTimings): poll until a state is reached and keep
 * every state seen, so a test asserts the order of states, never how long they took.
 */

/** Polls `read` every 50 ms until `done` holds (at most `attempts` reads); every value read, in order. */
export async function readUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  attempts = 200,
): Promise<T[]> {
  const seen: T[] = [];
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const value = await read();
    seen.push(value);
    if (done(value)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no end state after ${attempts} reads; last: ${JSON.stringify(seen.at(-1))}`);
}

/** The values with consecutive repeats dropped: the states something went through, in order. */
export function phases<T>(values: T[]): T[] {
  return values.filter(
    (value, index) => index === 0 || JSON.stringify(value) !== JSON.stringify(values[index - 1]),
  );
}
