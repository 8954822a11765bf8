/**
 * The `switchyard` command: a table of subcommands (cli/commands/<name>.ts), each with its own options and help.
 */
import { abort } from './commands/abort';
import { build } from './commands/build';
import { cleanup } from './commands/cleanup';
import { deploy } from './commands/deploy';
import { diff } from './commands/diff';
import { editDistance } from './commands/flag-suggest';
import { history } from './commands/history';
import { invoke } from './commands/invoke';
import { local } from './commands/local';
import { promote } from './commands/promote';
import { render } from './commands/render';
import { rollback } from './commands/rollback';
import { runBuildCommand } from './commands/run-build';
import { status } from './commands/status';
import type { Command } from './commands/types';
import { verify } from './commands/verify';

/** Every subcommand by name (exported for the help test). */
export const COMMANDS: Record<string, Command> = {
  local,
  build,
  'run-build': runBuildCommand,
  invoke,
  render,
  verify,
  diff,
  deploy,
  status,
  history,
  promote,
  abort,
  rollback,
  cleanup,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, cmd]) => `  ${name.padEnd(width)}  ${cmd.summary}`);
  return `switchyard: blue/green deployments to Amazon ECS, driven by a Step Functions state machine

Usage: switchyard <command> [options]

Commands:
${lines.join('\n')}

Run \`switchyard <command> --help\` for a command's options.
`;
}

/** The command closest to a mistyped one (at most two edits away), if any. */
function nearestCommand(given: string): string | undefined {
  const scored = Object.keys(COMMANDS)
    .map((name) => ({ name, distance: editDistance(given, name) }))
    .sort((a, b) => a.distance - b.distance);
  const best = scored[0];
  return best && best.distance <= 2 ? best.name : undefined;
}

/** Runs the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = nearestCommand(name);
    process.stderr.write(
      `switchyard: unknown command "${name}"${near ? `: did you mean "${near}"?` : ''}\n\n${help()}`,
    );
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    process.stderr.write(`switchyard ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
