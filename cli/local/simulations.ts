/**
 * The misbehaviours `switchyard local --simulate` asks the emulator for, to watch a rollback (or a failed build):
 * a green that fails its health checks, the alarm going off once production reaches green, a failing build, a
 * failing hook. This module says what each one changes.
 */
import { type CloudWatchClient, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import type { BlueGreenFixture } from '../emulator/fixture';
import { scriptBuildOutcomes, setTargetHealth } from '../emulator/moto-controls';
import type { LocalHandler } from './lambda-runtime';
import { ALARM } from './local-target';

/** The misbehaviours `--simulate` can ask the emulator for. */
export const SIMULATIONS = ['unhealthy-green', 'alarm', 'build-failure', 'hook-failure'] as const;
export type Simulation = (typeof SIMULATIONS)[number];

/** Stack parameters a simulation needs before the stack is made. */
export function simulationParameters(simulation: Simulation | undefined): Record<string, string> {
  // A simulated unhealthy green fails after a few seconds instead of ten minutes.
  return simulation === 'unhealthy-green' ? { GreenHealthTimeoutMinutes: '0.05' } : {};
}

/** Whether the AppSpec's hook stand-ins answer Failed. */
export function failsHooks(simulation: Simulation | undefined): boolean {
  return simulation === 'hook-failure';
}

/** Sets the emulator up to misbehave; returns the functions whose handler the run replaces, if any. */
export async function simulate(
  simulation: Simulation | undefined,
  context: {
    endpoint: string;
    target: BlueGreenFixture;
    stack: { resources: Record<string, string> };
    cloudwatch: CloudWatchClient;
    print: (line: string) => void;
  },
): Promise<Record<string, LocalHandler> | undefined> {
  switch (simulation) {
    case undefined:
    case 'hook-failure':
      return undefined;
    case 'unhealthy-green':
      context.print(`simulating: every target of the green target group fails its health checks`);
      await setTargetHealth(context.endpoint, {
        targetGroupArn: context.target.targetGroups.green,
        state: 'unhealthy',
        reason: 'Target.FailedHealthChecks',
        description: 'Health checks failed with these codes: [502] (simulated)',
      });
      return undefined;
    case 'build-failure':
      context.print('simulating: the build fails in its BUILD phase');
      await scriptBuildOutcomes(context.endpoint, context.stack.resources.BuildProject as string, [
        {
          status: 'FAILED',
          inProgressPolls: 1,
          failedPhase: 'BUILD',
          phaseMessage:
            'COMMAND_EXECUTION_ERROR: Error while executing command: docker build. Reason: exit status 1 (simulated)',
        },
      ]);
      return undefined;
    case 'alarm': {
      context.print(`simulating: alarm ${ALARM} goes off once production traffic reaches green`);
      const { handler } = require('../../functions/shift-traffic/handler') as { handler: LocalHandler };
      const shiftThenAlarm: LocalHandler = async (event, lambdaContext) => {
        const out = await handler(event, lambdaContext);
        await context.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: ALARM,
            StateValue: 'ALARM',
            StateReason: 'Threshold crossed: 12 5XX responses (simulated)',
          }),
        );
        return out;
      };
      return { ShiftTrafficFunction: shiftThenAlarm };
    }
  }
}
