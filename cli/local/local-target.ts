/**
 * What a local run deploys into, made in the emulator: the stack's own resources and the target side that fits the
 * repository (createLocalStack), the repository served as CodeCommit, CodeBuild running each build with the local
 * build runner, the alarm the deployment watches, and stand-ins for the AppSpec's hooks.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ParsedAppSpec } from '../../functions/lib/render/appspec';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { type BlueGreenFixture, putTargetErrorAlarm } from '../emulator/fixture';
import { createNodeFunction } from '../emulator/functions';
import { serveGitRepository, setBuildExecutor } from '../emulator/moto-controls';
import { buildReferences, STAND_IN, seedStandIns } from './build-secrets';
import { createLocalStack } from './local-stack';
import type { Repository } from './repository';

/** The CloudWatch alarm the local stack's deployments watch. */
export const ALARM = 'switchyard-local-5xx';

/** The local stack with the target it deploys to. */
export type LocalTargetStack = Awaited<ReturnType<typeof createLocalStack>> & { target: BlueGreenFixture };

/** Builds the stack and its target in the emulator at `endpoint` for `repo`; the SDK must already point there. */
export async function prepareTarget(
  endpoint: string,
  repo: Repository,
  options: {
    strategy: string;
    /** Stack parameters on top of the repository's, the strategy and the alarm. */
    parameters: Record<string, string>;
    /** A version already serving (false: a first deployment). */
    serving: boolean;
    /** Hook stand-ins answer Failed (--simulate hook-failure). */
    failHooks: boolean;
    /** BuildEnvironmentVariables' JSON (--build-env), whose parameters and secrets get stand-ins. */
    buildVariables?: string;
    print: (line: string) => void;
  },
): Promise<{ stack: LocalTargetStack; cloudwatch: CloudWatchClient }> {
  const stack = (await createLocalStack({
    name: 'switchyard',
    parameters: {
      RepositoryName: repo.name,
      BranchName: repo.branch,
      TrafficStrategy: options.strategy,
      AlarmNames: ALARM,
      ...repo.layout.parameters,
      ...options.parameters,
    },
    target: {
      containerName: repo.appspec.containerName,
      containerPort: repo.appspec.containerPort,
      serving: options.serving,
      ownNetwork: true,
    },
  })) as LocalTargetStack;
  await serveGitRepository(endpoint, { name: repo.name, path: repo.path });
  await setBuildExecutor(endpoint);
  for (const made of await seedStandIns(buildReferences(repo.layout.buildspec, options.buildVariables))) {
    options.print(`${made}: not in the emulator, so the build reads a stand-in value ("${STAND_IN}")`);
  }
  const cloudwatch = new CloudWatchClient({});
  await putTargetErrorAlarm(cloudwatch, ALARM);
  await createHooks(endpoint, repo.appspec, options.failHooks, options.print);
  return { stack, cloudwatch };
}

/**
 * The AppSpec's hooks as emulator functions. The emulator cannot reach the team's own functions, so each hook is a
 * stand-in that logs its event and answers Succeeded (Failed with --simulate hook-failure).
 */
async function createHooks(
  endpoint: string,
  appspec: ParsedAppSpec,
  fail: boolean,
  print: (line: string) => void,
) {
  const names = [...new Set(Object.values(appspec.hooks).flat())];
  if (fail && names.length === 0) {
    throw new InvalidInputError('--simulate hook-failure needs an AppSpec with at least one hook (Hooks:)');
  }
  for (const reference of names) {
    const name = reference.split(':function:').pop()?.split(':')[0] ?? reference;
    const answer = fail
      ? "{ status: 'Failed', reason: 'simulated by switchyard local --simulate hook-failure' }"
      : "{ status: 'Succeeded' }";
    await createNodeFunction(endpoint, {
      name,
      files: {
        'index.js': `exports.handler = async (event) => { console.log(JSON.stringify(event)); return ${answer}; };\n`,
      },
    });
    print(`hook ${name}: a stand-in that answers ${fail ? 'Failed' : 'Succeeded'}`);
  }
}
