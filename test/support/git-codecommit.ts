/**
 * FakeRepository trees as real git repositories that the emulator serves as CodeCommit: its read API (GetBranch,
 * GetCommit, GetFolder, GetBlob) and the CODECOMMIT source its builds clone. Commit ids are git's own, stable
 * from run to run: author and committer dates are the snapshot's, and no user or system git configuration is read.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FakeRepository } from './fake-codecommit';
import type { MotoControls } from './moto';

/** Snapshots of one repository's tree, oldest first; the branch head is the last. */
export type Snapshots = [FakeRepository, ...FakeRepository[]];

/** The same snapshots, each with the id of the commit that holds it. */
export type Committed<T extends FakeRepository[]> = { [K in keyof T]: FakeRepository };

/**
 * Commits each snapshot's whole tree (paths, bytes, executable bits, symlinks), author and message in turn on
 * the snapshots' branch of a new git repository in `dir`; returns the snapshots with their real commit ids.
 */
export function commitSnapshots<T extends Snapshots>(dir: string, snapshots: T): Committed<T> {
  const [first] = snapshots;
  const stray = snapshots.find((s) => s.name !== first.name || s.branch !== first.branch);
  if (stray) {
    throw new Error(
      `snapshots of one repository must share name and branch: "${stray.name}" (${stray.branch}) ` +
        `after "${first.name}" (${first.branch})`,
    );
  }
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  const git = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: { ...clean, ...env }, encoding: 'utf8' }).trim();
  const quiet = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  git(quiet, 'init', '--quiet', `--initial-branch=${first.branch}`);
  return snapshots.map((snapshot) => {
    // Each snapshot is a whole tree: what the previous commit had and this one lacks is deleted.
    git(quiet, 'rm', '-r', '--quiet', '--ignore-unmatch', '--', '.');
    for (const [path, file] of Object.entries(snapshot.files)) {
      const target = join(dir, path);
      mkdirSync(dirname(target), { recursive: true });
      if (file.mode === 'symlink') symlinkSync(String(file.content), target);
      else writeFileSync(target, file.content);
      if (file.mode === 'executable') chmodSync(target, 0o755);
    }
    git(quiet, 'add', '--all');
    const date = `${Math.floor(Date.parse(snapshot.author.date) / 1000)} +0000`;
    const author = {
      ...quiet,
      GIT_AUTHOR_NAME: snapshot.author.name,
      GIT_AUTHOR_EMAIL: snapshot.author.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: snapshot.author.name,
      GIT_COMMITTER_EMAIL: snapshot.author.email,
      GIT_COMMITTER_DATE: date,
    };
    git(author, 'commit', '--quiet', '--allow-empty', '--no-verify', '--message', snapshot.message);
    return { ...snapshot, commitId: git(quiet, 'rev-parse', 'HEAD') };
  }) as Committed<T>;
}

/**
 * Call inside a describe, after useMoto: `serve(...snapshots)` commits the snapshots to a git repository in a
 * temp directory and binds it to their repository name in the emulator. The emulator's reset drops the binding,
 * so serve in each test (or beforeEach); the directories are removed after each test.
 */
export function useGitCodeCommit(moto: Pick<MotoControls, 'serveGitRepository'>) {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  return async function serve<T extends Snapshots>(...snapshots: T): Promise<Committed<T>> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-codecommit-'));
    dirs.push(dir);
    const committed = commitSnapshots(dir, snapshots);
    await moto.serveGitRepository({ name: snapshots[0].name, path: dir });
    return committed;
  };
}
