/**
 * Where the deploy stage deploys and with which clients: the stack's parameters as the deploy-stage handlers read
 * them from the environment (CreateGreen, Rollback, CleanUp), typed once, and the clients every deploy core gets.
 */
import type { NetworkConfiguration } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ConfigurationError } from '../shared/errors';
import type { EcsClient } from './task-sets';

/** Where the deploy stage deploys: the stack's parameters, typed. */
export interface DeployConfig {
  cluster: string;
  service: string;
  productionListenerArn: string;
  /** '' when the stack has no test listener. */
  testListenerArn: string;
  /** TARGET_GROUP_A_ARN and TARGET_GROUP_B_ARN; live and green swap each deployment. */
  targetGroups: readonly [string, string];
  greenHealthTimeoutMinutes: number;
  /** The network of a first deployment when the AppSpec gives none (stack parameters TaskSubnetIds, TaskSecurityGroupIds). */
  defaultNetworkConfiguration?: NetworkConfiguration;
}

/** The environment variables a DeployConfig is read from (TEST_LISTENER_ARN is optional and read apart). */
export const DEPLOY_ENV = [
  'CLUSTER_NAME',
  'SERVICE_NAME',
  'PRODUCTION_LISTENER_ARN',
  'TARGET_GROUP_A_ARN',
  'TARGET_GROUP_B_ARN',
  'GREEN_HEALTH_TIMEOUT_MINUTES',
] as const;

/** Clients of the deploy-stage cores; ECS as signed JSON requests (`jsonClient(ECS)`, shared/aws-json.ts). */
export interface DeployClients {
  ecs: EcsClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/** Builds the DeployConfig from the environment's values (as configFromEnv returns them); ConfigurationError names the bad one. */
export function deployConfig(
  env: Readonly<Record<(typeof DEPLOY_ENV)[number], string>>,
  testListenerArn = '',
): DeployConfig {
  // Checked where it is used (CreateGreen): a bad value must not stop Rollback, Finalize or CleanUp.
  const minutes = Number(env.GREEN_HEALTH_TIMEOUT_MINUTES);
  if (env.TARGET_GROUP_A_ARN === env.TARGET_GROUP_B_ARN) {
    throw new ConfigurationError(
      `TARGET_GROUP_A_ARN and TARGET_GROUP_B_ARN are both ${env.TARGET_GROUP_A_ARN}: blue/green needs two target groups`,
    );
  }
  return {
    cluster: env.CLUSTER_NAME,
    service: env.SERVICE_NAME,
    productionListenerArn: env.PRODUCTION_LISTENER_ARN,
    testListenerArn: testListenerArn.trim(),
    targetGroups: [env.TARGET_GROUP_A_ARN, env.TARGET_GROUP_B_ARN],
    greenHealthTimeoutMinutes: minutes,
    ...defaultNetwork(),
  };
}

/** TASK_SUBNET_IDS and TASK_SECURITY_GROUP_IDS (comma-separated, optional) as an awsvpc configuration. */
function defaultNetwork(): { defaultNetworkConfiguration?: NetworkConfiguration } {
  const list = (name: string) =>
    (process.env[name] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
  const subnets = list('TASK_SUBNET_IDS');
  if (subnets.length === 0) return {};
  const securityGroups = list('TASK_SECURITY_GROUP_IDS');
  return {
    defaultNetworkConfiguration: {
      awsvpcConfiguration: {
        subnets,
        ...(securityGroups.length ? { securityGroups } : {}),
        assignPublicIp: 'DISABLED',
      },
    },
  };
}
