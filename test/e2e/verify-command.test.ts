/**
 * `switchyard verify` as a user runs it before a first deploy: a subprocess of bin/switchyard.js against this
 * worker's moto, holding the blue/green fixture, the task's roles, an ECR image, a log group and an alarm. Each
 * check is seen passing, then failing once with the fixture broken in the way it guards against.
 */

import { resolve } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { type BlueGreenFixture, createListenerRules } from '../../cli/emulator/fixture';
import { useMoto } from '../support/moto';
import {
  ALARM,
  createPreflightFixture,
  createRole,
  LOG_GROUP,
  type PreflightFixture,
  runAgainst,
  writeParameters,
  writeTaskdef,
} from '../support/preflight-fixture';
import { startInPty } from '../support/pty-session';

const BIN = resolve(__dirname, '../../bin/switchyard.js');

/** taskdef.json of the checkout: one container logging to LOG_GROUP. */
function taskdef(fx: BlueGreenFixture, logOptions: Record<string, string> = {}) {
  return {
    family: 'app',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: fx.containerName,
        image: '<IMAGE1_NAME>',
        essential: true,
        portMappings: [{ containerPort: fx.containerPort, protocol: 'tcp' }],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': LOG_GROUP,
            'awslogs-region': 'us-east-1',
            'awslogs-stream-prefix': 'web',
            ...logOptions,
          },
        },
      },
    ],
  };
}

/** The output's line about `subject` (its first line that mentions it). */
function line(stdout: string, subject: string | RegExp): string {
  const found = stdout
    .split('\n')
    .find((l) => (typeof subject === 'string' ? l.includes(subject) : subject.test(l)));
  if (!found) throw new Error(`no line about ${String(subject)} in:\n${stdout}`);
  return found;
}

