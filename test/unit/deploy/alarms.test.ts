import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandInput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { alarmsInAlarm } from '../../../functions/lib/deploy/alarms';
import { ConfigurationError, TransientAwsError } from '../../../functions/lib/shared/errors';

const cloudwatchMock = mockClient(CloudWatchClient);
const cloudwatch = new CloudWatchClient({});
const CHANGED = new Date('2025-03-04T05:06:07.000Z');

const alarm = (name: string, state = 'OK', reason = `${name} is ${state}`): MetricAlarm => ({
  AlarmName: name,
  StateValue: state as MetricAlarm['StateValue'],
  StateReason: reason,
  StateUpdatedTimestamp: CHANGED,
});
const inputs = () =>
  cloudwatchMock
    .commandCalls(DescribeAlarmsCommand)
    .map((call) => call.args[0].input as DescribeAlarmsCommandInput);

beforeEach(() => cloudwatchMock.reset());

describe('alarmsInAlarm', () => {
  it('returns the configured alarms in ALARM, metric and composite, with reason and time', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [alarm('latency'), alarm('5xx', 'ALARM', 'Threshold Crossed: 1 datapoint [12.0] > 5')],
      CompositeAlarms: [
        { AlarmName: 'slo', StateValue: 'INSUFFICIENT_DATA', StateUpdatedTimestamp: CHANGED },
      ],
    });

    expect(await alarmsInAlarm(cloudwatch, ['latency', '5xx', 'slo'])).toEqual([
      {
        name: '5xx',
        reason: 'Threshold Crossed: 1 datapoint [12.0] > 5',
        updatedAt: '2025-03-04T05:06:07.000Z',
      },
    ]);
    expect(inputs()).toEqual([
      { AlarmNames: ['latency', '5xx', 'slo'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
  });

  it('asks for at most 100 names per call and follows NextToken within a batch', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `alarm-${i}`);
    cloudwatchMock.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => {
      const batch = input.AlarmNames ?? [];
      // The first batch answers in two pages.
      if (batch[0] === 'alarm-0' && !input.NextToken) {
        return { MetricAlarms: batch.slice(0, 60).map((name) => alarm(name)), NextToken: 'page-2' };
      }
      const rest = input.NextToken ? batch.slice(60) : batch;
      return { MetricAlarms: rest.map((name) => alarm(name, name === 'alarm-199' ? 'ALARM' : 'OK')) };
    });

    const firing = await alarmsInAlarm(cloudwatch, names);

    expect(firing.map((a) => a.name)).toEqual(['alarm-199']);
    expect(
      inputs().map((input) => [input.AlarmNames?.length, input.AlarmNames?.[0], input.NextToken]),
    ).toEqual([
      [100, 'alarm-0', undefined],
      [100, 'alarm-0', 'page-2'],
      [100, 'alarm-100', undefined],
      [50, 'alarm-200', undefined],
    ]);
  });

  it('names every configured alarm that does not exist', async () => {
    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('latency')] });

    const attempt = alarmsInAlarm(cloudwatch, ['latency', 'Latency-p99', '5xx']);

    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(
      /CloudWatch alarm\(s\) "Latency-p99", "5xx" do not exist in this account and region; fix the stack's alarm names parameter/,
    );
  });

  it('asks nothing for no alarms, and each name once', async () => {
    expect(await alarmsInAlarm(cloudwatch, [])).toEqual([]);
    expect(await alarmsInAlarm(cloudwatch, ['', ' '])).toEqual([]);
    expect(inputs()).toHaveLength(0);

    cloudwatchMock.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm('5xx', 'ALARM')] });
    expect(await alarmsInAlarm(cloudwatch, ['5xx', ' 5xx', '5xx'])).toHaveLength(1);
    expect(inputs()[0]?.AlarmNames).toEqual(['5xx']);
  });

  it('turns throttling into a TransientAwsError', async () => {
    cloudwatchMock
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling', $metadata: {} }));

    await expect(alarmsInAlarm(cloudwatch, ['5xx'])).rejects.toThrow(TransientAwsError);
  });
});
