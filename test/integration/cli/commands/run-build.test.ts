/** `switchyard run-build`: the public contract the real-world check drives builds through. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { runSwitchyard } from '../../../support/cli';
import { useMoto } from '../../../support/moto';

function source(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'run-build-src-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}

const BUILDSPEC = `version: 0.2
env:
  exported-variables: [IMAGE_TAG, FROM_FILE]
phases:
  build:
    commands:
      - IMAGE_TAG=$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-7)
      - mkdir -p out && printf '{"ImageURI":"repo:%s"}' "$IMAGE_TAG" > out/imageDetail.json
      - echo "$GREETING" > out/greeting.txt
artifacts:
  files: ['out/*']
  discard-paths: yes
`;

describe('switchyard run-build', () => {
  it('runs the phases with the given variables and writes the artifact files under --artifacts', async () => {
    const dir = source({ 'buildspec.yml': BUILDSPEC });
    const envFile = join(dir, 'build.env');
    writeFileSync(envFile, '# a comment\n\nFROM_FILE=yes\nGREETING=from the file\n');
    const out = join(mkdtempSync(join(tmpdir(), 'run-build-out-')), 'artifacts');
    const run = await runSwitchyard(
      [
        'run-build',
        '--source',
        dir,
        '--env-file',
        envFile,
        '--env',
        'GREETING=hello world',
        '--resolved-source-version',
        '0123456789abcdef',
        '--artifacts',
        out,
        '--json',
      ],
      process.env,
    );
    expect(run.status).toBe(0);
    const result = lastJson(run.stdout);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.artifactFiles).toEqual(['greeting.txt', 'imageDetail.json']);
    expect(result.exportedVariables).toEqual([
      { name: 'IMAGE_TAG', value: '0123456' },
      { name: 'FROM_FILE', value: 'yes' },
    ]);
    expect(JSON.parse(readFileSync(join(out, 'imageDetail.json'), 'utf8'))).toEqual({
      ImageURI: 'repo:0123456',
    });
    // --env comes after --env-file, so it wins.
    expect(readFileSync(join(out, 'greeting.txt'), 'utf8')).toBe('hello world\n');
    // The build log goes to stderr, so stdout stays machine-readable.
    expect(run.stderr).toContain('Entering phase BUILD');
  });

  it('exits 1 with the failed phase and its context when a command fails', async () => {
    const dir = source({
      'ci/spec.yml': 'version: 0.2\nphases:\n  pre_build:\n    commands:\n      - exit 3\n',
    });
    const run = await runSwitchyard(
      ['run-build', '--source', dir, '--buildspec', 'ci/spec.yml', '--json'],
      process.env,
    );
    expect(run.status).toBe(1);
    const result = lastJson(run.stdout) as {
      status: string;
      phases: Array<{ phaseType: string; phaseStatus?: string; contexts?: Array<{ message: string }> }>;
    };
    expect(result.status).toBe('FAILED');
    const preBuild = result.phases.find((phase) => phase.phaseType === 'PRE_BUILD');
    expect(preBuild?.phaseStatus).toBe('FAILED');
    expect(preBuild?.contexts?.[0]?.message).toContain('exit 3');
    // A failed PRE_BUILD goes straight to FINALIZING, as in CodeBuild.
    expect(result.phases.map((phase) => phase.phaseType)).not.toContain('BUILD');
  });

  it('--parse-only validates without running and names the field of an invalid buildspec', async () => {
    const dir = source({
      'good.yml': 'version: 0.2\nphases:\n  build:\n    commands:\n      - touch ran\n',
      'bad.yml': 'version: 0.2\nphases:\n  build:\n    commands: 7\n',
    });
    const good = await runSwitchyard(
      ['run-build', '--source', dir, '--buildspec', 'good.yml', '--parse-only', '--json'],
      process.env,
    );
    expect(good.status).toBe(0);
    expect(lastJson(good.stdout)).toEqual({ valid: true, warnings: [] });
    const bad = await runSwitchyard(
      ['run-build', '--source', dir, '--buildspec', 'bad.yml', '--parse-only'],
      process.env,
    );
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/bad\.yml.*phases\.build\.commands/);
  });

  it('refuses a malformed --env before running anything', async () => {
    const dir = source({ 'buildspec.yml': BUILDSPEC });
    const run = await runSwitchyard(['run-build', '--source', dir, '--env', '1BAD=x'], process.env);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--env: "1BAD=x" is not NAME=VALUE');
    expect(run.stderr).not.toContain('Entering phase');
  });

  describe('with a JSON --env-file in the shape of BuildEnvironmentVariables', () => {
    useMoto();
    const SECRET_BUILDSPEC = `version: 0.2
env:
  parameter-store:
    DB_PASSWORD: /app/db-password
phases:
  build:
    commands:
      - echo "stage=$STAGE db=$DB_PASSWORD token=$TOKEN"
      - mkdir -p out && printf '%s %s' "$DB_PASSWORD" "$TOKEN" > out/seen.txt
artifacts:
  files: [out/seen.txt]
  discard-paths: yes
`;

    it('reads the typed variables and the buildspec references from AWS (AWS_ENDPOINT_URL), hidden in the log', async () => {
      await new SSMClient({}).send(
        new PutParameterCommand({ Name: '/app/db-password', Value: 'pa55-word', Type: 'SecureString' }),
      );
      await new SecretsManagerClient({}).send(
        new CreateSecretCommand({ Name: 'app/api', SecretString: JSON.stringify({ token: 'tok-987654' }) }),
      );
      const dir = source({
        'buildspec.yml': SECRET_BUILDSPEC,
        'vars.json': JSON.stringify([
          { name: 'STAGE', value: 'prod' },
          { name: 'TOKEN', value: 'app/api:token', type: 'SECRETS_MANAGER' },
        ]),
      });
      const out = join(mkdtempSync(join(tmpdir(), 'run-build-out-')), 'artifacts');
      const run = await runSwitchyard(
        ['run-build', '--source', dir, '--env-file', join(dir, 'vars.json'), '--artifacts', out, '--json'],
        process.env,
      );
      expect(lastJson(run.stdout).status).toBe('SUCCEEDED');
      expect(readFileSync(join(out, 'seen.txt'), 'utf8')).toBe('pa55-word tok-987654');
      expect(run.stderr).toContain('stage=prod db=*** token=***');
      expect(run.stderr).not.toContain('pa55-word');
      expect(run.stderr).not.toContain('tok-987654');
    });

    it('fails the build in DOWNLOAD_SOURCE when a typed variable cannot be read, naming it', async () => {
      const dir = source({
        'buildspec.yml': 'version: 0.2\nphases:\n  build:\n    commands: [echo never]\n',
        'vars.json': '[{"name": "DB", "value": "/app/missing", "type": "PARAMETER_STORE"}]',
      });
      const run = await runSwitchyard(
        ['run-build', '--source', dir, '--env-file', join(dir, 'vars.json'), '--json'],
        process.env,
      );
      expect(run.status).toBe(1);
      const result = lastJson(run.stdout) as {
        phases: Array<{ phaseType: string; phaseStatus?: string; contexts?: unknown[] }>;
      };
      expect(result.phases.find((phase) => phase.phaseStatus === 'FAILED')).toEqual({
        phaseType: 'DOWNLOAD_SOURCE',
        phaseStatus: 'FAILED',
        contexts: [
          {
            statusCode: 'Decrypted Variables Error',
            message:
              'parameter does not exist: /app/missing (variable DB of the project, reference "/app/missing")',
          },
        ],
      });
    });

    it('refuses a JSON --env-file entry of an unknown type before running anything', async () => {
      const dir = source({
        'buildspec.yml': BUILDSPEC,
        'vars.json': '[{"name": "DB", "value": "x", "type": "VAULT"}]',
      });
      const run = await runSwitchyard(
        ['run-build', '--source', dir, '--env-file', join(dir, 'vars.json')],
        process.env,
      );
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        `--env-file ${join(dir, 'vars.json')} item 0 (DB): type must be one of PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER`,
      );
      expect(run.stderr).not.toContain('Entering phase');
    });
  });
});
