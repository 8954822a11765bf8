/**
 * hooks/switchyard-codedeploy.js: a CodeDeploy client wrapped for Switchyard reports a Switchyard execution id's
 * status as a log line that RunHooks reads, answering as CodeDeploy would; everything else reaches the client.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportedStatuses } from '../../../functions/lib/deploy/hook-outcome';
import { client } from '../../../hooks/switchyard-codedeploy';
import { migrated, SAMPLE_V2, SAMPLE_V3 } from '../../support/codedeploy-hooks';

const ID = 'switchyard-0123456789abcdef0123456789abcdef';
const CODEDEPLOY_ID = 'eyJlbmNyeXB0ZWREYXRhIjoiZXhhbXBsZSJ9';
type Callback = (error: unknown, data?: unknown) => void;

/** An SDK v2 client's shape: a method per operation, taking params and a callback. */
class FakeV2 {
  calls: unknown[][] = [];
  region = 'us-east-1';
  putLifecycleEventHookExecutionStatus(params: unknown, callback?: Callback) {
    this.calls.push(['putLifecycleEventHookExecutionStatus', params]);
    callback?.(null, { from: 'aws' });
    return { promise: async () => ({ from: 'aws' }), sent: 'to aws' };
  }
  getDeployment(params: unknown) {
    this.calls.push(['getDeployment', params]);
    return { region: this.region };
  }
}

/** An SDK v3 client's shape: send(command), the command carrying its input. */
class FakeV3 {
  calls: unknown[] = [];
  async send(command: unknown, ...rest: unknown[]) {
    this.calls.push([command, ...rest]);
    return { from: 'aws' };
  }
}
const command = (input: Record<string, unknown>) => ({ input });

let written: string[];
beforeEach(() => {
  written = [];
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

describe('SDK v2: putLifecycleEventHookExecutionStatus', () => {
  it('for a Switchyard id, writes one status line and calls back as CodeDeploy answers, without AWS', async () => {
    const real = new FakeV2();
    const codedeploy = client(real);

    const data = await new Promise((resolve, reject) =>
      codedeploy.putLifecycleEventHookExecutionStatus(
        { deploymentId: 'sample-exec', lifecycleEventHookExecutionId: ID, status: 'Succeeded' },
        (error: unknown, answer: unknown) => (error ? reject(error) : resolve(answer)),
      ),
    );

    expect(data).toEqual({ lifecycleEventHookExecutionId: ID });
    expect(written).toEqual([
      `SWITCHYARD_HOOK_STATUS {"lifecycleEventHookExecutionId":"${ID}","status":"Succeeded"}\n`,
    ]);
    expect(real.calls).toEqual([]);
    expect(reportedStatuses(written.join(''), ID)).toEqual(['Succeeded']);
  });

  it('writes the line once when .promise() is called, as v2 sends the request then, and not before', async () => {
    const codedeploy = client(new FakeV2());

    const request = codedeploy.putLifecycleEventHookExecutionStatus({
      deploymentId: 'sample-exec',
      lifecycleEventHookExecutionId: ID,
      status: 'Failed',
    });
    expect(written).toEqual([]);
    await expect(request.promise()).resolves.toEqual({ lifecycleEventHookExecutionId: ID });
    await request.promise();

    expect(written).toHaveLength(1);
    expect(reportedStatuses(written.join(''), ID)).toEqual(['Failed']);
  });

  it('refuses a status CodeDeploy refuses, with its error name, and writes nothing', async () => {
    const codedeploy = client(new FakeV2());

    const error = await new Promise((resolve) =>
      codedeploy.putLifecycleEventHookExecutionStatus(
        { deploymentId: 'sample-exec', lifecycleEventHookExecutionId: ID, status: 'SUCCEEDED' },
        resolve,
      ),
    );

    expect(error).toMatchObject({
      name: 'InvalidLifecycleEventHookExecutionStatusException',
      message: expect.stringContaining('"SUCCEEDED" is not one a hook may report'),
    });
    expect(written).toEqual([]);
  });

  it("passes CodeDeploy's own ids and every other call to the client unchanged", () => {
    const real = new FakeV2();
    const codedeploy = client(real);
    const params = {
      deploymentId: 'd-ABCDEF123',
      lifecycleEventHookExecutionId: CODEDEPLOY_ID,
      status: 'Succeeded',
    };
    const callback = jest.fn();

    expect(codedeploy.putLifecycleEventHookExecutionStatus(params, callback)).toMatchObject({
      sent: 'to aws',
    });
    expect(callback).toHaveBeenCalledWith(null, { from: 'aws' });
    expect(codedeploy.getDeployment({ deploymentId: 'd-ABCDEF123' })).toEqual({ region: 'us-east-1' });
    expect(codedeploy.region).toBe('us-east-1');
    expect(real.calls).toEqual([
      ['putLifecycleEventHookExecutionStatus', params],
      ['getDeployment', { deploymentId: 'd-ABCDEF123' }],
    ]);
    expect(written).toEqual([]);
  });
});

describe('SDK v3: send(PutLifecycleEventHookExecutionStatusCommand)', () => {
  it('for a Switchyard id, writes one status line and resolves as CodeDeploy answers, without AWS', async () => {
    const real = new FakeV3();
    const codedeploy = client(real);

    const out = await codedeploy.send(
      command({ deploymentId: 'sample-exec', lifecycleEventHookExecutionId: ID, status: 'Succeeded' }),
    );

    expect(out).toEqual({ lifecycleEventHookExecutionId: ID, $metadata: { httpStatusCode: 200 } });
    expect(reportedStatuses(written.join(''), ID)).toEqual(['Succeeded']);
    expect(real.calls).toEqual([]);
  });

  it('rejects a status CodeDeploy refuses', async () => {
    const codedeploy = client(new FakeV3());

    await expect(
      codedeploy.send(
        command({ deploymentId: 'sample-exec', lifecycleEventHookExecutionId: ID, status: 'Done' }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidLifecycleEventHookExecutionStatusException' });
    expect(written).toEqual([]);
  });

  it('sends other ids and other commands to the client with their arguments', async () => {
    const real = new FakeV3();
    const codedeploy = client(real);
    const theirs = command({
      deploymentId: 'd-ABCDEF123',
      lifecycleEventHookExecutionId: CODEDEPLOY_ID,
      status: 'Failed',
    });
    const other = command({ deploymentId: 'd-ABCDEF123' });
    const options = { abortSignal: undefined };

    await expect(codedeploy.send(theirs)).resolves.toEqual({ from: 'aws' });
    await expect(codedeploy.send(other, options)).resolves.toEqual({ from: 'aws' });

    expect(real.calls).toEqual([[theirs], [other, options]]);
    expect(written).toEqual([]);
  });
});

describe('docs/HOOKS.md', () => {
  it('shows, for SDK v2 and v3, the one-line change the integration tests run', () => {
    const page = readFileSync(join(__dirname, '../../../docs/HOOKS.md'), 'utf8');
    const shown = [...page.matchAll(/^ *([-+])(const codedeploy = .*)$/gm)].map((m) => `${m[1]}${m[2]}`);
    const change = (source: string) => {
      const after = migrated(source).split('\n');
      return source
        .split('\n')
        .flatMap((line, at) => (line === after[at] ? [] : [`-${line}`, `+${after[at]}`]));
    };
    expect(shown).toEqual([...change(SAMPLE_V2), ...change(SAMPLE_V3)]);
  });
});
