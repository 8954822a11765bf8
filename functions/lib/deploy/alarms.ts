/**
 * CloudWatch alarms watched during every traffic pause and the bake: which of the configured ones are in ALARM.
 * DescribeAlarms returns composite alarms only to a principal allowed cloudwatch:DescribeAlarms on `*`
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html): a narrower grant
 * makes a composite alarm read as missing, so template.yaml grants it on `*`.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ConfigurationError, describeError, isTransient, TransientAwsError } from '../shared/errors';

/** An alarm in ALARM, with CloudWatch's reason. */
export interface FiringAlarm {
  name: string;
  reason: string;
  /** ISO 8601 time of the last state change. */
  updatedAt: string;
}

/** DescribeAlarms accepts at most 100 alarm names per call (CloudWatch API reference). */
export const ALARM_NAMES_PER_CALL = 100;

/**
 * The configured alarms that are in ALARM (metric and composite alarms). A configured name that does not exist
 * is a ConfigurationError naming it: an alarm that is never found would never stop a bad deployment.
 */
export async function alarmsInAlarm(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<FiringAlarm[]> {
  const wanted = [...new Set(names.map((name) => name.trim()).filter(Boolean))];
  const found = new Map<string, { state?: string; reason?: string; updated?: Date }>();
  for (let start = 0; start < wanted.length; start += ALARM_NAMES_PER_CALL) {
    const batch = wanted.slice(start, start + ALARM_NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const page = await describe(cloudwatch, batch, nextToken);
      for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
        if (!alarm.AlarmName) continue;
        found.set(alarm.AlarmName, {
          state: alarm.StateValue,
          reason: alarm.StateReason,
          updated: alarm.StateUpdatedTimestamp,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }

  const missing = wanted.filter((name) => !found.has(name));
  if (missing.length > 0) {
    throw new ConfigurationError(
      `CloudWatch alarm(s) ${missing.map((name) => `"${name}"`).join(', ')} do not exist in this account and ` +
        "region; fix the stack's alarm names parameter (names are case-sensitive) or create the alarms",
    );
  }
  return wanted.flatMap((name) => {
    const alarm = found.get(name);
    if (alarm?.state !== 'ALARM') return [];
    return [{ name, reason: alarm.reason ?? '', updatedAt: alarm.updated?.toISOString() ?? '' }];
  });
}

async function describe(cloudwatch: CloudWatchClient, names: string[], nextToken: string | undefined) {
  try {
    return await cloudwatch.send(
      new DescribeAlarmsCommand({
        AlarmNames: names,
        // Without AlarmTypes only metric alarms are returned, even when a named composite alarm exists.
        AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
        ...(nextToken ? { NextToken: nextToken } : {}),
      }),
    );
  } catch (error) {
    if (!isTransient(error)) throw error;
    throw new TransientAwsError(`DescribeAlarms failed: ${describeError(error)}`, { cause: error });
  }
}
