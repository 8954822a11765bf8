/**
 * The functions' log (functions/lib/shared/log.ts) through the handler wrapper every function uses: each line is one
 * JSON object carrying the deployment's keys, an invocation does not inherit the previous one's keys, Prepare's
 * lines carry them from the moment it has made the deployment, and what a handler throws is logged once, at the
 * level that says whether the machine retries it.
 */
import { InvalidInputError, TransientAwsError } from '../../../functions/lib/shared/errors';
import { lambdaHandler } from '../../../functions/lib/shared/handler';
import { deploymentKeysOf, logDeployment, logger } from '../../../functions/lib/shared/log';

const DEPLOYMENT = {
  id: 'd-1',
  repository: 'app',
  branch: 'main',
  commitId: 'a'.repeat(40),
  trigger: 'push',
  force: false,
  executionId: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:e-1',
  startedAt: '2026-12-05T10:00:00.000Z',
};

/** The JSON lines written to stdout and stderr while `run` runs. */
async function linesOf(run: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await run().catch(() => undefined);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the functions log', () => {
  it('reads the keys from a state input, and from Prepare input before it has a deployment', () => {
    expect(deploymentKeysOf({ deployment: DEPLOYMENT, green: {} })).toEqual({
      deploymentId: 'd-1',
      commitId: DEPLOYMENT.commitId,
      executionId: DEPLOYMENT.executionId,
    });
    expect(deploymentKeysOf({ input: {}, execution: { id: 'arn:exec' } })).toEqual({
      executionId: 'arn:exec',
    });
    expect(deploymentKeysOf({ detail: { alarmName: 'x' } })).toEqual({});
    expect(deploymentKeysOf(null)).toEqual({});
    expect(deploymentKeysOf({ deployment: { id: 7, commitId: '' } })).toEqual({});
  });

  it('puts the deployment keys and the Lambda context on every line, and drops them for the next invocation', async () => {
    const handler = lambdaHandler(async (event: { say: string }) => {
      logger.info(event.say, { extra: 1 });
      logger.warn('and more');
    });
    const context = { awsRequestId: 'req-1', functionName: 'fn', memoryLimitInMB: '512' };
    const first = await linesOf(() => handler({ deployment: DEPLOYMENT, say: 'hello' } as never, context));
    expect(first).toHaveLength(2);
    for (const line of first) {
      expect(line).toMatchObject({
        deploymentId: 'd-1',
        commitId: DEPLOYMENT.commitId,
        executionId: DEPLOYMENT.executionId,
        function_request_id: 'req-1',
        function_name: 'fn',
      });
    }
    expect(first[0]).toMatchObject({ level: 'INFO', message: 'hello', extra: 1 });
    expect(first[1]).toMatchObject({ level: 'WARN', message: 'and more' });

    expect(first[0]).toMatchObject({ cold_start: true, function_memory_size: '512' });

    const second = await linesOf(() => handler({ say: 'no deployment here' } as never));
    expect(second).toHaveLength(2);
    expect(second[0]).toMatchObject({ message: 'no deployment here' });
    for (const line of second) {
      expect(line).not.toHaveProperty('deploymentId');
      expect(line).not.toHaveProperty('commitId');
      // Called without a context (as the tests and a bare local call do): no other invocation's function is named.
      expect(line).not.toHaveProperty('function_name');
      expect(line).not.toHaveProperty('function_request_id');
    }
    const third = await linesOf(() =>
      handler({ say: 'again' } as never, { ...context, awsRequestId: 'req-3' }),
    );
    expect(third[0]).toMatchObject({ function_request_id: 'req-3', cold_start: false });
  });

  it('adds the keys Prepare learns once it has made the deployment', async () => {
    const handler = lambdaHandler(async () => {
      logger.info('understanding the input');
      logDeployment(DEPLOYMENT);
      logger.info('deploying');
    });
    const lines = await linesOf(() =>
      handler({ input: {}, execution: { id: DEPLOYMENT.executionId } } as never),
    );
    expect(lines[0]).toMatchObject({ executionId: DEPLOYMENT.executionId });
    expect(lines[0]).not.toHaveProperty('deploymentId');
    expect(lines[1]).toMatchObject({ deploymentId: 'd-1', commitId: DEPLOYMENT.commitId });
  });

  it('logs a thrown error once: an error when it ends the deployment, a warning when the machine retries it', async () => {
    const failing = (error: Error) =>
      lambdaHandler(async () => {
        throw error;
      });
    const fatal = await linesOf(() =>
      failing(new InvalidInputError('events/x.json: field "green" is missing'))({ deployment: DEPLOYMENT }),
    );
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({
      level: 'ERROR',
      message: 'InvalidInputError: events/x.json: field "green" is missing',
      deploymentId: 'd-1',
      error: { name: 'InvalidInputError' },
    });

    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const retried = await linesOf(() => failing(throttled)({ deployment: DEPLOYMENT }));
    expect(retried).toHaveLength(1);
    expect(retried[0]).toMatchObject({
      level: 'WARN',
      deploymentId: 'd-1',
      error: { name: 'TransientAwsError' },
    });
    expect(String(retried[0]?.message)).toMatch(/^TransientAwsError, to be retried: .*Rate exceeded/);

    const own = await linesOf(() =>
      failing(new TransientAwsError('GetItem throttled'))({ deployment: DEPLOYMENT }),
    );
    expect(own[0]).toMatchObject({ level: 'WARN' });
  });
});
