/**
 * `switchyard local --watch`: the emulator and the local stack stay up, each new commit of the repository's branch
 * is deployed as a push would be (watch-heads.ts), and the stack is reachable by the other commands: `switchyard
 * deploy | status | history | promote | abort | rollback --stack <name>` with the printed environment, as against a
 * stack in AWS (watch-stack.ts registers it; watch-executions.ts runs what they start).
 *
 * Ctrl-C: while deployments run, the first press aborts each as `switchyard abort` does, waits for the rollbacks,
 * stops the emulator and exits 130; while idle it ends the watch and the emulator, exit status 0 (the normal way
 * to end a watch). A second press stops at once (forced-stop.ts), exit status 130.
 */
import { INHERIT_ENV_VARIABLE } from '../build/base-env';
import { emulatorCredentials } from '../emulator/emulator-credentials';
import { type MotoServer, startMoto } from '../emulator/moto';
import { buildNotice } from './build-notice';
import { INTERRUPTED_EXIT_CODE, InterruptedBeforeDeploying, onCtrlC } from './ctrl-c';
import { forceStop, type LocalRunResources } from './forced-stop';
import { keptEnvironment, type LocalRunOptions, prepareLocalTarget, useEmulator } from './local-run';
import { openRepository } from './repository';
import { simulate } from './simulations';
import { startExecutor, type WatchExecutor } from './watch-executions';
import { watchBranch } from './watch-heads';
import { registerLocalStack } from './watch-stack';

/** The line the watch prints once it is watching (tests wait for it). */
export const WATCHING = 'watching';

/** Options of a watch: a local run's, without the ones that name a single deployment. */
export type WatchOptions = Omit<LocalRunOptions, 'commit' | 'keep' | 'signal' | 'resources'> & {
  repo: string;
};

/** Runs the watch until Ctrl-C; returns the exit status. */
export async function watchLocal(options: WatchOptions): Promise<number> {
  const given = options.endpoint ? emulatorCredentials(options.endpoint) : undefined;
  const repo = openRepository(options);
  const resources: LocalRunResources = { external: options.endpoint !== undefined, keep: false };
  const { print } = options;
  let executor: WatchExecutor | undefined;
  let stopHeads: () => void = () => undefined;
  let interrupted = false;
  let settle: (code: number) => void = () => undefined;
  const ended = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const dispose = onCtrlC({
    first: () => {
      interrupted = true;
      stopHeads();
      executor?.close();
      const running = executor?.running() ?? [];
      if (running.length === 0) {
        print('stopping the watch and the emulator (no deployment was running) …');
        settle(0);
        return;
      }
      resources.deploymentId = running.join(', ');
      print(
        `interrupted: aborting ${running.join(', ')} as \`switchyard abort\` does (traffic back to blue, green ` +
          'removed, a running build stopped); press Ctrl-C again to stop at once without rolling back',
      );
      void executor?.abortAll().then(() => settle(INTERRUPTED_EXIT_CODE));
    },
    second: () => {
      for (const line of forceStop(resources)) print(line);
      process.exit(INTERRUPTED_EXIT_CODE);
    },
  });
  const stopIfInterrupted = () => {
    if (interrupted) throw new InterruptedBeforeDeploying();
  };
  let server: MotoServer | undefined;
  try {
    for (const note of repo.layout.notes) print(note);
    for (const line of buildNotice(repo, options)) print(line);
    // As a single run: the emulator's build executor inherits this from the emulator, which inherits it from here.
    if (options.inheritEnv) process.env[INHERIT_ENV_VARIABLE] = '1';
    else delete process.env[INHERIT_ENV_VARIABLE];
    if (!options.endpoint) {
      print('starting the AWS emulator (moto) …');
      server = await startMoto();
      resources.server = server;
    }
    const endpoint = options.endpoint ?? (server as MotoServer).endpoint;
    resources.endpoint = endpoint;
    stopIfInterrupted();
    const credentials = given ?? (server as MotoServer).credentials;
    useEmulator(endpoint, credentials);
    print(`emulator ready at ${endpoint}`);
    const strategy = options.traffic ?? 'CodeDeployDefault.ECSAllAtOnce';
    const { stack, cloudwatch } = await prepareLocalTarget(endpoint, repo, strategy, { ...options, print });
    const handlers = await simulate(options.simulate, {
      endpoint,
      target: stack.target,
      stack,
      cloudwatch,
      print,
    });
    const registered = await registerLocalStack(stack);
    stopIfInterrupted();
    print(
      `target: service ${stack.target.serviceName} (${options.fresh ? 'no version serving yet' : 'a version serving on target group A'}); strategy ${strategy}`,
    );
    for (const line of keptEnvironment(endpoint, credentials, stack.region)) print(line);
    print(
      `  then: switchyard status --stack ${registered.stackName} (and deploy, history, promote, abort, rollback, status --follow)`,
    );
    executor = startExecutor({
      stack,
      stateMachineArn: registered.stateMachineArn,
      repo,
      strategy,
      endpoint,
      handlers,
      print,
    });
    stopHeads = watchBranch({
      repo,
      stateMachineArn: registered.stateMachineArn,
      region: stack.region,
      accountId: stack.accountId,
      print,
    });
    print(
      `${WATCHING} ${repo.path} branch ${repo.branch} (head ${repo.commitId.slice(0, 7)}): each new commit is deployed; Ctrl-C stops`,
    );
    return await ended;
  } catch (error) {
    if (!(error instanceof InterruptedBeforeDeploying)) throw error;
    print(error.message);
    return INTERRUPTED_EXIT_CODE;
  } finally {
    stopHeads();
    executor?.close();
    dispose();
    if (server) {
      await server.stop();
      resources.server = undefined;
    }
  }
}
