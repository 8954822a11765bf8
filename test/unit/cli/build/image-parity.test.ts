/**
 * Parity with the standard CodeBuild images: the shell the commands run in, files named by an absolute path in
 * artifacts.files, and a batch buildspec.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveShell } from '../../../../cli/build/shell-session';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';
import {
  failure,
  removeTemporaryFolders,
  runLocalBuild,
  temporaryFolder,
} from '../../../support/local-build';

afterAll(removeTemporaryFolders);

describe('the shell', () => {
  it('runs commands with bash when the buildspec names no shell, so bash expansions work', async () => {
    const { result, output, lines } = await runLocalBuild(
      `version: 0.2
phases:
  build:
    commands:
      - TAG="\${CODEBUILD_RESOLVED_SOURCE_VERSION:0:8}"
      - echo "$TAG"
      - '[[ -n "$BASH_VERSION" ]] && echo bash'
`,
      { resolvedSourceVersion: '0123456789abcdef' },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(output).toEqual(['01234567', 'bash']);
    expect(lines).toContainEqual(
      expect.stringMatching(/The buildspec sets no env\.shell: commands run with \/\S*bash /),
    );
  });

  it('runs /bin/sh when env.shell names it, as an Ubuntu standard image runs dash', async () => {
    const { output } = await runLocalBuild(
      `version: 0.2\nenv:\n  shell: /bin/sh\nphases:\n  build:\n    commands:\n      - echo "\${BASH_VERSION:-no bash}"\n`,
    );
    // /bin/sh is dash on Debian and Ubuntu (as on the Ubuntu images); where it is bash, BASH_VERSION is set.
    const shIsBash = realpathSync('/bin/sh').endsWith('bash');
    expect(output).toEqual([shIsBash ? expect.stringMatching(/^\d/) : 'no bash']);
  });

  it('falls back to /bin/sh only where this machine has no bash, and refuses env.shell bash there', async () => {
    const nowhere = temporaryFolder('no-bash-');
    await expect(resolveShell(undefined, nowhere, { standardDirs: [] })).resolves.toBe('/bin/sh');
    await expect(resolveShell('bash', nowhere, { standardDirs: [] })).rejects.toThrow(
      new InvalidInputError(
        'env.shell is bash, but bash is not on the PATH of this machine; use /bin/sh or install bash',
      ),
    );
    await expect(resolveShell(undefined, process.env.PATH)).resolves.toMatch(/\/bash$/);
    await expect(resolveShell('sh', process.env.PATH)).resolves.toBe('/bin/sh');
  });
});

describe('absolute paths in artifacts.files', () => {
  it("collects a file outside the source by its name with discard-paths, as the AWS sample's /tmp/build.json", async () => {
    const outside = temporaryFolder('outside-src-');
    const out = join(temporaryFolder('artifacts-'), 'out');
    const { result } = await runLocalBuild(
      {
        version: 0.2,
        phases: {
          build: {
            commands: [
              `printf '{"tag":"v1"}' > ${outside}/build.json`,
              `printf '{"ImageURI":"repo:v1"}' > imageDetail.json`,
            ],
          },
        },
        artifacts: { files: [`${outside}/build.json`, 'imageDetail.json'], 'discard-paths': 'yes' },
      },
      { artifactsDirectory: out },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(result.artifactFiles).toEqual(['imageDetail.json', 'build.json']);
  });

  it('keeps the path from / without discard-paths, and matches an absolute glob only as deep as it reaches', async () => {
    const outside = temporaryFolder('outside-src-');
    mkdirSync(join(outside, 'deeper'));
    for (const file of ['a.json', 'b.json', 'notes.txt', 'deeper/c.json'])
      writeFileSync(join(outside, file), '{}');
    const { result } = await runLocalBuild(
      {
        version: 0.2,
        phases: { build: { commands: ['true'] } },
        artifacts: { files: [`${outside}/*.json`] },
      },
      { artifactsDirectory: join(temporaryFolder('artifacts-'), 'out') },
    );
    const base = outside.slice(1);
    expect(result.artifactFiles).toEqual([`${base}/a.json`, `${base}/b.json`]);
  });

  it('refuses an absolute pattern that would search the whole file system', async () => {
    const { result } = await runLocalBuild(
      { version: 0.2, phases: { build: { commands: ['true'] } }, artifacts: { files: ['/**/*.json'] } },
      { artifactsDirectory: join(temporaryFolder('artifacts-'), 'out') },
    );
    expect(failure(result)).toBe(
      'UPLOAD_ARTIFACTS FAILED CLIENT_ERROR: artifacts.files names /**/*.json, which would search the whole ' +
        'file system; name the folder the files are in, e.g. /tmp/out/**/*',
    );
  });
});

describe('a batch buildspec', () => {
  it('fails DOWNLOAD_SOURCE with one error saying batch builds are not supported, and what to do instead', async () => {
    const { result } = await runLocalBuild(
      'version: 0.2\nbatch:\n  build-list:\n    - identifier: web\n      buildspec: ci/web.yml\n',
    );
    expect(result.status).toBe('FAILED');
    expect(failure(result)).toMatch(
      /^DOWNLOAD_SOURCE FAILED YAML_FILE_ERROR: buildspec\.yml: batch \(line 2\) makes this a batch build \(batch\.build-list\) with no phases of its own: batch builds are not supported by the local build runner, which runs one build; instead, run one build whose phases build every image and write each image's imageDetail\.json/,
    );
  });
});
