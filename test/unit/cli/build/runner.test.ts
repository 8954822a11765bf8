import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { stringify } from 'yaml';
import {
  type ArtifactsSettings,
  artifactKey,
  type BuildRunResult,
  type RunBuildOptions,
  runBuild,
} from '../../../../cli/build/runner';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';
import { type ZipEntry, ZipWriter, type ZipWriterOptions } from '../../../../functions/lib/zip/write';
import { readZip } from '../../../support/zip-reader';

const s3Mock = mockClient(S3Client);
const BUILD_ID = 'web-build:0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10';
const ARTIFACTS: ArtifactsSettings = {
  bucket: 'artifacts',
  path: 'build',
  namespaceType: 'BUILD_ID',
  name: 'build.zip',
  packaging: 'ZIP',
};
const temporary: string[] = [];

type SourceFile = string | { content: string; mode: number } | { symlink: string };

function sourceDir(files: Record<string, SourceFile>): string {
  const dir = mkdtempSync(join(tmpdir(), 'build-runner-src-'));
  temporary.push(dir);
  for (const [path, file] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof file === 'string') writeFileSync(full, file);
    else if ('symlink' in file) symlinkSync(file.symlink, full);
    else writeFileSync(full, file.content, { mode: file.mode });
  }
  return dir;
}

/** Runs `buildspec` (an object, written as YAML, or YAML text) over a source directory of `files`. */
async function build(
  buildspec: object | string,
  { files = {}, ...options }: Partial<RunBuildOptions> & { files?: Record<string, SourceFile> } = {},
) {
  const text = typeof buildspec === 'string' ? buildspec : stringify(buildspec);
  const lines: string[] = [];
  const result = await runBuild({
    projectName: 'web-build',
    buildId: BUILD_ID,
    source: { directory: sourceDir({ 'buildspec.yml': text, ...files }) },
    baseEnv: { PATH: process.env.PATH },
    onLog: (line) => lines.push(line),
    ...options,
  });
  temporary.push(result.workDir);
  return { result, lines, output: lines.filter((line) => !line.startsWith('[Container]')) };
}

/** Phase types in order, with the status when it is not SUCCEEDED. */
const phaseList = (result: BuildRunResult) =>
  result.phases.map((p) =>
    p.phaseStatus && p.phaseStatus !== 'SUCCEEDED' ? `${p.phaseType}:${p.phaseStatus}` : p.phaseType,
  );
const phase = (result: BuildRunResult, type: string) => result.phases.find((p) => p.phaseType === type);
const BEFORE = ['SUBMITTED', 'QUEUED', 'PROVISIONING', 'DOWNLOAD_SOURCE'];
const uploads = () =>
  s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input as PutObjectCommandInput);

