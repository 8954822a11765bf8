import { parseArgs } from 'node:util';
import { readBuildEnv } from '../local/build-env';
import { runLocal } from '../local/local-run';
import { SIMULATIONS, type Simulation } from '../local/simulations';
import type { Command } from './types';

/** `switchyard local`: a whole blue/green deployment on this machine, against the embedded emulator. */
export const local: Command = {
  summary: 'run a whole blue/green deployment on this machine, against the embedded AWS emulator',
  usage: `switchyard local [--repo PATH] [--commit SHA] [--traffic STRATEGY]
                 [--buildspec PATH] [--taskdef [build:]PATH] [--appspec [build:]PATH] [--image NAME=PATH]...
                 [--build-env FILE] [--inherit-env] [--trust] [--simulate ${SIMULATIONS.join('|')}]
                 [--endpoint URL] [--keep] [--fresh] [--json]

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
  --fresh            a service with no version serving yet: a first deployment
  --json             progress on stderr; the last line of stdout is one JSON summary

The build runs the repository's buildspec on this machine, as you (docs/LOCAL-BUILDS.md): before the first run of
each commit of a --repo, a notice names the repository and the buildspec (once; the run goes on, it never asks).
Ctrl-C aborts the deployment: it is rolled back as an aborted execution is, then the emulator stops.
Exit status 0 only when the deployment succeeded.`,
  run: async (args) => {
    const { values } = parseArgs({
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
        fresh: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    if (values.simulate !== undefined && !(SIMULATIONS as readonly string[]).includes(values.simulate)) {
      throw new Error(`--simulate ${values.simulate} is not known: use one of ${SIMULATIONS.join(', ')}`);
    }
    const print = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
    const controller = new AbortController();
    const interrupt = () => {
      print('interrupted: aborting the deployment (it is rolled back) …');
      controller.abort();
    };
    process.once('SIGINT', interrupt);
    try {
      const summary = await runLocal({
        repo: values.repo,
        commit: values.commit,
        traffic: values.traffic,
        buildspec: values.buildspec,
        taskdef: values.taskdef,
        appspec: values.appspec,
        images: values.image,
        ...(values['build-env'] ? { buildVariables: readBuildEnv(values['build-env']) } : {}),
        simulate: values.simulate as Simulation | undefined,
        endpoint: values.endpoint,
        keep: values.keep,
        fresh: values.fresh,
        trust: values.trust,
        inheritEnv: values['inherit-env'],
        print,
        signal: controller.signal,
      });
      if (values.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      return summary.status === 'SUCCEEDED' ? 0 : 1;
    } finally {
      process.removeListener('SIGINT', interrupt);
    }
  },
};
