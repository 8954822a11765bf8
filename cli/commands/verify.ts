import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { parseAlarmNames } from '../../functions/lib/deploy/shift-config';
import { parseJson } from '../../functions/lib/shared/json';
import { readSettings } from '../../functions/lib/shared/settings';
import { colourFor, parseCommandArgs, reportError } from '../stack/verify-options';
import {
  PARAMETER_OPTIONS,
  PARAMETER_USAGE,
  parameterProblems,
  readStackSettings,
} from '../stack/verify-parameters';
import { type CheckResult, fail, formatCheck, formatSummary, ok, warn } from '../stack/verify-report';
import { alarmChecks, awslogsGroups, imageCheck, logGroupChecks, roleCheck } from '../stack/verify-resources';
import { listenerChecks, serviceChecks, targetGroupChecks } from '../stack/verify-service';
import { prepareProblems, stackEnvironment } from '../stack/verify-settings';
import type { Command } from './types';

const OPTIONS = { ...PARAMETER_OPTIONS, 'image-tag': { type: 'string' } } as const;

/** The checks of taskdef.json's log groups, when the checkout holds it. */
async function taskdefChecks(dir: string, env: NodeJS.ProcessEnv, region: string): Promise<CheckResult[]> {
  let path: string;
  let origin: string;
  try {
    ({ path, origin } = readSettings(env).taskDefinition);
  } catch {
    return [warn('log groups', 'not checked: the settings above name no valid TaskDefinitionTemplatePath')];
  }
  const file = resolve(dir, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [
      warn(
        `log groups of ${path}`,
        origin === 'BUILD'
          ? 'not checked: the build writes the task definition template (TaskDefinitionTemplateArtifact BUILD)'
          : `not checked: ${file} does not exist (run verify in the application's checkout, or give its folder)`,
      ),
    ];
  }
  try {
    return await logGroupChecks(awslogsGroups(parseJson(text, path)), region, path);
  } catch (error) {
    return [fail(`log groups of ${path}`, (error as Error).message)];
  }
}

async function runChecks(
  values: Record<string, string>,
  source: string,
  options: { dir: string; imageTag?: string; region: string },
  print: (results: CheckResult[]) => void,
): Promise<void> {
  const env = stackEnvironment(values, options.region);
  const problems = [...parameterProblems(values), ...prepareProblems(env)];
  print(
    problems.length === 0
      ? [ok(`settings from ${source}`, "they pass template.yaml's constraints and Prepare's checks")]
      : problems.map((problem) => fail(`settings from ${source}`, problem)),
  );
  const ecs = new ECSClient({});
  const elbv2 = new ElasticLoadBalancingV2Client({});
  const iam = new IAMClient({});
  const ecr = new ECRClient({});
  const cloudwatch = new CloudWatchClient({});
  try {
    const pair = [values.TargetGroupAArn ?? '', values.TargetGroupBArn ?? ''] as const;
    print(await serviceChecks(ecs, values, pair));
    if (values.ProductionListenerArn)
      print(await listenerChecks(elbv2, 'production', values.ProductionListenerArn, pair));
    if (values.TestListenerArn) print(await listenerChecks(elbv2, 'test', values.TestListenerArn, pair));
    if (pair[0] && pair[1]) print(await targetGroupChecks(elbv2, pair));
    if (values.TaskExecutionRoleArn)
      print(await roleCheck(iam, 'TaskExecutionRoleArn', values.TaskExecutionRoleArn));
    if (values.TaskRoleArn) print(await roleCheck(iam, 'TaskRoleArn', values.TaskRoleArn));
    if (values.EcrRepositoryName) print(await imageCheck(ecr, values.EcrRepositoryName, options.imageTag));
    print(await taskdefChecks(options.dir, env, options.region));
    print(await alarmChecks(cloudwatch, parseAlarmNames(env.ALARM_NAMES ?? '')));
  } finally {
    for (const client of [ecs, elbv2, iam, ecr, cloudwatch]) client.destroy();
  }
}

/** `switchyard verify`: pre-flight checks of what a deployment needs, one line each, exit status for CI. */
export const verify: Command = {
  summary:
    'check, before deploying, that the service, listeners, roles, image, log groups, alarms and settings are ready',
  usage: `switchyard verify [DIR] (--stack NAME | --parameters FILE | --parameter KEY=VALUE...) [--image-tag TAG]

Checks what a deployment needs before anything is deployed, one line per check: the settings (the stack's
parameters pass template.yaml's constraints and Prepare's checks); the service exists, is ACTIVE and uses the
EXTERNAL deployment controller, and its PRIMARY task set serves one of the two target groups; the production (and
test) listener's default action and rules forward to the pair; the target groups exist, take ip targets and have a
port; the execution and task roles exist and trust ecs-tasks.amazonaws.com; the ECR repository holds an image (or
the tag given); each awslogs log group of DIR's task definition template exists or will be created; each alarm
exists. A line starts with ✓, ✗ or ! at a terminal, ok, FAIL or warn otherwise (or with NO_COLOR set); a failure
says what to fix. Exit status 0 when every check passes (warnings allowed), 1 when one fails, 2 when verify
itself could not run (a bad option, an unreadable file).

  DIR                      the application's checkout, holding the task definition template (default: .)
  --image-tag TAG          check that the ECR repository holds this tag (default: any image)
${PARAMETER_USAGE}

Example:
  switchyard verify ~/src/web --stack switchyard-web
  switchyard verify --parameters params.json --parameter AlarmNames=web-5xx,web-latency`,
  run: async (args) => {
    const all: CheckResult[] = [];
    try {
      const { values, positionals } = parseCommandArgs('verify', args, OPTIONS);
      const { dir, region, parameters } = await readStackSettings('verify', positionals, values);
      const colour = colourFor(process.stdout);
      await runChecks(
        parameters.values,
        parameters.source,
        { dir: dir, imageTag: values['image-tag'], region },
        (results) => {
          for (const result of results) process.stdout.write(`${formatCheck(result, colour)}\n`);
          all.push(...results);
        },
      );
      process.stdout.write(`${formatSummary(all)}\n`);
      return all.some((result) => result.status === 'fail') ? 1 : 0;
    } catch (error) {
      return reportError('verify', error);
    }
  },
};
