/**
 * `switchyard invoke` and `switchyard build` as a person runs them (a subprocess of bin/switchyard.js), with SAM's
 * options: -t another template, -n/--env-vars in SAM's format, -e/--no-event, -b; a mistyped flag gets a
 * suggestion; `build` writes the built template `sam deploy` reads, which cfn-lint and the SAM translator accept.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { runSwitchyard } from '../support/cli';
import { ROOT, readTemplate, run } from '../support/sam-template';

/** A one-function application of its own: the handler returns its event and the variables it sees. */
const ECHO_TEMPLATE = `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Greeting:
    Type: String
    Default: hello
Globals:
  Function:
    Runtime: nodejs22.x
    Timeout: 10
    Environment:
      Variables:
        GREETING: !Ref Greeting
        STAGE: template
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Minify: false
        EntryPoints:
          - src/echo.ts
    Properties:
      CodeUri: .
      Handler: echo.handler
`;
const ECHO_HANDLER = `export const handler = async (event: unknown) => ({
  event,
  greeting: process.env.GREETING,
  stage: process.env.STAGE,
  undeclared: process.env.UNDECLARED ?? null,
});
`;

describe('switchyard invoke and build with SAM options', () => {
  let app: string;
  let template: string;
  const env = { ...process.env };
  const invoke = (...args: string[]) => runSwitchyard(['invoke', ...args], env);

  beforeAll(() => {
    app = mkdtempSync(join(tmpdir(), 'switchyard-echo-app-'));
    mkdirSync(join(app, 'src'));
    template = join(app, 'template.yaml');
    writeFileSync(template, ECHO_TEMPLATE);
    writeFileSync(join(app, 'src', 'echo.ts'), ECHO_HANDLER);
    writeFileSync(join(app, 'event.json'), JSON.stringify({ hello: 'world' }));
  });
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it.each(['invoke', 'build'])('%s --help shows an example', async (command) => {
    const out = await runSwitchyard([command, '--help'], env);
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(new RegExp(`\\nExample[^\\n]*:\\n {2}npx switchyard ${command}\\b`));
  });

  it('invokes a function of the template -t names, with the event -e gives', async () => {
    const out = await invoke('EchoFunction', '-t', template, '-e', join(app, 'event.json'));

    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      event: { hello: 'world' },
      greeting: 'hello',
      stage: 'template',
      undeclared: null,
    });
    expect(out.stderr).toMatch(/^START EchoFunction Version: \$LATEST$/m);
  });

  it('sets the --env-vars file’s variables as SAM does: the function’s own over Parameters, only declared ones', async () => {
    const file = join(app, 'env.json');
    writeFileSync(
      file,
      JSON.stringify({
        Parameters: { STAGE: 'every-function', GREETING: 'everyone', UNDECLARED: 'x' },
        EchoFunction: { GREETING: 'just-echo', UNDECLARED: 'y' },
      }),
    );

    const out = await invoke('EchoFunction', '--template', template, '--env-vars', file, '--no-event');

    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({
      event: {},
      greeting: 'just-echo',
      stage: 'every-function',
      undeclared: null,
    });
    // The template is named as it was given (-t): the one read, wherever it is.
    expect(out.stderr).toContain(
      `--env-vars: EchoFunction.UNDECLARED is not an environment variable of EchoFunction in ${template},`,
    );
  });

  it('invokes with {} without an event, and refuses --event with --no-event before invoking', async () => {
    const none = await invoke('EchoFunction', '-t', template);
    expect(JSON.parse(none.stdout)).toMatchObject({ event: {} });

    const both = await invoke('EchoFunction', '-t', template, '--no-event', '-e', join(app, 'event.json'));
    expect(both.status).toBe(1);
    expect(both.stdout).toBe('');
    expect(both.stderr).toContain('--event and --no-event both given');
  });

  it('names a -t that does not exist', async () => {
    const out = await invoke('EchoFunction', '-t', join(app, 'nope.yaml'));
    expect(out.status).toBe(1);
    expect(out.stderr).toContain(`--template ${join(app, 'nope.yaml')}: no such file`);
  });

  it.each([
    ['Minify: "yes"', 'Metadata.BuildProperties.Minify is "yes": write true or false unquoted'],
    ['EntryPoints: [a.ts, b.ts]', 'Metadata.BuildProperties.EntryPoints must list one file'],
  ])(
    'names the -t template, not template.yaml, in a BuildProperties error (%s)',
    async (property, message) => {
      const other = join(app, 'other.yaml');
      writeFileSync(
        other,
        ECHO_TEMPLATE.replace('        Minify: false\n', '').replace(
          '        EntryPoints:\n          - src/echo.ts',
          property.startsWith('EntryPoints')
            ? `        ${property}`
            : `        ${property}\n        EntryPoints: [src/echo.ts]`,
        ),
      );
      const out = await invoke('EchoFunction', '-t', other, '--no-event');
      expect(out.status).toBe(1);
      expect(out.stderr).toContain(`${other}: EchoFunction ${message}`);
      expect(out.stderr).not.toContain('template.yaml');
    },
  );

  it.each([
    [
      ['invoke', 'EchoFunction', '--env-var', 'env.json'],
      'unknown option --env-var: did you mean --env-vars?',
    ],
    [['invoke', 'EchoFunction', '--evnet', 'e.json'], 'unknown option --evnet: did you mean --event?'],
    [['build', '--buld-dir', 'out'], 'unknown option --buld-dir: did you mean --build-dir?'],
    [['build', '--templat', 'x.yaml'], 'unknown option --templat: did you mean --template?'],
  ])('%j gets a suggestion and does nothing', async (args, message) => {
    const out = await runSwitchyard(args, env);
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(message);
  });

  it('build -t -b writes the bundle and a built template whose CodeUri is the bundle’s folder', async () => {
    const out = join(app, 'build');
    const result = await runSwitchyard(['build', '-t', template, '-b', out], env);

    expect(result.status).toBe(0);
    const built = YAML.parse(readFileSync(join(out, 'template.yaml'), 'utf8'), { logLevel: 'error' });
    const echo = built.Resources.EchoFunction;
    expect(echo.Properties.CodeUri).toBe('EchoFunction');
    expect(existsSync(join(out, 'EchoFunction', 'echo.js'))).toBe(true);
    expect(echo.Metadata).toEqual({ SamResourceId: 'EchoFunction' });

    // sam local invoke -t .aws-sam/build/template.yaml runs the built bundle as it is.
    const invoked = await invoke(
      'EchoFunction',
      '-t',
      join(out, 'template.yaml'),
      '-e',
      join(app, 'event.json'),
    );
    expect(invoked.stderr).toContain(
      `Invoking echo.handler (EchoFunction, ${join(out, 'EchoFunction', 'echo.js')})`,
    );
    expect(JSON.parse(invoked.stdout)).toMatchObject({ event: { hello: 'world' }, greeting: 'hello' });
  });
});

