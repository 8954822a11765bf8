/**
 * The bundles: template.yaml's Metadata.BuildProperties are pinned (ES modules first, the credential providers Lambda
 * never loads left out), `switchyard build` turns them into the esbuild options `sam build` passes, and a bundle
 * holds neither a left-out provider nor code its function does not use. Sizes and timings: `npm run bench:bundles`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { esbuildOptions, samBuild } from '../../cli/local/sam-build';
import {
  type CfnValue,
  loadTemplate,
  type TemplateFunction,
  templateFunctions,
} from '../../cli/local/template';

const LEFT_OUT = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-http',
  '@smithy/credential-provider-imds',
];

const template = loadTemplate();
const functions = templateFunctions(template);

function withProperties(properties: Record<string, CfnValue>): TemplateFunction {
  const fn = functions[0] as TemplateFunction;
  return { ...fn, buildProperties: { EntryPoints: ['functions/prepare/handler.ts'], ...properties } };
}

function problem(properties: Record<string, CfnValue>): string {
  try {
    esbuildOptions(withProperties(properties), '/tmp/out');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`BuildProperties ${JSON.stringify(properties)} were accepted`);
}

describe('template.yaml BuildProperties', () => {
  it.each(functions.map((fn) => [fn.logicalId, fn]))('%s is built as every function is', (_id, fn) => {
    expect(fn.buildProperties).toEqual({
      Format: 'cjs',
      Minify: true,
      Target: 'es2022',
      Sourcemap: true,
      MainFields: 'module,main',
      External: LEFT_OUT,
      EntryPoints: [expect.stringMatching(/^functions\/[a-z-]+\/handler\.ts$/)],
    });
  });

  it('sets no variable that would send the SDK credential chain past the environment keys Lambda provides', () => {
    const globals = template.Globals?.Function?.Environment as { Variables?: Record<string, CfnValue> };
    const names = [
      ...Object.keys(globals?.Variables ?? {}),
      ...functions.flatMap((fn) => Object.keys(fn.environment)),
    ];
    const chainVariables = names.filter((name) =>
      /^AWS_(PROFILE|CONFIG_FILE|SHARED_CREDENTIALS_FILE|CONTAINER_|WEB_IDENTITY|ROLE_ARN|ACCESS_KEY_ID|SECRET)/.test(
        name,
      ),
    );
    expect(chainVariables).toEqual([]);
  });
});

describe('switchyard build: BuildProperties to esbuild as sam build passes them', () => {
  it.each(functions.map((fn) => [fn.logicalId, fn]))('%s gets the template’s options', (_id, fn) => {
    const options = esbuildOptions(fn, '/tmp/out');
    expect(options).toMatchObject({
      entryPoints: [fn.entryPoint],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: ['es2022'],
      minify: true,
      sourcemap: true,
      mainFields: ['module', 'main'],
      external: LEFT_OUT,
    });
  });

  it('applies SAM’s defaults when a property is absent: minified, es2020, no map, esbuild’s own main fields', () => {
    const options = esbuildOptions(withProperties({}), '/tmp/out');
    expect(options).toMatchObject({ format: 'cjs', minify: true, sourcemap: false, target: ['es2020'] });
    expect(options).not.toHaveProperty('mainFields');
    expect(options).not.toHaveProperty('external');
    expect(esbuildOptions(withProperties({ Minify: false }), '/tmp/out').minify).toBe(false);
  });

  it('splits MainFields and Target on commas as esbuild’s command line does', () => {
    const options = esbuildOptions(
      withProperties({ MainFields: 'module,main', Target: 'es2022,node22' }),
      '/out',
    );
    expect(options.mainFields).toEqual(['module', 'main']);
    expect(options.target).toEqual(['es2022', 'node22']);
  });

  it('refuses, naming the function, the property and the fix, what SAM would pass wrongly or ignore', () => {
    expect(problem({ MainFields: ['module', 'main'] })).toMatch(
      /template\.yaml: PrepareFunction Metadata\.BuildProperties\.MainFields .*comma-separated without spaces \(e\.g\. module,main\)/,
    );
    expect(problem({ MainFields: 'module, main' })).toMatch(/MainFields is "module, main".*without spaces/);
    expect(problem({ External: '@aws-sdk/credential-provider-sso' })).toMatch(
      /BuildProperties\.External must be a YAML list of module names/,
    );
    expect(problem({ Minify: 'true' })).toMatch(
      /BuildProperties\.Minify is "true": write true or false unquoted/,
    );
    expect(problem({ Sourcemap: 'yes' })).toMatch(/BuildProperties\.Sourcemap is "yes"/);
    expect(problem({ Mainfields: 'module,main' })).toMatch(
      /BuildProperties\.Mainfields is not a property SAM passes to esbuild .*fix its spelling or remove it/,
    );
    expect(problem({ Loader: ['.png=file'] })).toMatch(
      /BuildProperties\.Loader is not supported by switchyard build/,
    );
    expect(problem({ Format: 'iife' })).toMatch(/BuildProperties\.Format must be cjs or esm, not iife/);
  });
});

describe('the bundles', () => {
  let outDir: string;
  let bundles: Map<string, string>;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'switchyard-bundles-'));
    const built = await samBuild({ outDir, only: ['RunHooksFunction', 'ArchiveSourceFunction'] });
    bundles = new Map(built.map((fn) => [fn.logicalId, readFileSync(fn.bundle, 'utf8')]));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it.each([['RunHooksFunction'], ['ArchiveSourceFunction']])(
    '%s requires or imports at run time only Node’s modules, the optional CRT signer and the left-out providers',
    (id) => {
      const required = [...(bundles.get(id) ?? '').matchAll(/(?:require|import)\("([^"]+)"\)/g)].map(
        (m) => m[1] as string,
      );
      const outside = required.filter(
        (name) =>
          !name.startsWith('node:') && !builtinModules.includes(name) && name !== '@aws-sdk/signature-v4-crt',
      );
      expect(new Set(outside)).toEqual(new Set(LEFT_OUT));
    },
  );

  it('no bundle carries the SSO provider or its SSO client', () => {
    for (const [id, text] of bundles) {
      // The SSO provider's own messages and the SSO service's endpoint name are absent from the code.
      expect({ id, sso: /GetRoleCredentials|portal\.sso/.test(text) }).toEqual({ id, sso: false });
    }
  });

  it('RunHooks does not carry the YAML library (it needs only the AppSpec’s hook event names)', () => {
    const text = bundles.get('RunHooksFunction') ?? '';
    expect(text).toContain('AfterAllowTestTraffic');
    expect(text).not.toMatch(/YAMLMap|Implicit keys need to be on a single line/);
  });
});
