/**
 * What one deployment costs in orchestration on AWS (npm run bench:cost), per traffic strategy.
 *
 * Runs the real state machine with the real handlers against the emulator (as `switchyard local` does), the
 * waits compressed but the AWS timeline kept on a virtual clock (bench-cost-timeline.ts): the build takes
 * 5 minutes, green's targets turn healthy 90 s after CreateGreen, pauses and the bake are the template's defaults
 * (CheckPause counts the machine's own waits). The figures are what AWS would count for that path
 * (cli/local/aws-cost.ts): stdout gets one JSON line per strategy,
 * {"strategy","transitions","lambdaInvocations","historyEvents","costUsd"}; stderr the AWS-time duration.
 * Options: --strategy NAME (repeatable), --build-seconds N, --green-seconds N.
 */
import { parseArgs } from 'node:util';
import { credentialEnvironment } from '../cli/emulator/emulator-credentials';
import { startMoto } from '../cli/emulator/moto';
import { INSTANT_TIMINGS, resetMoto, setEmulatorTimings } from '../cli/emulator/moto-controls';
import { prepareTarget } from '../cli/local/local-target';
import { openRepository, pushEvent } from '../cli/local/repository';
import { startPipeline } from '../cli/local/state-machine';
import { gatedSampleApp, timeline } from './bench-cost-timeline';

const STRATEGIES = [
  'CodeDeployDefault.ECSAllAtOnce',
  'CodeDeployDefault.ECSCanary10Percent5Minutes',
  'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
];
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      strategy: { type: 'string', multiple: true },
      'build-seconds': { type: 'string', default: '300' },
      'green-seconds': { type: 'string', default: '90' },
    },
  });
  const strategies = values.strategy?.length ? values.strategy : STRATEGIES;
  const server = await startMoto({ timings: INSTANT_TIMINGS });
  const gated = gatedSampleApp();
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: server.endpoint,
      AWS_REGION: 'us-east-1',
      ...credentialEnvironment(server.credentials),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
    for (const strategy of strategies) {
      await resetMoto(server.endpoint);
      await setEmulatorTimings(server.endpoint, INSTANT_TIMINGS);
      gated.close();
      const repo = openRepository({ repo: gated.path });
      const { stack } = await prepareTarget(server.endpoint, repo, {
        strategy,
        parameters: {},
        serving: true,
        failHooks: false,
        print: log,
      });
      const clock = await timeline({
        endpoint: server.endpoint,
        greenTargetGroupArn: stack.target.targetGroups.green,
        buildSeconds: Number(values['build-seconds']),
        greenSeconds: Number(values['green-seconds']),
        openGate: gated.open,
      });
      const running = startPipeline({
        input: pushEvent(repo, stack.region, stack.accountId),
        stack,
        executionName: `bench-${Date.now().toString(36)}`,
        waitMs: () => 0,
        beforeTask: clock.beforeTask,
        onEvent: clock.onEvent,
      });
      const result = await running.result;
      if (result.status !== 'SUCCEEDED') {
        throw new Error(
          `${strategy}: the deployment ended ${result.status}: ${JSON.stringify(result.error)}`,
        );
      }
      log(
        `${strategy}: ${Math.round(clock.awsSeconds())} s of AWS time, ${result.durationMs} ms here; ${result.aws.lambdaGbSeconds} GB-s`,
      );
      if (process.env.BENCH_STATES) log(result.statesVisited.join(' '));
      const { transitions, lambdaInvocations, historyEvents, costUsd } = result.aws;
      process.stdout.write(
        `${JSON.stringify({ strategy, transitions, lambdaInvocations, historyEvents, costUsd })}\n`,
      );
    }
  } finally {
    gated.remove();
    await server.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
