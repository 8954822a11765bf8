/**
 * The credential providers template.yaml leaves out of the bundles (BuildProperties.External) are never loaded in
 * Lambda: a bundle run from a directory where no node_modules can be found, with the environment Lambda gives a
 * function (its role's keys in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), signs and makes its
 * calls; without those keys the SDK's chain goes on to the left-out providers and the call fails, naming one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { invokeBundle, lambdaEnvironment } from '../../../../cli/local/invoke';
import { createLocalStack } from '../../../../cli/local/local-stack';
import { type LocalStack, localResolveContext } from '../../../../cli/local/pipeline-definition';
import { type BuiltFunction, samBuild } from '../../../../cli/local/sam-build';
import { loadTemplate, resolveValue } from '../../../../cli/local/template';
import { loadEvent } from '../../../support/events';
import { useMoto } from '../../../support/moto';

describe('a bundle without the left-out credential providers, run as Lambda runs it', () => {
  useMoto();
  const template = loadTemplate();
  let outDir: string;
  let fn: BuiltFunction;
  let stack: LocalStack;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'switchyard-externals-'));
    [fn] = (await samBuild({ outDir, only: ['AcquireLockFunction'] })) as [BuiltFunction];
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));
  beforeEach(async () => {
    stack = await createLocalStack({ target: { containerName: 'web', containerPort: 8080 } });
  });

  function invoke(overrides: Record<string, string | undefined>) {
    const functionName = `${stack.name}-AcquireLockFunction`;
    const env = lambdaEnvironment({
      functionName,
      memorySize: fn.function.memorySize,
      variables: resolveValue(fn.function.environment, localResolveContext(template, stack)) as Record<
        string,
        unknown
      >,
    });
    for (const [name, value] of Object.entries(overrides)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    return invokeBundle({
      bundle: fn.bundle,
      handlerExport: fn.handlerExport,
      functionName,
      event: loadEvent('acquire-lock'),
      timeoutSeconds: fn.function.timeoutSeconds,
      env,
    });
  }

  it('takes the lock with the credentials of the environment', async () => {
    const out = await invoke({ AWS_SESSION_TOKEN: 'role-session-token' });

    expect(out).toMatchObject({ ok: true, result: { status: 'ACQUIRED' } });
  });

  it('fails naming a left-out provider when the environment has no credentials (what Lambda never does)', async () => {
    const out = await invoke({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
    });

    expect(out.ok).toBe(false);
    expect(JSON.stringify(out)).toMatch(/Cannot find (module|package) '@aws-sdk\/credential-provider-ini'/);
  });
});
