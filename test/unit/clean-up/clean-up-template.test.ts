/**
 * template.yaml's part of CleanUp and the reconciler: MAX_TASK_SECONDS bounds every task function of the machine,
 * a CleanUp that fails every attempt (or is never delivered) lands in an alarmed, TLS-only queue, and the
 * reconciler's schedule exists only when ReconcileIntervalMinutes is not 0.
 */
import { asArray, readTemplate, referencedId, resourceOf, resourcesOfType } from '../../support/sam-template';

const template = readTemplate('decode');
const transformed = readTemplate('transform');
const globals = (template as unknown as { Globals: { Function: Record<string, unknown> } }).Globals.Function;
const variables = (globals.Environment as { Variables: Record<string, unknown> }).Variables;

/** Seconds a function may run: its Timeout, else the Globals' (Lambda's maximum when it is a parameter). */
function timeoutOf(id: string): number {
  const timeout = resourceOf(template, id).Properties.Timeout ?? globals.Timeout;
  return typeof timeout === 'number' ? timeout : 900;
}

describe('MAX_TASK_SECONDS', () => {
  const substitutions = resourceOf(template, 'PipelineStateMachine').Properties
    .DefinitionSubstitutions as Record<string, unknown>;
  const taskFunctions = Object.values(substitutions)
    .map((value) => referencedId(value))
    .filter((id): id is string => !!id && resourceOf(template, id).Type === 'AWS::Serverless::Function');

  it('is the longest Timeout of the machine’s task functions plus a margin under a minute', () => {
    expect(taskFunctions.length).toBeGreaterThan(10);
    const longest = Math.max(...taskFunctions.map(timeoutOf));
    const max = Number(variables.MAX_TASK_SECONDS);
    expect(longest).toBe(900);
    expect(max).toBeGreaterThan(longest);
    expect(max - longest).toBeLessThan(60);
  });

  it('leaves CleanUp time to wait and roll back within Lambda’s async retries', () => {
    // The third attempt comes about three minutes after the first (one, then two minutes between attempts).
    const cleanUp = resourceOf(template, 'CleanUpFunction').Properties;
    expect(cleanUp.Timeout).toBe(900);
    expect(Number(variables.MAX_TASK_SECONDS) - 180).toBeLessThan(900 - 120);
  });
});

describe('a CleanUp that is lost', () => {
  it('goes to the on-failure queue after two retries, as does an event EventBridge could not deliver', () => {
    const config = resourcesOfType(transformed, 'AWS::Lambda::EventInvokeConfig').find(
      ([, resource]) => referencedId(resource.Properties.FunctionName) === 'CleanUpFunction',
    );
    expect(config?.[1].Properties).toMatchObject({
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['CleanUpFailureQueue', 'Arn'] } } },
    });
    const rule = resourceOf(transformed, 'CleanUpFunctionExecutionEnded');
    const [target] = asArray(rule.Properties.Targets as Record<string, unknown>[]);
    expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': ['CleanUpFailureQueue', 'Arn'] } });
  });

  it('lets only the rule and the function write to the queue, and alarms on any message in it', () => {
    const policy = resourceOf(transformed, 'CleanUpFailureQueuePolicy').Properties.PolicyDocument as {
      Statement: { Sid: string; Effect: string; Condition?: Record<string, Record<string, unknown>> }[];
    };
    const allow = policy.Statement.find((s) => s.Effect === 'Allow');
    expect(allow?.Condition?.ArnEquals?.['aws:SourceArn']).toEqual({
      'Fn::GetAtt': ['CleanUpFunctionExecutionEnded', 'Arn'],
    });
    expect(resourceOf(transformed, 'CleanUpFailureAlarm').Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['CleanUpFailureQueue', 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });
});

describe('the reconciler', () => {
  it('is off unless ReconcileIntervalMinutes says how often, and is told what to reconcile', () => {
    expect(template.Parameters.ReconcileIntervalMinutes).toMatchObject({ Default: 0, MinValue: 0 });
    const schedule = resourceOf(template, 'ReconcileSchedule');
    expect(schedule.Condition).toBe('ReconcileOn');
    expect(resourceOf(template, 'ReconcileScheduleRole').Condition).toBe('ReconcileOn');
    const target = schedule.Properties.Target as { Arn: unknown; Input: unknown };
    expect(referencedId(target.Arn)).toBe('ReconcileFunction');
    expect(JSON.stringify(target.Input)).toMatch(/stateMachineArn.*cleanUpFunctionArn/);
  });
});
