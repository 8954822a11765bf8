import { parseBuildspec } from '../../../../cli/build/buildspec';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';

const MINIMAL = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n';

/** The message parseBuildspec throws for `text` (the test fails when it does not throw). */
function errorOf(text: string): string {
  try {
    parseBuildspec(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return (error as Error).message;
  }
  throw new Error('parseBuildspec accepted the buildspec');
}

describe('parseBuildspec', () => {
  it('reads every supported field of a version 0.2 buildspec', () => {
    const { buildspec, warnings } = parseBuildspec(`version: 0.2
env:
  shell: bash
  variables:
    STAGE: prod
    REPLICAS: 3
    EMPTY:
  parameter-store:
    DB_PASSWORD: /ci/db/password
  secrets-manager:
    DOCKERHUB_USER: dockerhub:username
    DOCKERHUB_TOKEN: arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf:token:AWSPREVIOUS
  exported-variables:
    - IMAGE_URI
phases:
  install:
    on-failure: CONTINUE
    commands:
      - npm ci
  build:
    commands:
      - npm test
      - 42
    finally:
      - echo done
artifacts:
  files: '**/*'
  name: web-$(date +%Y)
  base-directory: dist
  discard-paths: yes
  exclude-paths:
    - '**/*.map'
  enable-symlinks: no
`);
    expect(warnings).toEqual([]);
    expect(buildspec).toEqual({
      shell: 'bash',
      variables: [
        { name: 'STAGE', value: 'prod' },
        { name: 'REPLICAS', value: '3' },
        { name: 'EMPTY', value: '' },
      ],
      parameterStore: [{ name: 'DB_PASSWORD', value: '/ci/db/password' }],
      secretsManager: [
        { name: 'DOCKERHUB_USER', value: 'dockerhub:username' },
        {
          name: 'DOCKERHUB_TOKEN',
          value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf:token:AWSPREVIOUS',
        },
      ],
      exportedVariables: ['IMAGE_URI'],
      phases: {
        install: { commands: ['npm ci'], finally: [], onFailure: 'CONTINUE' },
        build: { commands: ['npm test', '42'], finally: ['echo done'], onFailure: undefined },
      },
      artifacts: {
        files: ['**/*'],
        name: 'web-$(date +%Y)',
        baseDirectory: 'dist',
        discardPaths: true,
        excludePaths: ['**/*.map'],
        enableSymlinks: false,
      },
    });
  });

  it("leaves the shell to the runner's default, and has no variables and no artifacts", () => {
    expect(parseBuildspec(MINIMAL)).toEqual({
      buildspec: {
        shell: undefined,
        variables: [],
        parameterStore: [],
        secretsManager: [],
        exportedVariables: [],
        phases: { build: { commands: ['make'], finally: [], onFailure: undefined } },
        artifacts: undefined,
      },
      warnings: [],
    });
  });

  it('accepts version as a string and /bin/sh as the shell', () => {
    const { buildspec } = parseBuildspec(`version: "0.2"\nenv:\n  shell: /bin/sh\n${MINIMAL.slice(13)}`);
    expect(buildspec.shell).toBe('sh');
  });

  it.each([
    [
      'not YAML',
      'version: 0.2\nphases:\n  build:\n    commands:\n  - make\n   - test\n',
      /^buildspec\.yml is not valid YAML \(line \d+, column \d+\): .*Check the indentation/,
    ],
    [
      'a list',
      '- make\n',
      /^buildspec\.yml must be a mapping with version, env, phases and artifacts, found a list$/,
    ],
    ['empty', '# nothing\n', /^buildspec\.yml is empty: it needs at least "version: 0.2"/],
    [
      'without version',
      'phases:\n  build:\n    commands: [make]\n',
      /^buildspec\.yml: version is missing; add "version: 0\.2"/,
    ],
    [
      'version 0.1',
      'version: 0.1\nphases:\n  build:\n    commands: [make]\n',
      /version \(line 1\) is 0\.1, which runs every command in a separate shell.*change it to "version: 0\.2"/,
    ],
    [
      'version 1',
      'version: 1\nphases:\n  build:\n    commands: [make]\n',
      /version \(line 1\) is 1; expected 0\.2/,
    ],
    ['without phases', 'version: 0.2\n', /^buildspec\.yml: phases is missing; add a phases mapping/],
    [
      'an unknown phase',
      'version: 0.2\nphases:\n  prebuild:\n    commands: [make]\n',
      /phases\.prebuild \(line 3\) is not a CodeBuild phase; use one of install, pre_build, build, post_build/,
    ],
    [
      'commands as a string',
      'version: 0.2\nphases:\n  build:\n    commands: make\n',
      /phases\.build\.commands \(line 4\) must be a list of commands, found the string "make"; write one command per line, each starting with "- "/,
    ],
    [
      'an unquoted colon in a command',
      'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - echo result: ok\n',
      /phases\.build\.commands\[1\] \(line 6\) must be a string, found a mapping; quote the command: a colon followed by a space/,
    ],
    [
      'an empty command',
      'version: 0.2\nphases:\n  build:\n    commands:\n      -\n',
      /phases\.build\.commands\[0\] \(line 5\) is empty/,
    ],
    [
      'finally as a mapping',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\n    finally:\n      a: b\n',
      /phases\.build\.finally \(line 5\) must be a list of commands, found a mapping/,
    ],
    [
      'a build phase without commands',
      'version: 0.2\nphases:\n  build:\n    finally: [make]\n',
      /phases\.build\.commands is missing; add a commands list under build/,
    ],
    [
      'an empty post_build phase',
      'version: 0.2\nphases:\n  post_build:\n',
      /phases\.post_build\.commands is missing/,
    ],
    [
      'an unknown on-failure',
      'version: 0.2\nphases:\n  build:\n    on-failure: IGNORE\n    commands: [make]\n',
      /phases\.build\.on-failure \(line 4\) is "IGNORE"; use ABORT or CONTINUE/,
    ],
    [
      'a Windows shell',
      'version: 0.2\nenv:\n  shell: powershell.exe\nphases:\n  build:\n    commands: [make]\n',
      /env\.shell \(line 3\) is "powershell\.exe"; the local runner has the Linux shells only; use "bash" or "\/bin\/sh"/,
    ],
    [
      'a variable holding a list',
      'version: 0.2\nenv:\n  variables:\n    A: [1]\nphases:\n  build:\n    commands: [make]\n',
      /env\.variables\.A \(line 4\) must be a single value/,
    ],
    [
      'a secrets-manager variable without a reference',
      'version: 0.2\nenv:\n  secrets-manager:\n    TOKEN:\nphases:\n  build:\n    commands: [make]\n',
      /env\.secrets-manager\.TOKEN \(line 4\) is empty; give the secret reference/,
    ],
    [
      'a parameter-store variable holding a mapping',
      'version: 0.2\nenv:\n  parameter-store:\n    TOKEN: {name: x}\nphases:\n  build:\n    commands: [make]\n',
      /env\.parameter-store\.TOKEN \(line 4\) must be a single value, found a mapping/,
    ],
    [
      'a batch build-list with no phases',
      'version: 0.2\nbatch:\n  build-list:\n    - identifier: web\n      buildspec: ci/web.yml\n',
      /^buildspec\.yml: batch \(line 2\) makes this a batch build \(batch\.build-list\) with no phases of its own: batch builds are not supported by the local build runner, which runs one build; instead, run one build whose phases build every image and write each image's imageDetail\.json/,
    ],
    [
      'a batch build-matrix with no phases',
      'version: 0.2\nbatch:\n  build-matrix:\n    static:\n      ignore-failure: false\n',
      /batch \(line 2\) makes this a batch build \(batch\.build-matrix\) with no phases of its own: batch builds are not supported/,
    ],
    [
      'artifacts without files',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  name: x\n',
      /artifacts\.files is missing; list the output locations/,
    ],
    [
      'discard-paths of maybe',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [a]\n  discard-paths: maybe\n',
      /artifacts\.discard-paths \(line 7\) is "maybe"; use yes or no/,
    ],
    [
      'duplicate keys',
      'version: 0.2\nphases:\n  build:\n    commands: [make]\n  build:\n    commands: [test]\n',
      /^buildspec\.yml is not valid YAML \(line 5, column 3\): Map keys must be unique/,
    ],
  ])('rejects a buildspec that is %s, naming the file, the field and the fix', (_case, text, expected) => {
    expect(errorOf(text)).toMatch(expected);
  });

  it('names the file it was given', () => {
    expect(() => parseBuildspec('version: 0.2\n', 'ci/buildspec-release.yml')).toThrow(
      /^ci\/buildspec-release\.yml: phases is missing/,
    );
  });

  const BUILD = 'phases:\n  build:\n    commands: [make]\n';
  it.each([
    [
      `version: 0.2\nrun-as: builder\n${BUILD}`,
      'run-as (line 2) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\nproxy:\n  logs: yes\n${BUILD}`,
      'proxy (line 2) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\nbatch:\n  fast-fail: true\n${BUILD}`,
      'batch (line 2) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\n${BUILD}reports:\n  unit:\n    files: [r.xml]\n`,
      'reports (line 5) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\n${BUILD}cache:\n  paths: [/root/.npm/**/*]\n`,
      'cache (line 5) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\nenv:\n  secrets-manager:\n    CODEBUILD_TOKEN: ci:token\n${BUILD}`,
      'env.secrets-manager.CODEBUILD_TOKEN (line 4) uses the CODEBUILD_ prefix that CodeBuild reserves, so it is not set',
    ],
    [
      `version: 0.2\nenv:\n  git-credential-helper: yes\n${BUILD}`,
      'env.git-credential-helper (line 3) is not supported by the local build runner: git uses the credentials of this machine',
    ],
    [
      `version: 0.2\nenv:\n  exported-variables: [AWS_REGION]\n${BUILD}`,
      'env.exported-variables[0] (line 3) "AWS_REGION" starts with AWS_, which CodeBuild never exports',
    ],
    [
      `version: 0.2\nenv:\n  variables:\n    CODEBUILD_X: 1\n${BUILD}`,
      'env.variables.CODEBUILD_X (line 4) uses the CODEBUILD_ prefix that CodeBuild reserves, so it is not set',
    ],
    [
      `version: 0.2\nenv:\n  variables:\n    MY-VAR: 1\n${BUILD}`,
      'env.variables.MY-VAR (line 4) is not a valid shell variable name (letters, digits and _), so it is not set',
    ],
    [
      `version: 0.2\nenv:\n  colour: blue\n${BUILD}`,
      'env.colour (line 3) is not a buildspec key here (known: shell, variables, exported-variables, parameter-store, secrets-manager, git-credential-helper) and is ignored',
    ],
    [
      `version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: 20\n`,
      'phases.install.runtime-versions (line 4) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\nphases:\n  build:\n    run-as: builder\n    commands: [make]\n`,
      'phases.build.run-as (line 4) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\nphases:\n  build:\n    on-failure: RETRY-3\n    commands: [make]\n`,
      'phases.build.on-failure (line 4) is RETRY-3: retries are not supported by the local build runner, so a failure follows the default transitions',
    ],
    [
      `version: 0.2\n${BUILD}artifacts:\n  files: [a]\n  s3-prefix: builds\n`,
      'artifacts.s3-prefix (line 7) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\n${BUILD}artifacts:\n  files: [a]\n  secondary-artifacts:\n    other:\n      files: [b]\n`,
      'artifacts.secondary-artifacts (line 7) is not supported by the local build runner and is ignored',
    ],
    [
      `version: 0.2\n${BUILD}artefacts:\n  files: [a]\n`,
      'artefacts (line 5) is not a buildspec key here (known: version, env, phases, artifacts, run-as, proxy, batch, reports, cache) and is ignored',
    ],
  ])('warns about what it does not support instead of ignoring it silently: %j', (text, warning) => {
    expect(parseBuildspec(text).warnings).toEqual([`buildspec.yml: ${warning}`]);
  });
});