describe('switchyard verify', () => {
  const moto = useMoto();
  const elbv2 = new ElasticLoadBalancingV2Client({});
  let f: PreflightFixture;

  const verify = (...args: string[]) =>
    runAgainst(moto, ['verify', f.dir, '--parameters', f.parametersFile, ...args]);

  beforeEach(async () => {
    f = await createPreflightFixture(moto, (fx) => taskdef(fx));
  });

  it('passes every check of a ready service, one plain line each, exit status 0', async () => {
    const run = await verify();

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const lines = run.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^ready to deploy: \d+ passed, 0 failed, 0 warnings$/);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^ok {3}/);
    // Not a terminal: no colour codes.
    expect(run.stdout).not.toContain('\u001b[');
    expect(line(run.stdout, 'settings from ')).toContain("Prepare's checks");
    expect(line(run.stdout, 'EXTERNAL deployment controller')).toContain(f.fx.serviceName);
    expect(line(run.stdout, `service ${f.fx.serviceName} (cluster`)).toContain('exists: ACTIVE');
    expect(line(run.stdout, 'PRIMARY task set')).toContain('serves app-a');
    expect(line(run.stdout, /production listener .* forwards to the pair/)).toContain('all to app-a');
    expect(line(run.stdout, /production listener .*'s rules/)).toContain('none forwards to the pair');
    expect(line(run.stdout, /test listener .* forwards to the pair/)).toContain('all to app-a');
    expect(line(run.stdout, '(TargetGroupBArn)')).toContain('ip targets, HTTP port 80');
    expect(line(run.stdout, '(TaskExecutionRoleArn)')).toContain('trusts ecs-tasks.amazonaws.com');
    expect(line(run.stdout, '(TaskRoleArn)')).toContain('trusts ecs-tasks.amazonaws.com');
    expect(line(run.stdout, 'ECR repository web')).toContain('holds images');
    expect(line(run.stdout, `log group ${LOG_GROUP}`)).toContain('exists');
    expect(line(run.stdout, `alarm ${ALARM}`)).toContain('exists (');
  });
  /** Runs verify with `changes` to the parameters; expects exit status 1 and returns stdout. */
  async function failing(changes: Record<string, string | undefined>, ...args: string[]): Promise<string> {
    writeParameters(f, changes);
    const run = await verify(...args);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: '' });
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^not ready to deploy: \d+ passed, [1-9]\d* failed/);
    return run.stdout;
  }

  async function targetGroup(name: string, type: 'ip' | 'instance' = 'ip'): Promise<string> {
    const { vpcId } = await moto.describeDefaultNetwork();
    const { TargetGroups } = await elbv2.send(
      new CreateTargetGroupCommand({
        Name: name,
        Protocol: 'HTTP',
        Port: 80,
        VpcId: vpcId,
        TargetType: type,
      }),
    );
    return TargetGroups?.[0]?.TargetGroupArn ?? '';
  }

  it("fails the settings that Prepare or template.yaml's constraints refuse, naming the parameter", async () => {
    const out = await failing({
      ClusterName: 'not/a-name',
      BuildEnvironmentVariables: '[{"name":"TOKEN","value":"/app/token","type":"PARAMETER_STORE"}]',
    });

    expect(line(out, 'ClusterName is "not/a-name"')).toMatch(
      /^FAIL settings from .*AllowedPattern \(an ECS cluster name/,
    );
    expect(line(out, 'build variable TOKEN')).toMatch(/^FAIL .*BuildParameterStoreArns does not grant/);
  });

  it('fails a missing service, and one without the EXTERNAL deployment controller', async () => {
    let out = await failing({ ServiceName: 'missing' });
    expect(line(out, 'service missing (cluster')).toMatch(
      /^FAIL .*exists: not found \(MISSING\): check ClusterName/,
    );

    const ecs = new ECSClient({});
    await ecs.send(
      new CreateServiceCommand({
        cluster: f.fx.clusterName,
        serviceName: 'rolling',
        taskDefinition: f.fx.taskDefinitionArn,
        desiredCount: 0,
      }),
    );
    out = await failing({ ServiceName: 'rolling' });
    expect(line(out, 'service rolling (cluster')).toMatch(/^ok /);
    expect(line(out, 'service rolling uses the EXTERNAL')).toMatch(
      /^FAIL .*it uses ECS; .*DeploymentController \{Type: EXTERNAL\}/,
    );
  });

  it('fails a PRIMARY task set and listeners that serve a group outside the pair', async () => {
    const other = await targetGroup('app-c');
    const out = await failing({ TargetGroupAArn: f.fx.targetGroups.green, TargetGroupBArn: other });

    expect(line(out, 'PRIMARY task set serves one of the pair')).toMatch(
      /^FAIL .*serves arn:.*targetgroup\/app-a\/.*neither TargetGroupAArn nor TargetGroupBArn/,
    );
    expect(line(out, /production listener .* forwards to the pair/)).toMatch(
      /^FAIL .*which is not one of the configured target groups/,
    );
    expect(line(out, /test listener .* forwards to the pair/)).toMatch(/^FAIL /);
  });

  it('fails a listener rule that mixes the pair with another group, and a test listener elsewhere', async () => {
    const other = await targetGroup('app-c');
    await createListenerRules(elbv2, f.fx, [
      { priority: 10, paths: ['/api/*'], forward: { blue: 1, [other]: 1 } },
    ]);
    await elbv2.send(
      new ModifyListenerCommand({
        ListenerArn: f.fx.testListenerArn,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: other }],
      }),
    );
    const out = await failing({});

    expect(line(out, /production listener .* forwards to the pair/)).toMatch(/^ok /);
    expect(line(out, /production listener .*'s rules/)).toMatch(
      /^FAIL .*forwards both to the service's target group/,
    );
    expect(line(out, /test listener .* forwards to the pair/)).toMatch(
      /^FAIL .*app-c.*not one of the configured/,
    );
  });

  it('fails a target group of instance targets, and the same group given twice', async () => {
    let out = await failing({ TargetGroupBArn: await targetGroup('app-i', 'instance') });
    expect(line(out, 'target group app-i (TargetGroupBArn)')).toMatch(
      /^FAIL .*target type is instance.*TargetType ip/,
    );
    expect(line(out, 'target group app-a (TargetGroupAArn)')).toMatch(/^ok /);

    out = await failing({ TargetGroupBArn: f.fx.targetGroups.blue });
    expect(line(out, 'target groups app-a')).toMatch(/^FAIL .*the same group/);
  });

  it('fails a missing role and one that does not trust ecs-tasks.amazonaws.com', async () => {
    const lambdaRole = await createRole(new IAMClient({}), 'web-lambda', 'lambda.amazonaws.com');
    const out = await failing({
      TaskExecutionRoleArn: lambdaRole,
      TaskRoleArn: `arn:aws:iam::${f.account}:role/nobody`,
    });

    expect(line(out, '(TaskExecutionRoleArn)')).toMatch(
      /^FAIL role web-lambda .*does not let ecs-tasks.amazonaws.com assume it/,
    );
    expect(line(out, '(TaskRoleArn)')).toMatch(/^FAIL role nobody .*does not exist: create it/);
  });

  it('fails a missing or empty ECR repository, and a tag it does not hold', async () => {
    let out = await failing({ EcrRepositoryName: 'missing' });
    expect(line(out, 'ECR repository missing')).toMatch(/^FAIL .*does not exist/);

    await new ECRClient({}).send(new CreateRepositoryCommand({ repositoryName: 'empty' }));
    out = await failing({ EcrRepositoryName: 'empty' });
    expect(line(out, 'ECR repository empty')).toMatch(/^FAIL .*holds no image/);

    writeParameters(f);
    out = await failing({}, '--image-tag', 'v2');
    expect(line(out, 'ECR repository web (EcrRepositoryName): image tag v2')).toMatch(
      /^FAIL .*no image is tagged v2/,
    );
    const tagged = await verify('--image-tag', 'v1');
    expect(line(tagged.stdout, 'image tag v1')).toMatch(/^ok .*present/);
  });

  it('fails a missing log group, and warns when ECS is to create it', async () => {
    await new CloudWatchLogsClient({}).send(new DeleteLogGroupCommand({ logGroupName: LOG_GROUP }));
    const out = await failing({});
    expect(line(out, `log group ${LOG_GROUP}`)).toMatch(/^FAIL .*does not exist, so tasks fail to start/);

    writeTaskdef(f.dir, taskdef(f.fx, { 'awslogs-create-group': 'true' }));
    const run = await verify();
    expect(run.status).toBe(0);
    expect(line(run.stdout, `log group ${LOG_GROUP}`)).toMatch(
      /^warn .*ECS creates it at the first task start/,
    );
    expect(run.stdout).toMatch(/ready to deploy: \d+ passed, 0 failed, 1 warning$/m);
  });

  it('fails an alarm that does not exist', async () => {
    const out = await failing({ AlarmNames: `${ALARM},web-latency` });
    expect(line(out, `alarm ${ALARM}`)).toMatch(/^ok /);
    expect(line(out, 'alarm web-latency')).toMatch(/^FAIL .*does not exist .*remove it from AlarmNames/);
  });

  it("reads a deployed stack's parameters with --stack", async () => {
    const parameters = { ...f.parameters };
    await new CloudFormationClient({}).send(
      new CreateStackCommand({
        StackName: 'switchyard-web',
        // The parameters of template.yaml the checks read; moto cannot deploy the real template.
        TemplateBody: JSON.stringify({
          Parameters: Object.fromEntries(Object.keys(parameters).map((name) => [name, { Type: 'String' }])),
          Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        }),
        Parameters: Object.entries(parameters).map(([ParameterKey, ParameterValue]) => ({
          ParameterKey,
          ParameterValue,
        })),
      }),
    );
    const run = await runAgainst(moto, [
      'verify',
      f.dir,
      '--stack',
      'switchyard-web',
      '--parameter',
      'AlarmNames=',
    ]);

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(line(run.stdout, 'settings from stack switchyard-web, --parameter')).toMatch(/^ok /);
    expect(line(run.stdout, 'alarms (AlarmNames)')).toContain('none configured');
    expect(line(run.stdout, 'PRIMARY task set')).toMatch(/^ok /);

    const missing = await runAgainst(moto, ['verify', f.dir, '--stack', 'nope']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('stack "nope" does not exist in us-east-1');
  });

  it('marks the lines ✓ ✗ ! on a terminal, and ok FAIL warn with NO_COLOR', async () => {
    writeParameters(f, { AlarmNames: `${ALARM},web-latency` });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
    };
    delete env.NO_COLOR;
    const args = [process.execPath, BIN, 'verify', f.dir, '--parameters', f.parametersFile];
    const coloured = startInPty(args, { env });
    expect(await coloured.exited).toBe(1);
    expect(coloured.output()).toContain(`\u001b[32m✓\u001b[0m alarm ${ALARM}: exists`);
    expect(coloured.output()).toContain('\u001b[31m✗\u001b[0m alarm web-latency: does not exist');

    const plain = startInPty(args, { env: { ...env, NO_COLOR: '1' } });
    expect(await plain.exited).toBe(1);
    expect(plain.output()).toContain(`ok   alarm ${ALARM}: exists`);
    expect(plain.output()).toContain('FAIL alarm web-latency: does not exist');
    expect(plain.output()).not.toContain('\u001b[');
  });

  it('shows an example in --help, suggests the option meant, and exits 2 on bad input', async () => {
    const help = await runAgainst(moto, ['verify', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Example:\n {2}switchyard verify /);

    const typo = await verify('--image-tga', 'v1');
    expect({ status: typo.status, stdout: typo.stdout }).toEqual({ status: 2, stdout: '' });
    expect(typo.stderr).toBe(
      'switchyard verify: unknown option --image-tga: did you mean --image-tag? (switchyard verify --help lists the options)\n',
    );

    writeParameters(f, { ClusterNmae: 'x' });
    const unknown = await verify();
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(
      '"ClusterNmae" is not a parameter of template.yaml: did you mean ClusterName?',
    );

    const none = await runAgainst(moto, ['verify', f.dir]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(
      '--stack NAME (a deployed stack), --parameters FILE or --parameter KEY=VALUE',
    );
  });
});
