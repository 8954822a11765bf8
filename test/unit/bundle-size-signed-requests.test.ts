/**
 * Issue 13's budget for the functions that call S3, Lambda, ECS, ECR or DynamoDB with signed requests instead of
 * SDK clients (functions/lib/shared/signed-request.ts): each bundle, built as `sam build` builds it, stays within
 * 350,000 bytes and carries none of the SDK clients it no longer needs (an import of one, even for a type guard,
 * would bring the whole client back). The figures of every function: `npm run bench:bundles`.
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
  ReconcileFunction: ['@aws-sdk/client-lambda'],
};

describe('the bundles of the functions on signed requests', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-size-'));
  let built: BuiltFunction[] = [];

  beforeAll(async () => {
    built = await samBuild({ outDir, only: Object.keys(WITHOUT) });
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it.each(Object.keys(WITHOUT))('%s is at most 350,000 bytes', (id) => {
    const fn = built.find((f) => f.logicalId === id);
    expect({ id, over: (fn?.bytes ?? Number.POSITIVE_INFINITY) > MAX_BYTES }).toEqual({ id, over: false });
  });

  // Each client's package.json is bundled for its user agent: its name is in the bundle when the client is.
  const bundles = (id: string, name: string) =>
    new RegExp(`"?name"?:"${name}",`).test(
      readFileSync(built.find((f) => f.logicalId === id)?.bundle ?? '', 'utf8'),
    );

  it.each(Object.entries(WITHOUT))('%s bundles none of %j', (id, packages) => {
    expect(packages.filter((name) => bundles(id, name))).toEqual([]);
  });

  it('sees a client that is bundled (Reconcile still reads the branch with the CodeCommit client)', () => {
    expect(bundles('ReconcileFunction', '@aws-sdk/client-codecommit')).toBe(true);
  });
});
