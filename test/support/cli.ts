/** Runs the `switchyard` command as a user does: a subprocess of bin/switchyard.js. */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { CreateStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';

const ROOT = resolve(__dirname, '../..');

/** How a run of the command ended, and what it printed. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A `switchyard` command running in a process of its own: how it ends, and a wait for what it prints meanwhile. */
export interface CliProcess {
  ended: Promise<CliRun>;
  /** Resolves once stdout matches `pattern`; rejects with what it printed when it exits or 60 s pass first. */
  waitFor(pattern: RegExp): Promise<void>;
}

/** Starts `switchyard <args>` from the repository root with the given environment, its output read as it comes. */
export function startSwitchyard(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, ['bin/switchyard.js', ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const ended = new Promise<CliRun>((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
  return {
    ended,
    async waitFor(pattern: RegExp): Promise<void> {
      for (let attempt = 0; attempt < 600 && !pattern.test(stdout); attempt += 1) {
        if (child.exitCode !== null) break;
        await new Promise((done) => setTimeout(done, 100));
      }
      if (!pattern.test(stdout))
        throw new Error(`switchyard ${args.join(' ')} never printed ${pattern}:\n${stdout}${stderr}`);
    },
  };
}

/** Runs `switchyard <args>` from the repository root with the given environment, until it exits. */
export function runSwitchyard(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return startSwitchyard(args, env).ended;
}

/**
 * A state machine named as the stack's pipeline (`switchyard-pipeline`) that succeeds at once: what the stack
 * commands start and read (deploy, status, rollback) when the test needs only their calls, not a deployment.
 * Returns its ARN.
 */
export async function createStubPipeline(sfn: SFNClient): Promise<string> {
  const created = await sfn.send(
    new CreateStateMachineCommand({
      name: 'switchyard-pipeline',
      roleArn: 'arn:aws:iam::123456789012:role/switchyard-pipeline',
      definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
    }),
  );
  return created.stateMachineArn ?? '';
}
