/**
 * Issue 13's budget, kept with Powertools Logger and Metrics in every function (functions/lib/shared/log.ts,
 * metrics.ts): every bundle, built as `sam build` builds it, stays within 350,000 bytes, and the functions that call
 * a service with signed requests instead of its SDK client (functions/lib/shared/signed-request.ts) carry none of the
 * clients they no longer need (an import of one, even for a type guard, would bring the whole client back). The
 * figures of every function: `npm run bench:bundles`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BuiltFunction, samBuild } from '../../cli/local/sam-build';

const MAX_BYTES = 350_000;

/** The SDK packages each function must not bundle. */
const WITHOUT: Record<string, string[]> = {
  RenderTaskDefinitionFunction: [
    '@aws-sdk/client-s3',
    '@aws-sdk/client-ecs',
    '@aws-sdk/client-ecr',
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/lib-dynamodb',
  ],
  CheckBuildFunction: ['@aws-sdk/client-s3'],
  ArchiveSourceFunction: ['@aws-sdk/client-s3', '@aws-sdk/lib-storage'],
  ReconcileFunction: ['@aws-sdk/client-lambda', '@aws-sdk/client-codecommit', '@aws-sdk/client-sfn'],
  PrepareFunction: ['@aws-sdk/client-codecommit'],
  RunHooksFunction: ['@aws-sdk/client-lambda'],
  CleanUpFunction: ['@aws-sdk/client-codebuild', '@aws-sdk/client-ecs'],
  // The deploy stage's ECS calls: functions/lib/deploy/task-sets.ts.
  CreateGreenFunction: ['@aws-sdk/client-ecs'],
  CheckGreenFunction: ['@aws-sdk/client-ecs'],
  FinalizeFunction: ['@aws-sdk/client-ecs'],
  RollbackFunction: ['@aws-sdk/client-ecs'],
};

describe('the bundles of the functions on signed requests', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-size-'));
  let built: BuiltFunction[] = [];

  beforeAll(async () => {
    built = await samBuild({ outDir });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('builds every function of the template, each at most 350,000 bytes', () => {
    expect(built.length).toBe(18);
    const over = built.filter((fn) => fn.bytes > MAX_BYTES).map((fn) => `${fn.logicalId} ${fn.bytes}`);
    expect(over).toEqual([]);
  });

  // Each client's package.json is bundled for its user agent: its name is in the bundle when the client is.
  const bundles = (id: string, name: string) =>
    new RegExp(`"?name"?:"${name}",`).test(
      readFileSync(built.find((f) => f.logicalId === id)?.bundle ?? '', 'utf8'),
    );

  it.each(Object.entries(WITHOUT))('%s bundles none of %j', (id, packages) => {
    expect(packages.filter((name) => bundles(id, name))).toEqual([]);
  });

  it('sees a client that is bundled (ArchiveSource still reads the tree with the CodeCommit client)', () => {
    expect(bundles('ArchiveSourceFunction', '@aws-sdk/client-codecommit')).toBe(true);
  });
});
