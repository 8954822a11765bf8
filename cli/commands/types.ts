/** A subcommand of `switchyard`: its one-line summary, usage text and implementation (returns the exit code). */
export interface Command {
  summary: string;
  usage: string;
  run: (args: string[]) => Promise<number>;
}
