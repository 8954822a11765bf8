/**
 * Which template `switchyard invoke` reads (the built one after `switchyard build`, as `sam local invoke` after
 * `sam build`; template.yaml when the built one is older; `-t` always), and that a build's BuildProperties errors
 * name the template actually read, not template.yaml.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILT_TEMPLATE, invokeTemplatePath, samBuild } from '../../../../cli/local/sam-build';

const TEMPLATE = (buildProperties: string) => `Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
${buildProperties}
    Properties:
      CodeUri: .
      Handler: echo.handler
`;

describe('the template switchyard invoke reads', () => {
  let root: string;
  let source: string;
  let built: string;
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'switchyard-invoke-template-'));
    source = join(root, 'template.yaml');
    built = join(root, BUILT_TEMPLATE);
    writeFileSync(source, TEMPLATE('        EntryPoints: [echo.ts]'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('is template.yaml when nothing was built', () => {
    expect(invokeTemplatePath(undefined, root)).toEqual({ path: source });
  });

  it('is the built template when switchyard build wrote it after template.yaml changed, and says so', () => {
    mkdirSync(join(root, '.aws-sam', 'build'), { recursive: true });
    writeFileSync(built, 'Resources: {}\n');
    at(source, 1_000_000);
    at(built, 1_000_100);

    const chosen = invokeTemplatePath(undefined, root);

    expect(chosen.path).toBe(built);
    expect(chosen.note).toMatch(
      /^using the built template .*\.aws-sam\/build\/template\.yaml \(newer than template\.yaml; -t template\.yaml invokes from source\)$/,
    );
  });

  it('is template.yaml when it changed after the build, and says why the built one is passed over', () => {
    mkdirSync(join(root, '.aws-sam', 'build'), { recursive: true });
    writeFileSync(built, 'Resources: {}\n');
    at(built, 1_000_000);
    at(source, 1_000_100);

    const chosen = invokeTemplatePath(undefined, root);

    expect(chosen.path).toBe(source);
    expect(chosen.note).toMatch(
      /is older than template\.yaml, so invoking from template\.yaml: run switchyard build again/,
    );
  });

  it('is the -t template whatever was built', () => {
    mkdirSync(join(root, '.aws-sam', 'build'), { recursive: true });
    writeFileSync(built, 'Resources: {}\n');
    const other = join(root, 'other.yaml');
    writeFileSync(other, TEMPLATE('        EntryPoints: [echo.ts]'));

    expect(invokeTemplatePath(other, root)).toEqual({ path: other });
  });
});

describe('BuildProperties errors of a template given with -t', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'switchyard-build-errors-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const buildOf = (properties: string) => {
    const template = join(root, 'other.yaml');
    writeFileSync(template, TEMPLATE(properties));
    return { template, build: samBuild({ template, outDir: join(root, 'out') }) };
  };

  it('name the file read in a property esbuild gets wrong', async () => {
    const { template, build } = buildOf('        EntryPoints: [echo.ts]\n        Minify: "yes"');
    await expect(build).rejects.toThrow(`${template}: EchoFunction Metadata.BuildProperties.Minify is "yes"`);
    await expect(build).rejects.not.toThrow(/template\.yaml/);
  });

  it('name the file read in an unknown property', async () => {
    const { template, build } = buildOf('        EntryPoints: [echo.ts]\n        Minfy: true');
    await expect(build).rejects.toThrow(
      `${template}: EchoFunction Metadata.BuildProperties.Minfy is not a property SAM passes`,
    );
  });

  it('name the file read when EntryPoints is not one file', async () => {
    const { template, build } = buildOf('        EntryPoints: [a.ts, b.ts]');
    await expect(build).rejects.toThrow(
      `${template}: EchoFunction Metadata.BuildProperties.EntryPoints must list one file`,
    );
  });

  it('name the template relative to the working folder when it is inside it', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { build } = buildOf('        EntryPoints: [echo.ts]\n        Sourcemap: 1');
      await expect(build).rejects.toThrow(
        /^other\.yaml: EchoFunction Metadata\.BuildProperties\.Sourcemap is 1/,
      );
    } finally {
      process.chdir(cwd);
    }
  });
});
