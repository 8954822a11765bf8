/**
 * The second Ctrl-C of `switchyard local`: stop at once. The run's processes are killed (the emulator by its process
 * group; a build it ran stops itself once the emulator is gone, cli/emulator/executor-watchdog.ts), its temporary
 * files removed, and the person is told what may be left, which depends on whose emulator held the deployment.
 */
import { rmSync } from 'node:fs';
import type { MotoServer } from '../emulator/moto';

/** What a run has started or created so far, filled in as it goes: what a forced stop must end or describe. */
export interface LocalRunResources {
  /** The emulator this run started (absent with --endpoint, or before it is ready). */
  server?: MotoServer;
  /** The emulator the run uses, once known: this run's, or the one --endpoint names. */
  endpoint?: string;
  /** --endpoint: the emulator is not this run's, and outlives it. */
  external: boolean;
  keep: boolean;
  /** The deployment's id (the execution's name), once the execution has started. */
  deploymentId?: string;
  /** A temporary copy of the repository, to remove. */
  temporaryRepo?: string;
}

/** Kills what the run started, synchronously, and returns the lines that say what may be left. */
export function forceStop(run: LocalRunResources): string[] {
  run.server?.kill();
  if (run.temporaryRepo) rmSync(run.temporaryRepo, { recursive: true, force: true });
  const lines = ['stopped at once: the deployment was not rolled back'];
  if (run.external) {
    lines.push(...leftInExternal(run));
    return lines;
  }
  lines.push(
    run.server
      ? `  the emulator (process group ${run.server.pid}) is killed, and with it any build it was running: nothing is left behind, every resource of this run was in that emulator's memory`
      : '  the emulator had not started yet: nothing is left behind',
  );
  if (run.keep)
    lines.push(
      '  --keep does not hold for a forced stop: the emulator exits with this command, so the half-done deployment is not kept',
    );
  return lines;
}

/** With --endpoint, the deployment stays in an emulator this command does not own. */
function leftInExternal(run: LocalRunResources): string[] {
  const where = `the emulator at ${run.endpoint ?? 'the --endpoint given'} (not this command's: it keeps running)`;
  if (!run.deploymentId)
    return [
      `  ${where} keeps what this run created in it before the deployment started (the stack's bucket, table, build project and the target: load balancer, target groups, service); no deployment had started`,
    ];
  return [
    `  ${where} keeps deployment ${run.deploymentId} as it was stopped: its record RUNNING and the service's lock (a later run there waits for it), production possibly partly on green's target group, green's task set and a build possibly still running`,
    '  to clear it, restart that emulator (or reset it: POST /moto-api/reset); `switchyard abort` does not help, no execution is left to act on the flag',
  ];
}
