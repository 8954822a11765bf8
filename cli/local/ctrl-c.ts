/**
 * Ctrl-C in `switchyard local`. A terminal sends SIGINT to its whole foreground process group; the emulator and its
 * builds run in groups of their own (cli/emulator/moto.ts, codebuild_executor.py), so only this process hears it.
 * The first press asks for a rollback, the second stops at once.
 */

/** The exit status of a run ended by Ctrl-C: 128 + SIGINT, as a shell reports a process SIGINT ended. */
export const INTERRUPTED_EXIT_CODE = 130;

/** The line printed at the first press: what happens now, and how to stop at once instead. */
export const ROLLBACK_LINE =
  'interrupted: aborting the deployment as `switchyard abort` does (traffic back to blue, green removed, a running build stopped); press Ctrl-C again to stop at once without rolling back';

/** The line printed at a first press that comes before the deployment has started. */
export const BEFORE_START_LINE =
  'interrupted: stopping before the deployment starts (nothing is deployed yet); press Ctrl-C again to stop at once';

/** Handlers of the presses; the second and later presses all call `second`. */
export interface CtrlCHandlers {
  first: () => void;
  second: () => void;
}

/** Listens for SIGINT until disposed; returns the dispose function. */
export function onCtrlC(handlers: CtrlCHandlers): () => void {
  let presses = 0;
  const listener = () => {
    presses += 1;
    if (presses === 1) handlers.first();
    else handlers.second();
  };
  process.on('SIGINT', listener);
  return () => process.removeListener('SIGINT', listener);
}

/** A Ctrl-C before the deployment started: the run ends, with nothing deployed. */
export class InterruptedBeforeDeploying extends Error {
  override name = 'InterruptedBeforeDeploying' as const;
  constructor() {
    super('interrupted before the deployment started: nothing was deployed');
  }
}
