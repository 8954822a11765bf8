import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { deployConfig } from '../../../functions/lib/deploy/deploy-config';
import { createGreen } from '../../../functions/lib/deploy/green';
import { DeploymentsTable } from '../../../functions/lib/record/deployments';
import { ECS } from '../../../functions/lib/shared/aws-json';
import { ConfigurationError } from '../../../functions/lib/shared/errors';
import { loadEvent } from '../../support/events';
import { fakeJsonService } from '../../support/fake-json-service';

const env = {
  CLUSTER_NAME: 'c',
  SERVICE_NAME: 's',
  PRODUCTION_LISTENER_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/lb/1/2',
  TARGET_GROUP_A_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/a/1',
  TARGET_GROUP_B_ARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/b/2',
  GREEN_HEALTH_TIMEOUT_MINUTES: 'ten',
};

describe('the deploy configuration', () => {
  const ecs = fakeJsonService(ECS);
  const elbv2 = mockClient(ElasticLoadBalancingV2Client);
  afterAll(() => {
    elbv2.restore();
  });

  it('does not stop Rollback, Finalize or CleanUp over a malformed green health timeout', () => {
    expect(() => deployConfig(env)).not.toThrow();
  });

  it('refuses it in CreateGreen, before any AWS call, naming the variable and the stack parameter', async () => {
    const input = loadEvent<Parameters<typeof createGreen>[0]>('create-green');
    const deps = {
      ecs: ecs.client,
      elbv2: new ElasticLoadBalancingV2Client({}),
      table: new DeploymentsTable(new DynamoDBClient({}), 'table'),
    };

    const attempt = createGreen(input, deployConfig(env), deps);

    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(/GREEN_HEALTH_TIMEOUT_MINUTES .* GreenHealthTimeoutMinutes/);
    expect(ecs.calls).toHaveLength(0);
    expect(elbv2.calls()).toHaveLength(0);
  });

  it('refuses two target groups that are one', () => {
    expect(() => deployConfig({ ...env, TARGET_GROUP_B_ARN: env.TARGET_GROUP_A_ARN })).toThrow(
      /both .*: blue\/green needs two target groups/,
    );
  });
});
