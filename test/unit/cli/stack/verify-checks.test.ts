/**
 * `switchyard verify`'s checks that need no emulator (the trust policy read, the settings) or that moto cannot
 * serve (a composite alarm: moto 5.2.1 does not implement PutCompositeAlarm; a refused DescribeAlarms).
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { parameterProblems } from '../../../../cli/stack/verify-parameters';
import { alarmChecks, trustsEcsTasks } from '../../../../cli/stack/verify-resources';
import { prepareProblems, stackEnvironment } from '../../../../cli/stack/verify-settings';

const trust = (statement: object) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });

describe('trustsEcsTasks', () => {
  it('reads the URL-encoded document GetRole returns, and a plain one', () => {
    const allow = trust({
      Effect: 'Allow',
      Principal: { Service: ['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com'] },
      Action: ['sts:AssumeRole', 'sts:TagSession'],
    });
    expect(trustsEcsTasks(encodeURIComponent(allow))).toBe(true);
    expect(trustsEcsTasks(allow)).toBe(true);
  });

  it('refuses a Deny, another service, another action, and no document', () => {
    const base = {
      Effect: 'Allow',
      Principal: { Service: 'ecs-tasks.amazonaws.com' },
      Action: 'sts:AssumeRole',
    };
    expect(trustsEcsTasks(trust({ ...base, Effect: 'Deny' }))).toBe(false);
    expect(trustsEcsTasks(trust({ ...base, Principal: { Service: 'ecs.amazonaws.com' } }))).toBe(false);
    expect(trustsEcsTasks(trust({ ...base, Action: 'sts:TagSession' }))).toBe(false);
    expect(trustsEcsTasks(undefined)).toBe(false);
    expect(trustsEcsTasks('not json')).toBe(false);
  });
});

describe('alarmChecks', () => {
  const cloudwatch = mockClient(CloudWatchClient);
  beforeEach(() => cloudwatch.reset());

  it('finds composite alarms as well as metric ones', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'web-5xx', StateValue: 'OK' }],
      CompositeAlarms: [{ AlarmName: 'web-health', StateValue: 'ALARM' }],
    });
    const results = await alarmChecks(new CloudWatchClient({}), ['web-5xx', 'web-health', 'web-latency']);

    expect(results.map((r) => [r.status, r.subject, r.note])).toEqual([
      ['ok', 'alarm web-5xx', 'exists (OK)'],
      ['ok', 'alarm web-health', 'exists (ALARM)'],
      ['fail', 'alarm web-latency', expect.stringContaining('remove it from AlarmNames')],
    ]);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmTypes).toEqual([
      'MetricAlarm',
      'CompositeAlarm',
    ]);
  });

  it('fails alarms it may not read, saying so', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: cloudwatch:DescribeAlarms'), {
        name: 'AccessDenied',
      }),
    );
    const [result] = await alarmChecks(new CloudWatchClient({}), ['web-5xx']);

    expect(result?.status).toBe('fail');
    expect(result?.note).toMatch(/not authorized .*verify needs read access/);
  });
});

describe('settings checks', () => {
  const VALID: Record<string, string> = {
    RepositoryName: 'web',
    ClusterName: 'prod',
    ServiceName: 'web',
    ProductionListenerArn:
      'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/0123456789abcdef/0123456789abcdef',
    TargetGroupAArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-a/0123456789abcdef',
    TargetGroupBArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-b/0123456789abcdef',
    EcrRepositoryName: 'web',
    TaskExecutionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
  };
  it("reports template.yaml's constraints one parameter at a time", () => {
    const { RepositoryName: _, ...rest } = VALID;
    expect(parameterProblems({ ...rest, BuildPollSeconds: '2', ExecutionMode: 'LATEST' })).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^parameter RepositoryName is not set and has no default: give it \(a CodeCommit/,
        ),
        'parameter BuildPollSeconds is 2, below its MinValue 5',
        'parameter ExecutionMode is "LATEST": expected one of SUPERSEDED, QUEUED',
      ]),
    );
  });

  it("runs Prepare's checks on the environment the template gives the functions", () => {
    const env = stackEnvironment(VALID, 'us-east-1');
    expect(env.ECR_REPOSITORY_URI).toBe('123456789012.dkr.ecr.us-east-1.amazonaws.com/web');
    expect(prepareProblems(env)).toEqual([]);

    const tooLong = stackEnvironment(
      { ...VALID, TrafficStrategy: 'Linear1PercentEvery60Minutes', TerminationWaitMinutes: '2880' },
      'us-east-1',
    );
    expect(prepareProblems(tooLong)).toEqual([
      expect.stringMatching(
        /^TrafficStrategy and TerminationWaitMinutes \(2880\) may wait .*shorten the pauses/,
      ),
    ]);
  });
});
