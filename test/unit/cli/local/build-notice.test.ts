/**
 * The notice `switchyard local` prints before it runs a repository's buildspec on this machine
 * (cli/local/build-notice.ts): once per commit of a --repo, never for the sample app, never with --trust.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildNotice, userCacheDir } from '../../../../cli/local/build-notice';
import { openRepository } from '../../../../cli/local/repository';

const SAMPLE = resolve(__dirname, '../../../../examples/sample-app');
const dir = mkdtempSync(join(tmpdir(), 'build-notice-'));
const repoPath = join(dir, 'their-app');
const cacheDir = join(dir, 'cache', 'switchyard');

function git(...args: string[]): void {
  execFileSync('git', ['-C', repoPath, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', ...args], {
    stdio: 'ignore',
  });
}

beforeAll(() => {
  cpSync(SAMPLE, repoPath, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'first');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the notice before a repository’s build runs here', () => {
  it('names the repository, the commit and the buildspec, what the build gets and how to hide it; once per commit', () => {
    const repo = openRepository({ repo: repoPath });

    const notice = buildNotice(repo, { cacheDir }).join('\n');

    expect(notice).toContain(`runs buildspec.yml of ${repoPath} (commit ${repo.commitId.slice(0, 12)})`);
    expect(notice).toContain('on this machine, as you');
    expect(notice).toMatch(/not your\s+AWS_PROFILE, AWS_SESSION_TOKEN/);
    expect(notice).toContain('--trust hides it');
    expect(statSync(cacheDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(cacheDir, 'announced-builds')).mode & 0o777).toBe(0o600);

    expect(buildNotice(repo, { cacheDir })).toEqual([]);

    writeFileSync(join(repoPath, 'buildspec.yml'), 'version: 0.2\nphases:\n  build:\n    commands: [env]\n');
    git('commit', '-q', '-am', 'second');
    const next = openRepository({ repo: repoPath });
    expect(buildNotice(next, { cacheDir }).join('\n')).toContain(`(commit ${next.commitId.slice(0, 12)})`);
  });

  it('says when the build gets the whole environment (--inherit-env)', () => {
    const repo = openRepository({ repo: repoPath });

    const notice = buildNotice(repo, { cacheDir: join(dir, 'other-cache'), inheritEnv: true }).join('\n');

    expect(notice).toContain('with your whole environment (--inherit-env)');
  });

  it('is not shown for the sample app, nor with --trust', () => {
    const sample = openRepository({});
    try {
      expect(buildNotice(sample, { cacheDir: join(dir, 'fresh-1') })).toEqual([]);
    } finally {
      rmSync(sample.path, { recursive: true, force: true });
    }
    expect(
      buildNotice(openRepository({ repo: repoPath }), { cacheDir: join(dir, 'fresh-2'), trust: true }),
    ).toEqual([]);
  });

  it('ignores a record that others could have written', () => {
    const repo = openRepository({ repo: repoPath });
    const shared = join(dir, 'shared-cache');
    expect(buildNotice(repo, { cacheDir: shared })).not.toEqual([]);
    chmodSync(join(shared, 'announced-builds'), 0o666);

    expect(buildNotice(repo, { cacheDir: shared })).not.toEqual([]);
  });

  it('keeps its record in $XDG_CACHE_HOME/switchyard, else ~/.cache/switchyard', () => {
    expect(userCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/switchyard');
    expect(userCacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/\/\.cache\/switchyard$/);
    expect(userCacheDir({})).toMatch(/\/\.cache\/switchyard$/);
  });
});
