/** How often CheckBuild polls a build when the machine has to (a module of its own: Prepare's budget reads it). */

/**
 * Most polls CheckBuild makes of one build. The machine polls only when the `codebuild:startBuild.sync` wait itself
 * failed (WaitForBuild's Catch) while the build still runs; each poll costs history events
 * (deploy/history-budget.ts), so the polls of a long build are spread out: at least BuildPollSeconds apart, and at
 * most this many over BuildTimeoutMinutes.
 */
export const MAX_BUILD_FALLBACK_POLLS = 120;

/** Seconds between two fallback polls of a build with these settings. */
export function buildPollSeconds(settings: { pollSeconds: number; timeoutMinutes: number }): number {
  return Math.max(settings.pollSeconds, Math.ceil((settings.timeoutMinutes * 60) / MAX_BUILD_FALLBACK_POLLS));
}
