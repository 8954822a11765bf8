/**
 * The target side a local run left in a reused emulator (`--endpoint` naming a kept one, or a watch started on
 * it): read back instead of created again, as a stack update keeps the resources it already has. Creating it twice
 * fails in the emulator (a target group, a service of the same name), so the names the fixture gives
 * (cli/emulator/fixture.ts) are looked up, and the load balancer, its two listeners, the two target groups, the
 * cluster, the service and the task set serving now make the same BlueGreenFixture a fresh one would.
 */
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ParsedAppSpec } from '../../functions/lib/render/appspec';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import type { BlueGreenFixture } from '../emulator/fixture';

/**
 * The fixture named `name` already in the emulator, or undefined when there is none (its target group `<name>-a`
 * is not there: DescribeTargetGroups answers TargetGroupNotFound,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetGroups.html).
 */
export async function existingTarget(options: {
  name: string;
  region: string;
  containerName: string;
  containerPort: number;
}): Promise<BlueGreenFixture | undefined> {
  const { name, region } = options;
  const elbv2 = new ElasticLoadBalancingV2Client({ region });
  const ecs = new ECSClient({ region });
  try {
    const groups = await elbv2
      .send(new DescribeTargetGroupsCommand({ Names: [`${name}-a`, `${name}-b`] }))
      .catch((error: unknown) => {
        if (error instanceof Error && error.name === 'TargetGroupNotFoundException') return undefined;
        throw error;
      });
    if (!groups) return undefined;
    const arnOf = (suffix: string) =>
      groups.TargetGroups?.find((group) => group.TargetGroupName === `${name}-${suffix}`);
    const blue = arnOf('a');
    const green = arnOf('b');
    if (blue?.Port !== options.containerPort) {
      throw new InvalidInputError(
        `the emulator already holds a local target whose target groups serve port ${blue?.Port}, and this ` +
          `repository's AppSpec names port ${options.containerPort}: use a fresh emulator (leave out --endpoint)`,
      );
    }
    // The load balancer whose listeners forward to the group (a run stopped half-way may have left another).
    const loadBalancerArn = blue.LoadBalancerArns?.[0] ?? '';
    const { Listeners = [] } = loadBalancerArn
      ? await elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn }))
      : {};
    const listenerOn = (port: number) => Listeners.find((listener) => listener.Port === port)?.ListenerArn;
    const { services } = await ecs.send(
      new DescribeServicesCommand({ cluster: `${name}-cluster`, services: [`${name}-service`] }),
    );
    const service = services?.[0];
    const serving = service?.taskSets?.find((set) => set.status === 'PRIMARY');
    const container = serving?.loadBalancers?.[0]?.containerName;
    if (container !== undefined && container !== options.containerName) {
      throw new InvalidInputError(
        `the emulator already holds a local target for container ${container}, and this repository's AppSpec ` +
          `names ${options.containerName}: use a fresh emulator (leave out --endpoint)`,
      );
    }
    const networkConfiguration = serving?.networkConfiguration ?? service?.networkConfiguration ?? {};
    if (!listenerOn(80) || !listenerOn(8080) || !service?.serviceArn || !green?.TargetGroupArn) {
      throw new InvalidInputError(
        `the emulator holds part of a local target (${name}-a) but not all of it: use a fresh emulator (leave out --endpoint)`,
      );
    }
    return {
      region,
      clusterName: `${name}-cluster`,
      clusterArn: service.clusterArn as string,
      serviceName: service.serviceName as string,
      serviceArn: service.serviceArn,
      loadBalancerArn,
      listenerArn: listenerOn(80) as string,
      testListenerArn: listenerOn(8080) as string,
      targetGroups: { blue: blue.TargetGroupArn as string, green: green.TargetGroupArn },
      taskDefinitionArn: serving?.taskDefinition ?? '',
      containerName: options.containerName,
      containerPort: options.containerPort,
      blueTaskSetArn: serving?.taskSetArn ?? null,
      networkConfiguration,
      desiredCount: service.desiredCount ?? 2,
    };
  } finally {
    elbv2.destroy();
    ecs.destroy();
  }
}

/**
 * The AppSpec's hook stand-ins a run left in a reused emulator, removed so this run makes its own (they answer as
 * --simulate says): CreateFunction of an existing name is ResourceConflictException, and DeleteFunction of a
 * missing one ResourceNotFoundException (https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html).
 * The names are the ones local-target.ts gives: the function name of each hook's reference.
 */
export async function forgetHookStandIns(appspec: ParsedAppSpec): Promise<void> {
  const names = new Set(
    Object.values(appspec.hooks)
      .flat()
      .map((reference) => reference.split(':function:').pop()?.split(':')[0] ?? reference),
  );
  const lambda = new LambdaClient({});
  try {
    for (const name of names) {
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name })).catch((error: unknown) => {
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
      });
    }
  } finally {
    lambda.destroy();
  }
}
