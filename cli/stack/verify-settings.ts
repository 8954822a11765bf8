/**
 * The functions' environment a stack with these parameters would have (template.yaml's Globals), and the checks
 * Prepare runs on it before any side effect (functions/prepare/handler.ts), run here before anything is deployed.
 */
import { buildPollSeconds } from '../../functions/lib/build/build-polls';
import { checkHistoryBudget } from '../../functions/lib/deploy/history-budget';
import {
  parseAlarmNames,
  parseManualPauseTimeout,
  parseTerminationWait,
} from '../../functions/lib/deploy/shift-config';
import { GREEN_POLL_SECONDS } from '../../functions/lib/deploy/state';
import { readPinSetting } from '../../functions/lib/render/image-digests';
import { readWorkloadScope } from '../../functions/lib/render/workload-scope';
import {
  checkVariableGrants,
  type RepositorySettings,
  readSettings,
} from '../../functions/lib/shared/settings';
import { type CfnValue, loadTemplate, resolveValue } from '../local/template';

const ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;

/** The parameters' account: the one in ProductionListenerArn or TaskExecutionRoleArn. */
export function parameterAccount(values: Record<string, string>): string {
  for (const name of ['ProductionListenerArn', 'TaskExecutionRoleArn', 'TargetGroupAArn']) {
    const account = ACCOUNT.exec(values[name] ?? '')?.[1];
    if (account) return account;
  }
  return '000000000000';
}

/** The environment template.yaml gives every function (Globals), for these parameter values over its defaults. */
export function stackEnvironment(values: Record<string, string>, region: string): NodeJS.ProcessEnv {
  const template = loadTemplate();
  const specs = template.Parameters ?? {};
  const parameters: Record<string, string | string[]> = {};
  for (const [name, spec] of Object.entries(specs)) {
    // A parameter not given resolves as its default, or as '' (the settings check reports it missing).
    const value = values[name] ?? (spec.Default === undefined ? '' : String(spec.Default));
    parameters[name] = spec.Type === 'CommaDelimitedList' ? value.split(',') : value;
  }
  const globals = (template.Globals?.Function ?? {}) as { Environment?: { Variables?: CfnValue } };
  const names = ['DeploymentsTable', 'ArtifactBucket', 'BuildProject'];
  const resolved = resolveValue(globals.Environment?.Variables ?? {}, {
    region,
    accountId: parameterAccount(values),
    stackName: 'switchyard',
    parameters,
    // Resources the stack creates: not checked here, and unknown before it exists.
    refs: Object.fromEntries(names.map((name) => [name, `<${name}>`])),
    attributes: {},
    conditions: (template.Conditions ?? {}) as Record<string, CfnValue>,
  }) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(resolved).map(([name, value]) => [name, String(value)]));
}

/**
 * Prepare's checks of the settings (the repository settings, the build variables' grants, the workload scope,
 * the plan's history budget) and those of the alarm names and image pinning: one message per failing check.
 */
export function prepareProblems(env: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const attempt = (check: () => void) => {
    try {
      check();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  };
  let settings: RepositorySettings | undefined;
  attempt(() => {
    settings = readSettings(env);
  });
  if (settings) {
    const variables = settings.buildVariables;
    attempt(() => checkVariableGrants(variables, env));
  }
  attempt(() => readWorkloadScope(env));
  attempt(() => {
    const build = {
      pollSeconds: Number(env.BUILD_POLL_SECONDS),
      timeoutMinutes: Number(env.BUILD_TIMEOUT_MINUTES),
    };
    // As Prepare's budgetSettings (functions/prepare/handler.ts) reads the same variables.
    checkHistoryBudget({
      trafficStrategy: env.TRAFFIC_STRATEGY ?? '',
      terminationWaitMinutes: parseTerminationWait(env.TERMINATION_WAIT_MINUTES ?? ''),
      manualPauseTimeoutMinutes: parseManualPauseTimeout(env.MANUAL_PAUSE_TIMEOUT_MINUTES),
      greenHealthTimeoutMinutes: Number(env.GREEN_HEALTH_TIMEOUT_MINUTES),
      greenPollSeconds: GREEN_POLL_SECONDS,
      buildFallbackPolls: Math.ceil((build.timeoutMinutes * 60) / buildPollSeconds(build)),
    });
  });
  attempt(() => parseAlarmNames(env.ALARM_NAMES ?? ''));
  attempt(() => readPinSetting(env));
  return problems;
}