describe('switchyard build of template.yaml', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'switchyard-sam-build-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes a built template that points at the bundles, and cfn-lint and the SAM translator accept', async () => {
    const result = await runSwitchyard(['build', '--build-dir', out], { ...process.env });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`built template: ${join(out, 'template.yaml')}`);

    const builtPath = join(out, 'template.yaml');
    const built = readTemplate('decode', builtPath);
    const source = readTemplate('decode');
    const functions = Object.entries(source.Resources).filter(
      ([, r]) => r.Type === 'AWS::Serverless::Function',
    );
    expect(functions.length).toBeGreaterThan(10);
    for (const [id, resource] of functions) {
      const handlerFile = String(resource.Properties.Handler).split('.')[0];
      const codeUri = built.Resources[id]?.Properties.CodeUri as string;
      expect([id, codeUri]).toEqual([id, id]);
      expect([id, existsSync(join(resolve(out, codeUri), `${handlerFile}.js`))]).toEqual([id, true]);
      expect(built.Resources[id]?.Metadata).toEqual({ SamResourceId: id });
    }
    // Every other local path still names the same file, now relative to the build folder.
    const definition = built.Resources.PipelineStateMachine?.Properties.DefinitionUri as string;
    expect(resolve(out, definition)).toBe(join(ROOT, 'statemachine', 'pipeline.asl.json'));
    // Nothing but those paths changed.
    const strip = (t: typeof source) =>
      JSON.stringify({
        ...t,
        Resources: Object.fromEntries(
          Object.entries(t.Resources).map(([id, r]) => {
            const { CodeUri: _c, DefinitionUri: _d, ...properties } = r.Properties;
            return [id, { ...r, Metadata: undefined, Properties: properties }];
          }),
        ),
      });
    expect(strip(built)).toBe(strip(source));

    const lint = run('cfn-lint', [builtPath]);
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
    const transformed = readTemplate('transform', builtPath);
    expect(transformed.Resources.PrepareFunction?.Type).toBe('AWS::Lambda::Function');
  });
});
