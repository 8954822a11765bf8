/**
 * The `switchyard` command: a table of subcommands, each with its own options and help.
 */
import { parseArgs } from 'node:util';
import { samBuild } from './sam-build';

/** A subcommand: its one-line summary, usage text and implementation (returns the exit code). */
interface Command {
  summary: string;
  usage: string;
  run: (args: string[]) => Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  build: {
    summary: 'bundle every function of template.yaml as `sam build` would (esbuild, the BuildProperties)',
    usage: `switchyard build [--out DIR] [--only LogicalId]...

Bundles each AWS::Serverless::Function of template.yaml from its Metadata.BuildProperties into
DIR/<LogicalId>/handler.js (default DIR: .aws-sam/build), and prints one line per function with its size.`,
    run: async (args) => {
      const { values } = parseArgs({
        args,
        options: { out: { type: 'string' }, only: { type: 'string', multiple: true } },
        strict: true,
      });
      const started = Date.now();
      const built = await samBuild({ outDir: values.out, only: values.only });
      for (const fn of built) {
        process.stdout.write(
          `${fn.logicalId.padEnd(28)} ${(fn.bytes / 1024).toFixed(1).padStart(8)} KiB  ${fn.bundle}\n`,
        );
      }
      process.stdout.write(`built ${built.length} function(s) in ${Date.now() - started} ms\n`);
      return 0;
    },
  },
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

/** Runs the command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`switchyard: unknown command "${name}"\n\n${help()}`);
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
