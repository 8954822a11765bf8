/**
 * `switchyard local --repo` on someone else's repository, as a person runs it: a notice names the repository and
 * the buildspec before it runs here (none for the sample app: test/unit/cli/local/build-notice.test.ts), and the build in the emulator gets the --build-env
 * variables but none of the user's AWS session token, profile or other secrets.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
const SAMPLE = resolve(__dirname, '../../examples/sample-app');

const dir = mkdtempSync(join(tmpdir(), 'local-build-env-'));
const repoPath = join(dir, 'their-app');
const envDump = join(dir, 'build-env.txt');
const buildEnvFile = join(dir, 'build.env');
const awsConfig = join(dir, 'aws-config');

/** The user's shell: what a build must not see planted in it, and a cache folder of the test's own. */
function userEnv(cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // A profile that exists, as a person's does (the emulator's botocore reads it).
    AWS_CONFIG_FILE: awsConfig,
    AWS_PROFILE: 'planted-profile',
    AWS_SESSION_TOKEN: 'planted-session-token',
    SECRET_SOMETHING: 'planted-secret',
    XDG_CACHE_HOME: join(dir, cache),
  };
  // The command starts its own emulator: nothing of the test harness's may leak into it.
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  return env;
}

function local(args: string[], cache = 'cache'): { code: number | null; stderr: string; status: string } {
  const out = spawnSync(process.execPath, [BIN, 'local', '--json', ...args], {
    env: userEnv(cache),
    encoding: 'utf8',
    timeout: 90_000,
  });
  const lines = out.stdout.trim().split('\n');
  const summary = JSON.parse(lines[lines.length - 1] || '{}') as { status?: string };
  return { code: out.status, stderr: out.stderr, status: summary.status ?? '' };
}

beforeAll(() => {
  cpSync(SAMPLE, repoPath, { recursive: true });
  // The sample's build, plus a command that writes what the build sees where --build-env says.
  const buildspec = readFileSync(join(repoPath, 'buildspec.yml'), 'utf8').replace(
    '      - printf \'{"ImageURI"',
    '      - env > "$ENV_DUMP"\n      - printf \'{"ImageURI"',
  );
  expect(buildspec).toContain('env > "$ENV_DUMP"');
  writeFileSync(join(repoPath, 'buildspec.yml'), buildspec);
  const git = (...args: string[]) =>
    spawnSync('git', ['-C', repoPath, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args]);
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'their app');
  writeFileSync(
    awsConfig,
    '[profile planted-profile]\nregion = us-east-1\naws_access_key_id = AKIAPLANTED\naws_secret_access_key = planted\n',
  );
  writeFileSync(buildEnvFile, `ENV_DUMP=${envDump}\nGREETING=from-build-env\n`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('switchyard local --repo: what runs on this machine', () => {
  it('says which buildspec runs here, and gives the build --build-env but none of the user’s secrets', () => {
    const run = local(['--repo', repoPath, '--build-env', buildEnvFile]);

    expect({ code: run.code, status: run.status }).toEqual({ code: 0, status: 'SUCCEEDED' });
    expect(run.stderr).toContain(`notice: this runs buildspec.yml of ${repoPath} (commit `);
    expect(run.stderr).toContain('--trust hides it');
    const env = readFileSync(envDump, 'utf8');
    expect(env).toMatch(/^GREETING=from-build-env$/m);
    expect(env).toMatch(/^CODEBUILD_BUILD_ID=/m);
    expect(env).not.toMatch(
      /planted|^AWS_PROFILE=|^AWS_SESSION_TOKEN=|^SECRET_SOMETHING=|^AWS_CONFIG_FILE=/m,
    );
    expect(existsSync(join(dir, 'cache', 'switchyard', 'announced-builds'))).toBe(true);
  });

  it('gives the build the user’s whole environment with --inherit-env, and no notice with --trust', () => {
    // A cache that has never seen this commit: only --trust keeps the notice away.
    const run = local(
      ['--repo', repoPath, '--build-env', buildEnvFile, '--inherit-env', '--trust'],
      'fresh-cache',
    );

    expect({ code: run.code, status: run.status }).toEqual({ code: 0, status: 'SUCCEEDED' });
    expect(run.stderr).not.toContain('notice:');
    const env = readFileSync(envDump, 'utf8');
    expect(env).toMatch(/^SECRET_SOMETHING=planted-secret$/m);
    expect(env).toMatch(/^GREETING=from-build-env$/m);
  });
});
