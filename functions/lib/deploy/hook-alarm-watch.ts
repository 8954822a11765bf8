/**
 * The alarms while AfterAllowTraffic hooks run: green serves production then, and a hook may run for up to
 * HookTimeoutSeconds (900 s), so RunHooks reads the configured alarms every HOOK_ALARM_CHECK_SECONDS meanwhile and
 * fails with AlarmError at the first alarm in ALARM: the machine rolls back at once instead of after the hooks.
 * The hook's own invocation is not cancelled (Lambda has no way to), as CodeDeploy leaves it too.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Deployment } from '../record/deployments';
import { alarmsInAlarm } from './alarms';
import { alarmError } from './shift';

/**
 * Seconds between two reads of the alarms while hooks run. The goal is production back on blue within 5 s of the
 * alarm: at most this wait, one DescribeAlarms (tens of ms), RunHooks' failure reaching the machine and Rollback's
 * listener write (a cold start at worst, well under a second for these bundles: npm run bench:bundles).
 */
export const HOOK_ALARM_CHECK_SECONDS = 3;

/** `work`'s result, unless a configured alarm is found in ALARM first (read at once, then every `everyMs`). */
export async function watchingAlarms<T>(
  deps: { cloudwatch: CloudWatchClient; alarmNames: string[]; deployment: Deployment },
  work: () => Promise<T>,
  everyMs = HOOK_ALARM_CHECK_SECONDS * 1000,
): Promise<T> {
  if (deps.alarmNames.length === 0) return work();
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const watch = new Promise<never>((_resolve, reject) => {
    const check = async () => {
      try {
        const firing = await alarmsInAlarm(deps.cloudwatch, deps.alarmNames);
        if (firing.length > 0) return reject(alarmError(deps.deployment, firing));
      } catch (error) {
        return reject(error);
      }
      if (!settled) timer = setTimeout(check, everyMs);
    };
    void check();
  });
  try {
    return await Promise.race([work(), watch]);
  } finally {
    settled = true;
    clearTimeout(timer);
    watch.catch(() => undefined);
  }
}
