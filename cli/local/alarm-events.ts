/**
 * What EventBridge does locally for the template's "CloudWatch Alarm State Change" rules (WakePauseFunction's
 * AlarmEvent): the emulator's CloudWatch sends no events, so while a callback wait waits, each tick reads the
 * rule's alarms and delivers one event per transition into ALARM to the functions whose rule matches it. Event:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
import { randomUUID } from 'node:crypto';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { LocalStack } from './pipeline-definition';
import { type ResolveContext, resolveValue, type SamTemplate, templateFunctions } from './template';

type RulePattern = {
  source?: string[];
  'detail-type'?: string[];
  detail?: { alarmName?: unknown; state?: { value?: string[] } };
};

/** The template's functions with an alarm-state rule, and the alarm names each rule matches (resolved). */
export function alarmListeners(
  template: SamTemplate,
  ctx: ResolveContext,
): { logicalId: string; alarms: string[] }[] {
  return templateFunctions(template).flatMap((fn) => {
    const events = (template.Resources[fn.logicalId]?.Properties?.Events ?? {}) as Record<
      string,
      { Type?: string; Properties?: { Pattern?: RulePattern } }
    >;
    const alarms = Object.values(events).flatMap((event) => {
      const pattern = event.Properties?.Pattern;
      if (
        event.Type !== 'EventBridgeRule' ||
        !pattern?.['detail-type']?.includes('CloudWatch Alarm State Change')
      )
        return [];
      const names = resolveValue(pattern.detail?.alarmName as never, ctx);
      return (Array.isArray(names) ? names : [names]).map(String).filter((name) => name !== '');
    });
    return alarms.length > 0 ? [{ logicalId: fn.logicalId, alarms }] : [];
  });
}

/** A tick that delivers alarm transitions into ALARM seen since the last one; at most one read per `everyMs`. */
export function alarmEventSource(options: {
  stack: LocalStack;
  listeners: { logicalId: string; alarms: string[] }[];
  deliver: (logicalId: string, event: unknown) => Promise<void>;
  everyMs: number;
}): () => Promise<void> {
  const cloudwatch = new CloudWatchClient({});
  const delivered = new Set<string>();
  let lastRead = 0;
  return async () => {
    if (options.listeners.length === 0 || Date.now() - lastRead < options.everyMs) return;
    lastRead = Date.now();
    for (const listener of options.listeners) {
      const { MetricAlarms = [] } = await cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: listener.alarms, StateValue: 'ALARM' }),
      );
      for (const alarm of MetricAlarms) {
        const transition = `${listener.logicalId} ${alarm.AlarmName} ${alarm.StateUpdatedTimestamp?.toISOString()}`;
        if (delivered.has(transition)) continue;
        delivered.add(transition);
        await options.deliver(listener.logicalId, {
          version: '0',
          id: randomUUID(),
          'detail-type': 'CloudWatch Alarm State Change',
          source: 'aws.cloudwatch',
          account: options.stack.accountId,
          time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: options.stack.region,
          resources: [alarm.AlarmArn],
          detail: {
            alarmName: alarm.AlarmName,
            state: { value: 'ALARM', reason: alarm.StateReason, timestamp: alarm.StateUpdatedTimestamp },
            previousState: { value: 'OK' },
          },
        });
      }
    }
  };
}
