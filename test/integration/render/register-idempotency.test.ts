/**
 * RegisterTaskDefinition answered with a 5xx after ECS applied it (a lost answer): the retry of the call, and a
 * retry of the whole state, must not leave a second ACTIVE revision. The fault comes from the emulator's fault
 * control (cli/emulator/emulator_faults.py), inside the call's retry loop: with `when: 'after'` the request reaches
 * moto, moto registers the revision, and the answer is replaced with a 500 InternalFailure. Seed 4 loses the
 * first RegisterTaskDefinition answer of the test and lets the next ones through (the draws depend only on the
 * seed). The clients retry as the SDK does by default (3 attempts, standard mode):
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import {
  ECSClient,
  ListTaskDefinitionsCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { type FaultRule, faultCounts, setFaults } from '../../../cli/emulator/moto-faults';
import { registerTaskDefinition } from '../../../functions/lib/render/register';
import { awsJson, ECS, type JsonClient, jsonClient } from '../../../functions/lib/shared/aws-json';
import { TransientAwsError } from '../../../functions/lib/shared/errors';
import { useMoto } from '../../support/moto';

const COMMIT = 'a'.repeat(40);
/** The SDK's default in production; the tests' environment sets AWS_MAX_ATTEMPTS=1 (test/support/setup-env.ts). */
const SDK_DEFAULT_ATTEMPTS = 3;
const SOURCE = { repository: 'switchyard-sample-app', branch: 'main', commit: COMMIT };

const INPUT: RegisterTaskDefinitionCommandInput = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    {
      name: 'web',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234',
      portMappings: [{ containerPort: 8080 }],
    },
  ],
};

/** A client of ECS that tries each call `attempts` times (the tests' environment sets AWS_MAX_ATTEMPTS=1). */
function ecsClient(attempts: number): JsonClient {
  const saved = process.env.AWS_MAX_ATTEMPTS;
  process.env.AWS_MAX_ATTEMPTS = String(attempts);
  try {
    return jsonClient(ECS);
  } finally {
    process.env.AWS_MAX_ATTEMPTS = saved;
  }
}

/** The first RegisterTaskDefinition fails with a 500, after moto applied it or before (seed 4, see above). */
const firstRegistrationFails = (when: FaultRule['when']) =>
  setFaults(
    moto.endpoint,
    [{ service: 'ecs', operations: ['RegisterTaskDefinition'], rate: 0.5, when, error: '500' }],
    4,
  );

/** What the fault did: the RegisterTaskDefinition requests that reached the emulator, and the answers it replaced. */
async function fault(): Promise<{ registrations: number; lost: number }> {
  const counts = await faultCounts(moto.endpoint);
  const registrations = counts.calls.find((c) => c.operation === 'RegisterTaskDefinition')?.count ?? 0;
  return { registrations, lost: counts.total };
}

const moto = useMoto();

describe('registerTaskDefinition when ECS applied a registration whose answer was lost', () => {
  afterEach(() => setFaults(moto.endpoint, []));
  const reader = new ECSClient({});
  const revisions = async (status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') =>
    (await reader.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', status }))).taskDefinitionArns ??
    [];

  it('the fault is real: a plain RegisterTaskDefinition retried leaves two revisions', async () => {
    await firstRegistrationFails('after');

    const out = await awsJson<{ taskDefinition?: { taskDefinitionArn?: string } }>(
      ecsClient(SDK_DEFAULT_ATTEMPTS),
      'ecs:RegisterTaskDefinition',
      INPUT,
    );

    expect(await fault()).toEqual({ registrations: 2, lost: 1 });
    expect(out.taskDefinition?.taskDefinitionArn).toMatch(/task-definition\/web:2$/);
    expect(await revisions()).toHaveLength(2);
  });

  it('leaves exactly one new revision when the retry follows a lost answer', async () => {
    await firstRegistrationFails('after');

    const result = await registerTaskDefinition(ecsClient(SDK_DEFAULT_ATTEMPTS), INPUT, SOURCE);

    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: false,
    });
    // The retry found the revision the lost attempt registered and did not register again.
    expect(await fault()).toEqual({ registrations: 1, lost: 1 });
    expect(await revisions()).toEqual([result.taskDefinitionArn]);
  });

  it('registers anew on a retry when the failed attempt had not been applied', async () => {
    await firstRegistrationFails('before');

    const result = await registerTaskDefinition(ecsClient(SDK_DEFAULT_ATTEMPTS), INPUT, SOURCE);

    expect(await fault()).toEqual({ registrations: 2, lost: 1 });
    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: false,
    });
    expect(await revisions()).toEqual([result.taskDefinitionArn]);
  });

  it('reuses on a retry of the state the revision registered by a run whose every answer was lost', async () => {
    // One attempt: the first answer is lost and the call is not retried, so the run fails as the state would.
    await firstRegistrationFails('after');
    const error = await registerTaskDefinition(ecsClient(1), INPUT, SOURCE).catch(
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TransientAwsError);
    expect((error as Error).message).toMatch(
      /^ECS RegisterTaskDefinition for task definition family "web" failed: InternalFailure/,
    );
    expect(await fault()).toEqual({ registrations: 1, lost: 1 });

    const retried = await registerTaskDefinition(ecsClient(1), INPUT, SOURCE);

    expect(retried).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: true,
    });
    expect(await revisions()).toEqual([retried.taskDefinitionArn]);
  });
});
