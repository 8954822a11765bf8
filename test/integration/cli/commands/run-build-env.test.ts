/**
 * `switchyard run-build` gives the build a minimal environment: the user's AWS session token, profile and other
 * secrets stay out of it unless --inherit-env asks for them; --env and --env-file values are in it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSwitchyard } from '../../../support/cli';

const source = mkdtempSync(join(tmpdir(), 'run-build-env-'));
writeFileSync(join(source, 'buildspec.yml'), 'version: 0.2\nphases:\n  build:\n    commands:\n      - env\n');
const envFile = join(source, 'build.env');
writeFileSync(envFile, 'FROM_FILE=file-value\n');

/** The user's shell, with what a build must not see planted in it. */
const userEnv: NodeJS.ProcessEnv = {
  ...process.env,
  AWS_PROFILE: 'planted-profile',
  AWS_SESSION_TOKEN: 'planted-session-token',
  SECRET_SOMETHING: 'planted-secret',
};

afterAll(() => rmSync(source, { recursive: true, force: true }));

/** The build's `env` lines (the build log is on stderr; the runner's own lines start with [Container]). */
async function buildEnv(...flags: string[]): Promise<string[]> {
  const run = await runSwitchyard(
    ['run-build', '--source', source, '--env-file', envFile, '--env', 'GREETING=hello', ...flags],
    userEnv,
  );
  expect(run.status).toBe(0);
  return run.stderr.split('\n').filter((line) => !line.startsWith('[Container]'));
}

describe('switchyard run-build: the build environment', () => {
  it('keeps the user’s token, profile and secrets out, and passes --env and --env-file', async () => {
    const env = await buildEnv();

    expect(env).toContain('GREETING=hello');
    expect(env).toContain('FROM_FILE=file-value');
    expect(env).toContain(`PATH=${process.env.PATH}`);
    expect(env.join('\n')).not.toMatch(/planted|AWS_PROFILE|AWS_SESSION_TOKEN|SECRET_SOMETHING/);
  });

  it('passes the whole environment with --inherit-env', async () => {
    const env = await buildEnv('--inherit-env');

    expect(env).toContain('AWS_SESSION_TOKEN=planted-session-token');
    expect(env).toContain('SECRET_SOMETHING=planted-secret');
    expect(env).toContain('GREETING=hello');
  });
});
