/**
 * The build executor's own watchdog. The emulator starts each executor in a session of its own (codebuild_executor.py:
 * a terminal's Ctrl-C does not reach a build), so an executor does not die with the emulator: when the emulator is
 * gone (a forced stop of `switchyard local` kills it), the executor stops its build as StopBuild would and exits.
 */

/** How often the executor looks at its parent. */
const WATCH_MS = 250;
/** How long a stopped build may take to wind down before the process exits regardless. */
const EXIT_GRACE_MS = 10_000;

/**
 * Calls `stop` once this process's parent is gone (it is re-parented, so its parent id changes), then exits after a
 * grace period if the stopped build has not let the process end by itself. Returns a function that stops watching.
 */
export function stopWhenOrphaned(stop: () => void, watchMs = WATCH_MS): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
    // unref: the grace period never keeps a process alive that has nothing else to do.
    setTimeout(() => process.exit(1), EXIT_GRACE_MS).unref();
  }, watchMs);
  // Watching alone keeps nothing alive: the executor ends when its build does.
  timer.unref();
  return () => clearInterval(timer);
}
