import { planTraffic } from '../../functions/lib/deploy/plan';
import { readBuildEnv } from '../local/build-env';
import {
  BEFORE_START_LINE,
  INTERRUPTED_EXIT_CODE,
  InterruptedBeforeDeploying,
  onCtrlC,
  ROLLBACK_LINE,
} from '../local/ctrl-c';
import { forceStop, type LocalRunResources } from '../local/forced-stop';
import { runLocal } from '../local/local-run';
import { openScreen } from '../local/screen-live';
import { SIMULATIONS, type Simulation } from '../local/simulations';
import { watchLocal } from '../local/watch-run';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

/** `switchyard local`: a whole blue/green deployment on this machine, against the embedded emulator. */
export const local: Command = {
  summary: 'run a whole blue/green deployment on this machine, against the embedded AWS emulator',
  usage: `switchyard local [--repo PATH] [--commit SHA] [--traffic STRATEGY]
                 [--buildspec PATH] [--taskdef [build:]PATH] [--appspec [build:]PATH] [--image NAME=PATH]...
                 [--build-env FILE] [--inherit-env] [--trust] [--simulate ${SIMULATIONS.join('|')}]
                 [--endpoint URL] [--keep] [--fresh] [--json]
       switchyard local --watch --repo PATH [--traffic STRATEGY] [other options as above]

Starts the AWS emulator (moto) on a free loopback port, creates in it the target side that fits the repository
(VPC, ALB with a production and a test listener, two target groups on the AppSpec's container port, cluster,
EXTERNAL service with a version already serving) and the stack's resources, then runs the real state machine
with the real functions for a push of the commit: archive, build (the buildspec runs here; with no Docker the
sample app writes imageDetail.json for a public image), render, and the blue/green shift. Waits are
compressed; the traffic plan is not.

  --repo PATH        a git repository with a buildspec, a task definition template and an AppSpec
                     (default: examples/sample-app)
  --commit SHA       the commit to deploy (default: HEAD)
  --buildspec PATH   the buildspec in the commit (stack parameter BuildspecPath; default buildspec.yml, else the
                     one buildspec*.yml of the commit)
  --taskdef [build:]PATH  the task definition template in the commit, or with build: in the build output
                     (TaskDefinitionTemplatePath/Artifact; default taskdef.json at the root, else the one
                     taskdef.json of the commit, else taskdef.json of the build output)
  --appspec [build:]PATH  the AppSpec, as --taskdef (AppSpecTemplatePath/Artifact)
  --image NAME=PATH  <NAME> of the template takes the ImageURI of PATH, an imageDetail.json of the build output
                     (ImagePlaceholders; default IMAGE1_NAME=imageDetail.json, or the template's one placeholder)
  --build-env FILE   the build's variables: a JSON list [{"name", "value", "type"}] as the stack parameter
                     BuildEnvironmentVariables, or NAME=VALUE lines
  --inherit-env      start the build with your whole environment (your AWS credentials aside: the emulator's
                     replace them); by default it gets CodeBuild's variables, --build-env, the buildspec's and of
                     yours only PATH, LANG, LC_*, TERM, TMPDIR, TZ and DOCKER_HOST
  --trust            no notice before the first run of a commit of --repo (its buildspec runs here, as you)
  --traffic NAME     AllAtOnce (default), Canary10Percent5Minutes, Linear10PercentEvery1Minutes, any
                     Canary<P>Percent<M>Minutes / Linear<P>PercentEvery<M>Minutes, or a JSON list of steps
  --simulate WHAT    make the emulator misbehave to watch a rollback (or a failed build)
  --endpoint URL     use a running emulator instead of starting one
  --keep             leave the emulator running and print its endpoint (for switchyard status, the AWS CLI)
  --watch            keep the emulator and the local stack up and deploy each new commit of --repo's branch as a
                     push would (its head is read every second); the other commands work against the stack with
                     the printed environment: switchyard deploy | status [--follow] | history | promote | abort |
                     rollback --stack switchyard. Pauses, the bake and the lock wait at most 1 s per check here,
                     and promote or abort ends them at once. Ctrl-C while a deployment runs rolls it back (exit
                     130); while idle it stops the watch and the emulator (exit 0)
  --fresh            a service with no version serving yet: a first deployment
  --json             progress on stderr; the last line of stdout is one JSON summary

On a terminal the running stage is shown live below the finished ones (elapsed time, the build's last log lines,
green's targets' health, a pause's time left and how to promote or abort), in colour unless NO_COLOR is set;
piped, or with --json, plain lines: one as each stage starts and one as it ends.

The build runs the repository's buildspec on this machine, as you (docs/LOCAL-BUILDS.md): before the first run of
each commit of a --repo, a notice names the repository and the buildspec (once; the run goes on, it never asks).
Ctrl-C aborts the deployment as \`switchyard abort\` does (traffic back to blue, green removed; a running build is
stopped as StopBuild stops it), waits for the rollback, prints the outcome and exits 130. A second Ctrl-C stops at
once, without rolling back: the emulator and its build are killed (what may be left is printed; nothing, unless
--endpoint named an emulator that outlives the run), exit status 130.
Exit status 0 only when the deployment succeeded.

Examples:
  switchyard local --traffic Canary10Percent5Minutes
  switchyard local --watch --repo ~/src/my-service --traffic '[{"greenPercent":10,"pause":"manual"},{"greenPercent":100}]'`,
  run: async (args) => {
    const { values } = parseFlags('local', {
      args,
      options: {
        repo: { type: 'string' },
        commit: { type: 'string' },
        traffic: { type: 'string' },
        buildspec: { type: 'string' },
        taskdef: { type: 'string' },
        appspec: { type: 'string' },
        image: { type: 'string', multiple: true },
        'build-env': { type: 'string' },
        'inherit-env': { type: 'boolean' },
        trust: { type: 'boolean' },
        simulate: { type: 'string' },
        endpoint: { type: 'string' },
        keep: { type: 'boolean' },
        watch: { type: 'boolean' },
        fresh: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    if (values.simulate !== undefined && !(SIMULATIONS as readonly string[]).includes(values.simulate)) {
      throw new Error(`--simulate ${values.simulate} is not known: use one of ${SIMULATIONS.join(', ')}`);
    }
    // A strategy Switchyard cannot plan is refused here, before the emulator starts (Prepare refuses it in AWS).
    if (values.traffic !== undefined) checkTraffic(values.traffic);
    if (values.watch) return watch(values);
    // --json: plain lines on stderr; else on a terminal, a live region for the running stage (screen-live.ts).
    const screen = openScreen(values.json ? process.stderr : process.stdout, { live: !values.json });
    const print = (line: string) => screen.print(line);
    const controller = new AbortController();
    const resources: LocalRunResources = { external: false, keep: false };
    const dispose = onCtrlC({
      first: () => {
        // The deployment id is set just before the execution starts: from then on there is one to roll back.
        print(resources.deploymentId ? ROLLBACK_LINE : BEFORE_START_LINE);
        controller.abort();
      },
      second: () => {
        for (const line of forceStop(resources)) print(line);
        process.exit(INTERRUPTED_EXIT_CODE);
      },
    });
    try {
      const summary = await runLocal({
        ...runOptions(values),
        commit: values.commit,
        keep: values.keep,
        print,
        screen,
        signal: controller.signal,
        resources,
      });
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (controller.signal.aborted) return INTERRUPTED_EXIT_CODE;
      return summary.status === 'SUCCEEDED' || summary.status === 'SKIPPED' ? 0 : 1;
    } catch (error) {
      if (!(error instanceof InterruptedBeforeDeploying)) throw error;
      print(error.message);
      return INTERRUPTED_EXIT_CODE;
    } finally {
      screen.close();
      dispose();
      if (resources.server) keepUntilCtrlC(resources, print);
    }
  },
};

/** --watch: checked before anything starts, then run until Ctrl-C (cli/local/watch-run.ts). */
/** The flags of `switchyard local`, as parsed. */
interface LocalFlags {
  repo?: string;
  commit?: string;
  keep?: boolean;
  json?: boolean;
  traffic?: string;
  buildspec?: string;
  taskdef?: string;
  appspec?: string;
  image?: string[];
  'build-env'?: string;
  'inherit-env'?: boolean;
  trust?: boolean;
  simulate?: string;
  endpoint?: string;
  fresh?: boolean;
}

function watch(values: LocalFlags): Promise<number> {
  if (values.repo === undefined) {
    throw new Error(
      '--watch needs --repo PATH: the git repository whose branch it watches (commit there to deploy)',
    );
  }
  for (const flag of ['commit', 'keep', 'json'] as const) {
    if (values[flag] !== undefined) {
      const why = {
        commit:
          'it deploys each new head of the branch (switchyard deploy --commit SHA starts one of your choice)',
        keep: 'the emulator is kept while the watch runs',
        json: 'it runs many deployments, each printed as it goes',
      }[flag];
      throw new Error(`--${flag} does not go with --watch: ${why}`);
    }
  }
  return watchLocal({
    ...runOptions(values),
    repo: values.repo,
    print: (line) => process.stdout.write(`${line}\n`),
  });
}

/** What a single run and the watch take alike from the command line. */
function runOptions(values: LocalFlags) {
  return {
    repo: values.repo,
    traffic: values.traffic,
    buildspec: values.buildspec,
    taskdef: values.taskdef,
    appspec: values.appspec,
    images: values.image,
    ...(values['build-env'] ? { buildVariables: readBuildEnv(values['build-env']) } : {}),
    simulate: values.simulate as Simulation | undefined,
    endpoint: values.endpoint,
    fresh: values.fresh,
    trust: values.trust,
    inheritEnv: values['inherit-env'],
  };
}

/**
 * --keep: the emulator keeps serving while this process lives (it exits with it: parent_watchdog.py). A Ctrl-C
 * then stops it, and what it held goes with it.
 */
function keepUntilCtrlC(resources: LocalRunResources, print: (line: string) => void): void {
  const server = resources.server;
  if (!server) return;
  print('press Ctrl-C to stop the emulator (what it holds goes with it)');
  onCtrlC({
    first: () => {
      print(`stopping the emulator at ${server.endpoint} …`);
      void server.stop().then(() => process.exit(INTERRUPTED_EXIT_CODE));
    },
    second: () => {
      server.kill();
      process.exit(INTERRUPTED_EXIT_CODE);
    },
  });
}

/** `--traffic`: what Prepare and ShiftTraffic plan from TrafficStrategy; an error names the option and the fix. */
function checkTraffic(traffic: string): void {
  try {
    planTraffic(traffic);
  } catch (error) {
    throw new Error(`--traffic: ${error instanceof Error ? error.message : String(error)}`);
  }
}
