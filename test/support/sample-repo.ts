/**
 * A local git repository of the sample app for tests that run `switchyard local --repo` as a user would: git with
 * no configuration of the user's, a fixed identity, and optionally a buildspec of the test's own.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** examples/sample-app, the app `switchyard local` deploys by default. */
export const SAMPLE_APP = resolve(__dirname, '../../examples/sample-app');

/** git's environment: none of the user's GIT_* variables or configuration, a fixed author and committer. */
export const GIT_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/** Runs git in `repo` with GIT_ENV; returns its output, trimmed. */
export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, env: GIT_ENV, encoding: 'utf8' }).trim();
}

/**
 * The sample app copied to `<dir>/app` and committed on `main` as one commit `message`; with `buildCommands`, its
 * buildspec runs them in the build phase after writing the imageDetail.json the pipeline needs.
 */
export function localSampleRepository(dir: string, message: string, buildCommands?: string[]): string {
  const repo = join(dir, 'app');
  cpSync(SAMPLE_APP, repo, { recursive: true });
  if (buildCommands) {
    writeFileSync(
      join(repo, 'buildspec.yml'),
      [
        'version: 0.2',
        'phases:',
        '  build:',
        '    commands:',
        `      - printf '{"ImageURI":"public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine"}' > imageDetail.json`,
        ...buildCommands.map((command) => `      - ${command}`),
        'artifacts:',
        '  files:',
        '    - imageDetail.json',
        '',
      ].join('\n'),
    );
  }
  git(repo, 'init', '--quiet', '--initial-branch=main');
  git(repo, 'add', '--all');
  git(repo, 'commit', '--quiet', '-m', message);
  return repo;
}
