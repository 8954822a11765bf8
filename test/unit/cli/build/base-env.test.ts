/**
 * The environment a local build starts with (cli/build/base-env.ts): CodeBuild's variables, the buildspec's, the
 * project's and the build's AWS access, and of this process's environment only PATH, the locale, TERM, TMPDIR, TZ
 * and DOCKER_HOST; never the user's AWS_PROFILE, AWS_SESSION_TOKEN or other secrets unless inherited on purpose.
 */
import { INHERIT_ENV_VARIABLE } from '../../../../cli/build/runner';
import { removeTemporaryFolders, runLocalBuild } from '../../../support/local-build';

/** What a user's shell holds that a build must not see. */
const PLANTED: Record<string, string> = {
  AWS_PROFILE: 'planted-profile',
  AWS_SESSION_TOKEN: 'planted-session-token',
  AWS_ACCESS_KEY_ID: 'AKIAPLANTEDPLANTED',
  AWS_SECRET_ACCESS_KEY: 'planted-secret-key',
  SECRET_SOMETHING: 'planted-secret',
  GITHUB_TOKEN: 'planted-github-token',
};

const saved = new Map<string, string | undefined>();

beforeEach(() => {
  for (const name of [...Object.keys(PLANTED), INHERIT_ENV_VARIABLE, 'LC_ALL', 'TERM'])
    saved.set(name, process.env[name]);
  Object.assign(process.env, PLANTED, { LC_ALL: 'C.UTF-8', TERM: 'xterm-test' });
  delete process.env[INHERIT_ENV_VARIABLE];
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  saved.clear();
});

afterAll(removeTemporaryFolders);

/** The build's `env`, as NAME=VALUE lines of its output, with no base environment given (the default). */
async function buildEnv(options: Parameters<typeof runLocalBuild>[1] = {}): Promise<Map<string, string>> {
  const { result, output } = await runLocalBuild(
    {
      version: 0.2,
      env: { variables: { FROM_BUILDSPEC: 'spec' } },
      phases: { build: { commands: ['env'] } },
    },
    { baseEnv: undefined, environmentVariables: [{ name: 'FROM_BUILD_ENV', value: 'passed' }], ...options },
  );
  expect(result.status).toBe('SUCCEEDED');
  return new Map(
    output
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('the environment a build starts with', () => {
  it("does not see the user's AWS credentials, profile, token or other secrets", async () => {
    const env = await buildEnv();

    for (const [name, value] of Object.entries(PLANTED)) {
      expect(env.has(name)).toBe(false);
      expect([...env.values()]).not.toContain(value);
    }
    expect(env.get('PATH')).toBe(process.env.PATH);
    expect(env.get('LC_ALL')).toBe('C.UTF-8');
    expect(env.get('TERM')).toBe('xterm-test');
    // What CodeBuild sets, and the variables passed on purpose.
    expect(env.get('AWS_REGION')).toBe('us-east-1');
    expect(env.get('AWS_DEFAULT_REGION')).toBe('us-east-1');
    expect(env.get('CODEBUILD_BUILD_ID')).toMatch(/^web-build:/);
    expect(env.get('HOME')).toMatch(/switchyard-build-.*\/home$/);
    expect(env.get('FROM_BUILDSPEC')).toBe('spec');
    expect(env.get('FROM_BUILD_ENV')).toBe('passed');
  });

  it("gets the build's AWS access (endpoint and credentials), and still none of the user's", async () => {
    const env = await buildEnv({
      awsAccess: { endpoint: 'http://127.0.0.1:4566', accessKeyId: 'AKIARUN', secretAccessKey: 'run-secret' },
    });

    expect(env.get('AWS_ENDPOINT_URL')).toBe('http://127.0.0.1:4566');
    expect(env.get('AWS_ACCESS_KEY_ID')).toBe('AKIARUN');
    expect(env.get('AWS_SECRET_ACCESS_KEY')).toBe('run-secret');
    expect(env.has('AWS_SESSION_TOKEN')).toBe(false);
    expect(env.has('AWS_PROFILE')).toBe(false);
  });

  it('gets the whole environment when asked: inheritEnv, or SWITCHYARD_BUILD_INHERIT_ENV=1 for the executor', async () => {
    const asked = await buildEnv({ inheritEnv: true });
    expect(asked.get('AWS_SESSION_TOKEN')).toBe('planted-session-token');
    expect(asked.get('SECRET_SOMETHING')).toBe('planted-secret');
    expect(asked.get('FROM_BUILD_ENV')).toBe('passed');

    process.env[INHERIT_ENV_VARIABLE] = '1';
    const inherited = await buildEnv();
    expect(inherited.get('AWS_PROFILE')).toBe('planted-profile');

    // The run's AWS access still wins over the user's credentials, and drops their session token and profile.
    const withAccess = await buildEnv({
      awsAccess: { endpoint: 'http://127.0.0.1:4566', accessKeyId: 'AKIARUN', secretAccessKey: 'run-secret' },
    });
    expect(withAccess.get('AWS_ACCESS_KEY_ID')).toBe('AKIARUN');
    expect(withAccess.has('AWS_SESSION_TOKEN')).toBe(false);
    expect(withAccess.get('SECRET_SOMETHING')).toBe('planted-secret');
  });

  it('takes an explicit base environment as is', async () => {
    const env = await buildEnv({ baseEnv: { PATH: process.env.PATH, CHOSEN: 'yes' } });

    expect(env.get('CHOSEN')).toBe('yes');
    expect(env.has('TERM')).toBe(false);
    expect(env.has('SECRET_SOMETHING')).toBe(false);
  });
});
