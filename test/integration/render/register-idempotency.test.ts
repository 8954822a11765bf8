/**
 * RegisterTaskDefinition answered with a 5xx after ECS applied it (a lost answer): the SDK's retry, and a retry of
 * the whole state, must not leave a second ACTIVE revision. The fault is injected into the client's middleware
 * stack, inside the SDK's retry loop: the request reaches moto, moto registers the revision, and the answer is
 * replaced with the 500 ECS's ServerException comes as. The clients here retry as the SDK does by default (3
 * attempts, standard mode): https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import {
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-ecs';
import type { DeserializeMiddleware } from '@smithy/types';
import { registerTaskDefinition } from '../../../functions/lib/render/register';
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

/** What the fault did: the RegisterTaskDefinition requests that reached moto, and the answers it replaced. */
interface Fault {
  registrations: number;
  lost: number;
}

/**
 * A client whose first `lose` RegisterTaskDefinition answers are replaced, after moto applied the call, with
 * ECS's ServerException (HTTP 500), which the SDK's standard retry strategy retries. Placed below the SDK's
 * deserializer, so the SDK sees an HTTP 500 exactly as ECS sends one.
 */
function clientLosingAnswers(
  lose: number,
  maxAttempts = SDK_DEFAULT_ATTEMPTS,
): { ecs: ECSClient; fault: Fault } {
  const ecs = new ECSClient({ maxAttempts });
  const fault: Fault = { registrations: 0, lost: 0 };
  const loseAnswer: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> =
    (next, context) => async (args) => {
      if (context.commandName !== 'RegisterTaskDefinitionCommand') return next(args);
      const result = await next(args);
      fault.registrations += 1;
      if (fault.lost >= lose) return result;
      fault.lost += 1;
      const body = (result.response as { body?: AsyncIterable<unknown> }).body;
      if (body) for await (const _chunk of body); // drain moto's real answer: the connection is reused
      const response = {
        statusCode: 500,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `lost-${fault.lost}` },
        body: new TextEncoder().encode(
          JSON.stringify({ __type: 'ServerException', message: 'We encountered an internal error.' }),
        ),
      };
      return { ...result, response };
    };
  ecs.middlewareStack.add(loseAnswer, { step: 'deserialize', priority: 'low', name: 'loseRegisterAnswer' });
  return { ecs, fault };
}

describe('registerTaskDefinition when ECS applied a registration whose answer was lost', () => {
  useMoto();
  const reader = new ECSClient({});
  const revisions = async (status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') =>
    (await reader.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', status }))).taskDefinitionArns ??
    [];

  it('the fault is real: a plain RegisterTaskDefinition retried by the SDK leaves two revisions', async () => {
    const { ecs, fault } = clientLosingAnswers(1);

    const out = await ecs.send(new RegisterTaskDefinitionCommand(INPUT));

    expect(fault).toEqual({ registrations: 2, lost: 1 });
    expect(out.$metadata.attempts).toBe(2);
    expect(out.taskDefinition?.taskDefinitionArn).toMatch(/task-definition\/web:2$/);
    expect(await revisions()).toHaveLength(2);
  });

  it("leaves exactly one new revision when the SDK's retry follows a lost answer", async () => {
    const { ecs, fault } = clientLosingAnswers(1);

    const result = await registerTaskDefinition(ecs, INPUT, SOURCE);

    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: false,
    });
    // The retry found the revision the lost attempt registered and did not register again.
    expect(fault).toEqual({ registrations: 1, lost: 1 });
    expect(await revisions()).toEqual([result.taskDefinitionArn]);
  });

  it('registers anew on a retry when the failed attempt had not been applied', async () => {
    const ecs = new ECSClient({ maxAttempts: SDK_DEFAULT_ATTEMPTS });
    let refused = 0;
    const refuseFirst: DeserializeMiddleware<ServiceInputTypes, ServiceOutputTypes> =
      (next, context) => async (args) => {
        if (context.commandName === 'RegisterTaskDefinitionCommand' && refused === 0) {
          refused += 1;
          const error = Object.assign(new Error('We encountered an internal error.'), {
            name: 'ServerException',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
          });
          throw error; // before the request is sent: nothing registered
        }
        return next(args);
      };
    ecs.middlewareStack.add(refuseFirst, { step: 'deserialize', priority: 'low', name: 'refuseFirst' });

    const result = await registerTaskDefinition(ecs, INPUT, SOURCE);

    expect(refused).toBe(1);
    expect(result).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: false,
    });
    expect(await revisions()).toEqual([result.taskDefinitionArn]);
  });

  it('reuses on a retry of the state the revision registered by a run whose every answer was lost', async () => {
    // maxAttempts 1: the first answer is lost and the SDK does not retry, so the run fails as the state would.
    const { ecs: failing, fault } = clientLosingAnswers(1, 1);
    const error = await registerTaskDefinition(failing, INPUT, SOURCE).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(TransientAwsError);
    expect((error as Error).message).toMatch(
      /^ECS RegisterTaskDefinition for task definition family "web" failed: ServerException/,
    );
    expect(fault).toEqual({ registrations: 1, lost: 1 });

    const retried = await registerTaskDefinition(new ECSClient({}), INPUT, SOURCE);

    expect(retried).toEqual({
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      reused: true,
    });
    expect(await revisions()).toEqual([retried.taskDefinitionArn]);
  });
});