/** False once the process is gone or a zombie waiting for its reaper. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
});

afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

describe('runBuild', () => {
  it('runs the phases in CodeBuild order and logs them as CodeBuild does', async () => {
    const { result, lines, output } = await build({
      version: 0.2,
      phases: {
        post_build: { commands: ['echo post'] },
        build: { commands: ['echo build'] },
        install: { commands: ['echo install'] },
        pre_build: { commands: ['echo pre'] },
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(phaseList(result)).toEqual([
      ...BEFORE,
      'INSTALL',
      'PRE_BUILD',
      'BUILD',
      'POST_BUILD',
      'UPLOAD_ARTIFACTS',
      'FINALIZING',
      'COMPLETED',
    ]);
    expect(output).toEqual(['install', 'pre', 'build', 'post']);
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[Container\] \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d\.\d{6} Entering phase BUILD$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^\[Container\] .* Running command echo build$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[Container\] .* Phase complete: BUILD State: SUCCEEDED$/),
    );
    expect(phase(result, 'BUILD')).toEqual({
      phaseType: 'BUILD',
      phaseStatus: 'SUCCEEDED',
      startTime: expect.any(Date),
      endTime: expect.any(Date),
      durationInSeconds: expect.any(Number),
      contexts: [{ statusCode: '', message: '' }],
    });
    expect(result.phases.at(-1)).toEqual({ phaseType: 'COMPLETED', startTime: expect.any(Date) });
  });

  it('runs finally and post_build after a failed build phase, with CODEBUILD_BUILD_SUCCEEDING=0', async () => {
    const { result, lines, output } = await build(
      {
        version: 0.2,
        phases: {
          install: { commands: ['export PATH="$CODEBUILD_SRC_DIR/bin:$PATH"'] },
          build: {
            commands: ['echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING"', 'make', 'echo never'],
            finally: ['echo "finally succeeding=$CODEBUILD_BUILD_SUCCEEDING"'],
          },
          post_build: { commands: ['echo "post succeeding=$CODEBUILD_BUILD_SUCCEEDING"'] },
        },
      },
      {
        files: {
          'bin/make': { content: '#!/bin/sh\necho "make: *** [all] Error 2" >&2\nexit 2\n', mode: 0o755 },
        },
      },
    );
    expect(result.status).toBe('FAILED');
    expect(phaseList(result)).toEqual([
      ...BEFORE,
      'INSTALL',
      'PRE_BUILD',
      'BUILD:FAILED',
      'POST_BUILD',
      'UPLOAD_ARTIFACTS',
      'FINALIZING',
      'COMPLETED',
    ]);
    expect(output).toEqual([
      'succeeding=1',
      'make: *** [all] Error 2',
      'finally succeeding=0',
      'post succeeding=0',
    ]);
    const context = {
      statusCode: 'COMMAND_EXECUTION_ERROR',
      message: 'Error while executing command: make. Reason: exit status 2',
    };
    expect(phase(result, 'BUILD')?.contexts).toEqual([context]);
    expect(lines).toContainEqual(
      expect.stringMatching(/ Command did not exit successfully make exit status 2$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/ Phase complete: BUILD State: FAILED$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        / Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: make\. Reason: exit status 2$/,
      ),
    );
  });

  it.each([
    ['install fails', { install: 'false' }, ['INSTALL:FAILED', 'FINALIZING']],
    ['pre_build fails', { pre_build: 'false' }, ['INSTALL', 'PRE_BUILD:FAILED', 'FINALIZING']],
    [
      'build fails',
      { build: 'false' },
      ['INSTALL', 'PRE_BUILD', 'BUILD:FAILED', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'],
    ],
    [
      'post_build fails',
      { post_build: 'false' },
      ['INSTALL', 'PRE_BUILD', 'BUILD', 'POST_BUILD:FAILED', 'UPLOAD_ARTIFACTS', 'FINALIZING'],
    ],
    [
      'install fails with on-failure CONTINUE',
      { install: 'false', installOnFailure: 'CONTINUE' },
      ['INSTALL:FAILED', 'PRE_BUILD', 'BUILD', 'POST_BUILD', 'UPLOAD_ARTIFACTS', 'FINALIZING'],
    ],
    [
      'build fails with on-failure ABORT',
      { build: 'false', buildOnFailure: 'ABORT' },
      ['INSTALL', 'PRE_BUILD', 'BUILD:FAILED', 'FINALIZING'],
    ],
  ])('follows CodeBuild transitions when %s', async (_case, failing, expected) => {
    const phases = Object.fromEntries(
      (['install', 'pre_build', 'build', 'post_build'] as const).map((name) => [
        name,
        {
          ...(`${name}OnFailure` in failing
            ? { 'on-failure': (failing as Record<string, string>)[`${name}OnFailure`] }
            : {}),
          commands: [(failing as Record<string, string>)[name] ?? 'true', `echo ran ${name}`],
        },
      ]),
    );
    const { result } = await build({ version: 0.2, phases });
    expect(result.status).toBe('FAILED');
    expect(phaseList(result)).toEqual([...BEFORE, ...expected, 'COMPLETED']);
  });

  it('aborts after a failed install without running later phases, but runs its finally', async () => {
    const { result, output } = await build({
      version: 0.2,
      phases: {
        install: { commands: ['echo installing', 'exit 7', 'echo never'], finally: ['echo cleanup'] },
        build: { commands: ['echo build'] },
      },
    });
    expect(output).toEqual(['installing', 'cleanup']);
    expect(phase(result, 'INSTALL')?.contexts).toEqual([
      {
        statusCode: 'COMMAND_EXECUTION_ERROR',
        message: 'Error while executing command: exit 7. Reason: exit status 7',
      },
    ]);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('sees CODEBUILD_BUILD_SUCCEEDING=0 in the phases after a failure that CONTINUE lets through', async () => {
    const { output } = await build({
      version: 0.2,
      phases: {
        install: { 'on-failure': 'CONTINUE', commands: ['false'] },
        build: { commands: ['echo "build sees $CODEBUILD_BUILD_SUCCEEDING"'] },
      },
    });
    expect(output).toEqual(['build sees 0']);
  });

  it('keeps one shell session: cd, assignments, exports and unsets carry over commands and phases', async () => {
    const { result, output } = await build(
      {
        version: 0.2,
        phases: {
          install: {
            commands: [
              'cd app',
              'TAG=v1',
              'export REGISTRY=local',
              'export DROPPED=1',
              'unset DROPPED',
              'cd sub && exit 0',
            ],
          },
          build: {
            commands: [
              'echo "pwd=$PWD tag=$TAG registry=$REGISTRY dropped=$DROPPED."',
              'sh -c \'echo "child sees tag=$TAG"\'',
              'cd - >/dev/null; echo "back in $PWD"',
            ],
          },
          post_build: { commands: ['echo "post pwd=$PWD"'] },
        },
      },
      { files: { 'app/sub/.keep': '' } },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(output.map((line) => line.replaceAll(result.srcDir, '<src>'))).toEqual([
      'pwd=<src>/app/sub tag=v1 registry=local dropped=.',
      'child sees tag=v1',
      'back in <src>/app',
      'post pwd=<src>/app',
    ]);
  });

  it('returns the exported variables with their values after the build', async () => {
    const { result } = await build({
      version: 0.2,
      env: { variables: { STAGE: 'prod' }, 'exported-variables': ['IMAGE_URI', 'STAGE', 'NEVER_SET'] },
      phases: {
        build: { commands: ['IMAGE_URI="123.dkr.ecr/web:$(echo abc)"'] },
        post_build: { commands: ['STAGE="$STAGE-2"'] },
      },
    });
    expect(result.exportedVariables).toEqual([
      { name: 'IMAGE_URI', value: '123.dkr.ecr/web:abc' },
      { name: 'STAGE', value: 'prod-2' },
      { name: 'NEVER_SET', value: '' },
    ]);
  });

  it('sets CodeBuild environment variables, which a buildspec or an override cannot replace', async () => {
    const names = [
      'CODEBUILD_SRC_DIR',
      'CODEBUILD_BUILD_ID',
      'CODEBUILD_BUILD_ARN',
      'CODEBUILD_BUILD_NUMBER',
      'CODEBUILD_RESOLVED_SOURCE_VERSION',
      'CODEBUILD_SOURCE_VERSION',
      'CODEBUILD_INITIATOR',
      'CODEBUILD_BUILD_SUCCEEDING',
      'CODEBUILD_START_TIME',
      'CODEBUILD_BUILD_IMAGE',
      'CODEBUILD_LOG_PATH',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'HOME',
    ];
    const { result, output } = await build(
      {
        version: 0.2,
        env: { variables: { CODEBUILD_BUILD_ID: 'fake' } },
        phases: { build: { commands: names.map((name) => `echo "${name}=$${name}"`) } },
      },
      {
        region: 'eu-west-1',
        accountId: '111122223333',
        buildNumber: 7,
        sourceVersion: 'main',
        resolvedSourceVersion: 'f'.repeat(40),
        initiator: 'switchyard/pipeline',
        image: 'aws/codebuild/amazonlinux2-x86_64-standard:5.0',
        environmentVariablesOverride: [{ name: 'CODEBUILD_SRC_DIR', value: '/elsewhere' }],
      },
    );
    expect(Object.fromEntries(output.map((line) => line.split('=', 2)))).toEqual({
      CODEBUILD_SRC_DIR: result.srcDir,
      CODEBUILD_BUILD_ID: BUILD_ID,
      CODEBUILD_BUILD_ARN: `arn:aws:codebuild:eu-west-1:111122223333:build/${BUILD_ID}`,
      CODEBUILD_BUILD_NUMBER: '7',
      CODEBUILD_RESOLVED_SOURCE_VERSION: 'f'.repeat(40),
      CODEBUILD_SOURCE_VERSION: 'main',
      CODEBUILD_INITIATOR: 'switchyard/pipeline',
      CODEBUILD_BUILD_SUCCEEDING: '1',
      CODEBUILD_START_TIME: String(result.startTime.getTime()),
      CODEBUILD_BUILD_IMAGE: 'aws/codebuild/amazonlinux2-x86_64-standard:5.0',
      CODEBUILD_LOG_PATH: '0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      HOME: join(result.workDir, 'home'),
    });
    expect(result.arn).toBe(`arn:aws:codebuild:eu-west-1:111122223333:build/${BUILD_ID}`);
    expect(result.warnings).toEqual([
      'buildspec.yml: env.variables.CODEBUILD_BUILD_ID (line 4) uses the CODEBUILD_ prefix that CodeBuild reserves, so it is not set',
      'StartBuild override environment variable CODEBUILD_SRC_DIR is not a valid name, or uses the reserved CODEBUILD_ prefix; it is not set',
    ]);
  });

  it('gives StartBuild overrides precedence over the project, and the project over the buildspec', async () => {
    const { result, output } = await build(
      {
        version: 0.2,
        env: { variables: { A: 'buildspec', B: 'buildspec', C: 'buildspec', PATH_COPY: '$PATH' } },
        phases: { build: { commands: ['echo "A=$A B=$B C=$C PATH_COPY=$PATH_COPY TOKEN=$TOKEN."'] } },
      },
      {
        environmentVariables: [
          { name: 'B', value: 'project' },
          { name: 'C', value: 'project' },
          { name: 'TOKEN', value: '/ci/token', type: 'PARAMETER_STORE' },
        ],
        environmentVariablesOverride: [{ name: 'C', value: 'override', type: 'PLAINTEXT' }],
      },
    );
    // Values are literal: CodeBuild does not expand $PATH in a variable's value.
    expect(output).toEqual(['A=buildspec B=project C=override PATH_COPY=$PATH TOKEN=.']);
    expect(result.warnings).toEqual([
      'project environment variable TOKEN is of type PARAMETER_STORE, which the local build runner cannot resolve; it is not set',
    ]);
  });

  it('runs commands with bash when env.shell is bash', async () => {
    const { output } = await build({
      version: 0.2,
      env: { shell: 'bash' },
      phases: { build: { commands: ['[[ -n "$BASH_VERSION" ]] && echo bash', 'A=(x y); echo "$A"'] } },
    });
    expect(output).toEqual(['bash', 'x']);
  });

  it('fails the command, not the session, on a shell syntax error, and keeps the state of the commands before', async () => {
    const { result, output } = await build({
      version: 0.2,
      phases: {
        build: { 'on-failure': 'CONTINUE', commands: ['X=kept', "echo 'unterminated"] },
        post_build: { commands: ['echo "X=$X"'] },
      },
    });
    expect(phase(result, 'BUILD')?.contexts?.[0]?.message).toBe(
      "Error while executing command: echo 'unterminated. Reason: exit status 2",
    );
    expect(output.at(-1)).toBe('X=kept');
  });

  it('gives commands an empty stdin, so a command reading it cannot swallow the next ones', async () => {
    const { output } = await build({
      version: 0.2,
      phases: { build: { commands: ['cat; echo "cat got EOF"', 'echo next'] } },
    });
    expect(output).toEqual(['cat got EOF', 'next']);
  });

  it('zips the artifact with base-directory and discard-paths and puts it where CodeBuild would', async () => {
    const { result, lines } = await build(
      {
        version: 0.2,
        phases: {
          build: {
            commands: [
              'mkdir -p dist/js && echo "{}" > dist/imageDetail.json && echo x > dist/js/app.js && chmod +x dist/js/app.js',
            ],
          },
        },
        artifacts: { files: ['**/*'], 'base-directory': 'dist', 'discard-paths': 'yes' },
      },
      { artifacts: ARTIFACTS, s3: new S3Client({}) },
    );
    expect(result.status).toBe('SUCCEEDED');
    const [put] = uploads();
    expect(put).toMatchObject({
      Bucket: 'artifacts',
      Key: 'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/build.zip',
      ContentType: 'application/zip',
      Metadata: { 'codebuild-buildarn': result.arn },
    });
    const body = put?.Body as Buffer;
    expect(readZip(body).map((e) => [e.path, e.mode, e.data.toString()])).toEqual([
      ['imageDetail.json', 0o100644, '{}\n'],
      ['app.js', 0o100755, 'x\n'],
    ]);
    expect(result.artifact).toEqual({
      bucket: 'artifacts',
      key: 'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/build.zip',
      sha256: createHash('sha256').update(body).digest('hex'),
      bytes: body.length,
      location: 'arn:aws:s3:::artifacts/build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/build.zip',
    });
    expect(lines).toContainEqual(expect.stringMatching(/ Found 2 file\(s\)$/));
  });

  it("names the artifact with the buildspec's shell-expanded name when the project overrides the artifact name", async () => {
    const { result } = await build(
      {
        version: 0.2,
        env: { variables: { STAGE: 'prod' } },
        phases: { build: { commands: ['echo 1 > out.txt', 'VERSION=1.2'] } },
        artifacts: { files: ['out.txt'], name: 'web-$STAGE-$(echo $VERSION).zip' },
      },
      { artifacts: { ...ARTIFACTS, overrideArtifactName: true }, s3: new S3Client({}) },
    );
    expect(result.artifact?.key).toBe('build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/web-prod-1.2.zip');
  });

  it('uploads each file under the key when packaging is NONE', async () => {
    const { result } = await build(
      {
        version: 0.2,
        phases: { build: { commands: ['mkdir -p out/a && echo 1 > out/a/one && echo 22 > out/two'] } },
        artifacts: { files: ['out/**/*'] },
      },
      { artifacts: { bucket: 'artifacts', path: 'drops', name: 'web' }, s3: new S3Client({}) },
    );
    expect(uploads().map((put) => [put.Key, String(put.Body)])).toEqual([
      ['drops/web/out/a/one', '1\n'],
      ['drops/web/out/two', '22\n'],
    ]);
    expect(result.artifact).toEqual({
      bucket: 'artifacts',
      key: 'drops/web',
      sha256: null,
      bytes: 5,
      location: 'arn:aws:s3:::artifacts/drops/web',
    });
  });

  it('fails UPLOAD_ARTIFACTS as CodeBuild does when no file matches', async () => {
    const { result, lines } = await build(
      { version: 0.2, phases: { build: { commands: ['true'] } }, artifacts: { files: ['dist/**/*'] } },
      { artifacts: ARTIFACTS, s3: new S3Client({}) },
    );
    expect(result.status).toBe('FAILED');
    expect(phaseList(result)).toContain('UPLOAD_ARTIFACTS:FAILED');
    expect(phase(result, 'UPLOAD_ARTIFACTS')?.contexts).toEqual([
      { statusCode: 'CLIENT_ERROR', message: 'no matching artifact paths found' },
    ]);
    expect(lines).toContainEqual(
      expect.stringMatching(
        / Phase context status code: CLIENT_ERROR Message: no matching artifact paths found$/,
      ),
    );
    expect(result.artifact).toBeNull();
    expect(uploads()).toEqual([]);
  });

  it('fails UPLOAD_ARTIFACTS with the S3 error when the upload is refused', async () => {
    s3Mock
      .on(PutObjectCommand)
      .rejects(Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket' }));
    const { result } = await build(
      { version: 0.2, phases: { build: { commands: ['echo 1 > a'] } }, artifacts: { files: ['a'] } },
      { artifacts: ARTIFACTS, s3: new S3Client({}) },
    );
    expect(phase(result, 'UPLOAD_ARTIFACTS')?.contexts).toEqual([
      {
        statusCode: 'CLIENT_ERROR',
        message: 'Error uploading artifacts: NoSuchBucket: The specified bucket does not exist',
      },
    ]);
  });

  it('uploads nothing when the project has no artifacts (NO_ARTIFACTS)', async () => {
    const { result } = await build({
      version: 0.2,
      phases: { build: { commands: ['true'] } },
      artifacts: { files: ['missing'] },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.artifact).toBeNull();
  });

  it('fails DOWNLOAD_SOURCE with a clear YAML_FILE_ERROR, running nothing, when the buildspec is not valid YAML', async () => {
    const { result, output } = await build(
      'version: 0.2\nphases:\n  build:\n    commands:\n      - echo ran\n      - echo result: ok\n',
    );
    expect(result.status).toBe('FAILED');
    expect(phaseList(result)).toEqual([
      'SUBMITTED',
      'QUEUED',
      'PROVISIONING',
      'DOWNLOAD_SOURCE:FAILED',
      'FINALIZING',
      'COMPLETED',
    ]);
    const [context] = phase(result, 'DOWNLOAD_SOURCE')?.contexts ?? [];
    expect(context?.statusCode).toBe('YAML_FILE_ERROR');
    expect(context?.message).toMatch(
      /^buildspec\.yml: phases\.build\.commands\[1\] \(line 6\) must be a string, found a mapping; quote the command/,
    );
    expect(output).toEqual([]);
  });

  it('fails DOWNLOAD_SOURCE when the source has no buildspec.yml', async () => {
    const lines: string[] = [];
    const result = await runBuild({
      projectName: 'web-build',
      source: { directory: sourceDir({ 'README.md': 'hi' }) },
      onLog: (l) => lines.push(l),
    });
    temporary.push(result.workDir);
    expect(phase(result, 'DOWNLOAD_SOURCE')?.contexts?.[0]).toEqual({
      statusCode: 'YAML_FILE_ERROR',
      message: expect.stringMatching(
        /^buildspec\.yml was not found in the source \(CODEBUILD_SRC_DIR=.*\): add it at the root/,
      ),
    });
  });

  it('reads a buildspec override given as YAML or as a path in the source', async () => {
    const inline = await build('not: used', {
      buildspec: 'version: 0.2\nphases:\n  build:\n    commands: [echo inline]\n',
    });
    expect(inline.output).toEqual(['inline']);
    const path = await build('not: used', {
      buildspec: 'ci/buildspec-release.yml',
      files: {
        'ci/buildspec-release.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo release]\n',
      },
    });
    expect(path.output).toEqual(['release']);
  });

  it('warns about the buildspec keys it does not support, in the result and the log', async () => {
    const { result, lines } = await build({
      version: 0.2,
      env: { 'parameter-store': { TOKEN: '/ci/token' } },
      phases: { install: { 'runtime-versions': { nodejs: 20 }, commands: ['true'] } },
      cache: { paths: ['/root/.npm/**/*'] },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.warnings).toEqual([
      'buildspec.yml: cache (line 11) is not supported by the local build runner and is ignored',
      'buildspec.yml: phases.install.runtime-versions (line 7) is not supported by the local build runner and is ignored',
      'buildspec.yml: env.parameter-store.TOKEN is of type PARAMETER_STORE, which the local build runner cannot resolve; it is not set',
    ]);
    for (const warning of result.warnings)
      expect(lines).toContainEqual(expect.stringContaining(`Warning: ${warning}`));
  });

  it('kills the running command and its children and ends TIMED_OUT when the timeout passes', async () => {
    const { result, output, lines } = await build(
      {
        version: 0.2,
        phases: {
          build: { commands: ['sleep 30 & echo $! > sleep.pid; wait'] },
          post_build: { commands: ['echo post'] },
        },
      },
      { timeoutMs: 1000 },
    );
    expect(result.status).toBe('TIMED_OUT');
    expect(phaseList(result)).toEqual([
      ...BEFORE,
      'INSTALL',
      'PRE_BUILD',
      'BUILD:TIMED_OUT',
      'FINALIZING',
      'COMPLETED',
    ]);
    expect(phase(result, 'BUILD')?.contexts).toEqual([
      { statusCode: 'BUILD_TIMED_OUT', message: 'Build has timed out.' },
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/ Phase complete: BUILD State: TIMED_OUT$/));
    expect(output).toEqual([]);
    expect(running(Number(readFileSync(join(result.srcDir, 'sleep.pid'), 'utf8')))).toBe(false);
  });

  it('ends STOPPED when the abort signal fires', async () => {
    const stop = new AbortController();
    const { result } = await build(
      { version: 0.2, phases: { build: { commands: ['echo started; sleep 30'] } } },
      {
        signal: stop.signal,
        onLog: (line) => {
          if (line === 'started') stop.abort();
        },
      },
    );
    expect(result.status).toBe('STOPPED');
    expect(phase(result, 'BUILD')).toMatchObject({
      phaseStatus: 'STOPPED',
      contexts: [{ statusCode: 'BUILD_STOPPED', message: 'Build was stopped.' }],
    });
    expect(phaseList(result).slice(-2)).toEqual(['FINALIZING', 'COMPLETED']);
  });

  it('builds from a source zip with executables and symbolic links, in a fresh directory each time', async () => {
    const zip = await zipOf([
      {
        path: 'buildspec.yml',
        mode: 'file',
        data: Buffer.from(
          stringify({
            version: 0.2,
            phases: { build: { commands: ['./tool', 'readlink link', 'touch made-by-build'] } },
          }),
        ),
      },
      { path: 'tool', mode: 'executable', data: Buffer.from('#!/bin/sh\necho tool ran\n') },
      { path: 'link', mode: 'symlink', data: Buffer.from('tool') },
    ]);
    const runs = [];
    for (let i = 0; i < 2; i += 1) {
      const lines: string[] = [];
      const result = await runBuild({
        projectName: 'p',
        source: { zip },
        baseEnv: { PATH: process.env.PATH },
        onLog: (l) => lines.push(l),
      });
      temporary.push(result.workDir);
      runs.push({ result, output: lines.filter((l) => !l.startsWith('[Container]')) });
    }
    expect(runs.map((r) => r.result.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(runs[1]?.output).toEqual(['tool ran', 'tool']);
    expect(runs[0]?.result.srcDir).not.toBe(runs[1]?.result.srcDir);
  });

  it('refuses to start when artifacts are configured without an S3 client', async () => {
    await expect(
      runBuild({ projectName: 'p', source: { directory: tmpdir() }, artifacts: ARTIFACTS }),
    ).rejects.toThrow(
      new InvalidInputError('artifacts go to S3 bucket "artifacts", so runBuild needs an s3 client'),
    );
  });
});

describe('artifactKey', () => {
  const build = { id: BUILD_ID, projectName: 'web-build' };
  it.each<[string, ArtifactsSettings, string | undefined, string]>([
    [
      'path, BUILD_ID namespace and name',
      ARTIFACTS,
      undefined,
      'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/build.zip',
    ],
    ['no namespace', { ...ARTIFACTS, namespaceType: 'NONE' }, undefined, 'build/build.zip'],
    ['no path', { bucket: 'b', name: 'x.zip' }, undefined, 'x.zip'],
    ['the project name by default', { bucket: 'b', path: 'p/' }, undefined, 'p/web-build'],
    [
      'name "/" stores at the namespace',
      { ...ARTIFACTS, name: '/' },
      undefined,
      'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10',
    ],
    [
      'the buildspec name, when overriding',
      { ...ARTIFACTS, overrideArtifactName: true },
      'builds/7/app.zip',
      'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/builds/7/app.zip',
    ],
    [
      'the buildspec name ignored without the flag',
      ARTIFACTS,
      'other.zip',
      'build/0b6a1c4e-3f4e-4a8e-9a51-2d7c1e5f9a10/build.zip',
    ],
  ])('uses %s', (_case, settings, buildspecName, key) => {
    expect(artifactKey(settings, { ...build, buildspecName })).toBe(key);
  });
});

async function zipOf(entries: ZipEntry[], options: Partial<ZipWriterOptions> = {}): Promise<Buffer> {
  const writer = new ZipWriter({ mtime: new Date('2026-01-02T03:04:06Z'), ...options });
  const chunks: Buffer[] = [];
  writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(writer.stream, 'end');
  for (const entry of entries) await writer.add(entry);
  await writer.finish();
  await ended;
  return Buffer.concat(chunks);
}
