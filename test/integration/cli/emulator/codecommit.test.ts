import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CodeCommitClient,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  GetBlobCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetFileCommand,
  GetFolderCommand,
  type GetFolderCommandInput,
  GetRepositoryCommand,
} from '@aws-sdk/client-codecommit';
import { useMoto } from '../../../support/moto';

const REPO = 'switchyard-app';
const MiB = 1024 * 1024;
const SUBMODULE_COMMIT = '0123456789abcdef0123456789abcdef01234567';
const UNICODE_NAME = 'ünïcødé – naïve.md';
const UNICODE_CONTENT = '# Grüße 👋\n';
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const AUTHOR_DATE = '1484167798 -0800';
const COMMITTER_DATE = '1484171398 +0530';

/** git with no user or system configuration, and no GIT_* variables from the caller. */
const gitEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_'))),
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_AUTHOR_DATE: AUTHOR_DATE,
  GIT_COMMITTER_NAME: 'Grace Hopper',
  GIT_COMMITTER_EMAIL: 'grace@example.com',
  GIT_COMMITTER_DATE: COMMITTER_DATE,
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim();
}

function write(root: string, path: string, content: string | Buffer): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

interface Fixture {
  dir: string;
  worktree: string;
  bare: string;
  first: string;
  second: string;
  /** `git rev-parse <commit>:<path>`: the id of a blob or tree. */
  id(commit: string, path: string): string;
}

/**
 * A worktree repository with two commits on main (HEAD) and the first one also on `release` and tag
 * `v1`; the second adds a file of exactly 6 MiB and one of 6 MiB + 1 byte. Plus a bare clone.
 */
function buildFixture(): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-codecommit-'));
  const worktree = join(dir, 'app');
  mkdirSync(worktree);
  git(worktree, 'init', '--quiet', '--initial-branch=main');
  write(worktree, 'README.md', '# App\n');
  write(worktree, 'buildspec.yml', 'version: 0.2\n');
  write(worktree, 'src/server.js', 'console.log("ok");\n');
  write(worktree, 'src/lib/deep/nested/util.js', 'module.exports = 42;\n');
  write(worktree, 'scripts/build.sh', '#!/bin/sh\necho building\n');
  chmodSync(join(worktree, 'scripts/build.sh'), 0o755);
  symlinkSync('src/server.js', join(worktree, 'current'));
  write(worktree, `docs/${UNICODE_NAME}`, UNICODE_CONTENT);
  write(worktree, 'docs/star*.txt', 'a literal star\n');
  write(worktree, 'empty.txt', '');
  write(worktree, 'bytes.bin', ALL_BYTES);
  git(worktree, 'add', '--all');
  git(worktree, 'update-index', '--add', '--cacheinfo', `160000,${SUBMODULE_COMMIT},vendor/lib`);
  git(worktree, 'commit', '--quiet', '--message', 'Add the app\n\nWith a body line.');
  const first = git(worktree, 'rev-parse', 'HEAD');
  git(worktree, 'branch', 'release');
  git(worktree, 'tag', '--annotate', 'v1', '--message', 'Version 1');

  write(worktree, 'README.md', '# App, second edition\n');
  write(worktree, 'limit.bin', Buffer.alloc(6 * MiB, 0x61));
  write(worktree, 'big.bin', Buffer.alloc(6 * MiB + 1, 0x62));
  git(worktree, 'add', '--all');
  git(worktree, 'commit', '--quiet', '--message', 'Add large files');
  const second = git(worktree, 'rev-parse', 'HEAD');

  const bare = join(dir, 'app.git');
  git(dir, 'clone', '--quiet', '--bare', worktree, bare);
  return {
    dir,
    worktree,
    bare,
    first,
    second,
    id: (commit, path) => git(worktree, 'rev-parse', `${commit}:${path}`),
  };
}

describe('CodeCommit served from a local git repository by the emulator', () => {
  const moto = useMoto();
  const codecommit = new CodeCommitClient({});
  let repo: Fixture;

  beforeAll(() => {
    repo = buildFixture();
  });
  afterAll(() => {
    if (repo) rmSync(repo.dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await moto.serveGitRepository({ name: REPO, path: repo.worktree });
  });

  const folder = (input: Omit<GetFolderCommandInput, 'repositoryName'>) =>
    codecommit.send(new GetFolderCommand({ repositoryName: REPO, ...input }));
  const blob = async (blobId: string) =>
    Buffer.from((await codecommit.send(new GetBlobCommand({ repositoryName: REPO, blobId }))).content ?? []);
  const fails = (name: string, status = 400) => ({ name, $metadata: { httpStatusCode: status } });

  describe('binding', () => {
    it('creates the repository in moto, with the default branch, and rebinding keeps it', async () => {
      const again = await moto.serveGitRepository({ name: REPO, path: repo.worktree });
      expect(again).toMatchObject({ name: REPO, path: repo.worktree, created: false, region: 'us-east-1' });
      expect(again.gitDir).toBe(join(repo.worktree, '.git'));

      const { repositoryMetadata } = await codecommit.send(
        new GetRepositoryCommand({ repositoryName: REPO }),
      );
      expect(repositoryMetadata?.repositoryName).toBe(REPO);
      expect(repositoryMetadata?.defaultBranch).toBe('main');
      expect(repositoryMetadata?.creationDate).toBeInstanceOf(Date);
    });

    it('refuses paths that are not the root of a git repository, and bad names', async () => {
      await expect(moto.serveGitRepository({ name: 'other', path: 'relative/app' })).rejects.toThrow(
        /answered 400: .*expected the absolute path/,
      );
      await expect(
        moto.serveGitRepository({ name: 'other', path: join(repo.dir, 'missing') }),
      ).rejects.toThrow(/answered 400: .*is not a directory/);
      const plain = join(repo.dir, 'plain');
      mkdirSync(plain, { recursive: true });
      await expect(moto.serveGitRepository({ name: 'other', path: plain })).rejects.toThrow(
        /answered 400: .*is not a git repository/,
      );
      await expect(
        moto.serveGitRepository({ name: 'other', path: join(repo.worktree, 'src') }),
      ).rejects.toThrow(/answered 400: .*is not its root/);
      await expect(moto.serveGitRepository({ name: 'bad name!', path: repo.worktree })).rejects.toThrow(
        /answered 400: .*repository name/,
      );
      await expect(
        codecommit.send(new GetRepositoryCommand({ repositoryName: 'other' })),
      ).rejects.toMatchObject(fails('RepositoryDoesNotExistException'));
    });

    it('serves a bare repository, and reads it at each call (a branch pushed after binding shows)', async () => {
      await moto.serveGitRepository({ name: 'bare-app', path: repo.bare });
      git(repo.worktree, 'push', '--quiet', repo.bare, `${repo.first}:refs/heads/feature/late`);
      const late = await codecommit.send(
        new GetBranchCommand({ repositoryName: 'bare-app', branchName: 'feature/late' }),
      );
      expect(late.branch).toEqual({ branchName: 'feature/late', commitId: repo.first });
      const root = await codecommit.send(
        new GetFolderCommand({ repositoryName: 'bare-app', folderPath: '/', commitSpecifier: 'main' }),
      );
      const { $metadata: _, ...served } = root;
      const { $metadata: __, ...fromWorktree } = await folder({ folderPath: '/' });
      expect(served).toEqual(fromWorktree);
    });

    it('binds in the account and region asked for', async () => {
      await moto.serveGitRepository({ name: 'eu-app', path: repo.worktree, region: 'eu-west-1' });
      const eu = new CodeCommitClient({ region: 'eu-west-1' });
      const branch = await eu.send(new GetBranchCommand({ repositoryName: 'eu-app', branchName: 'main' }));
      expect(branch.branch?.commitId).toBe(repo.second);
      await expect(
        codecommit.send(new GetBranchCommand({ repositoryName: 'eu-app', branchName: 'main' })),
      ).rejects.toMatchObject(fails('RepositoryDoesNotExistException'));
    });

    it('is cleared by reset and by DeleteRepository; an unbound repository is moto as before', async () => {
      await moto.reset();
      await expect(codecommit.send(new GetRepositoryCommand({ repositoryName: REPO }))).rejects.toMatchObject(
        fails('RepositoryDoesNotExistException'),
      );
      await expect(
        codecommit.send(new GetBranchCommand({ repositoryName: REPO, branchName: 'main' })),
      ).rejects.toMatchObject(fails('RepositoryDoesNotExistException'));

      // Recreated without a binding: moto does not implement the read, which the emulator reports as its own
      // failure (EmulatorFailure), not the git repository's answer.
      await codecommit.send(new CreateRepositoryCommand({ repositoryName: REPO }));
      await expect(
        codecommit.send(new GetBranchCommand({ repositoryName: REPO, branchName: 'main' })),
      ).rejects.toMatchObject({ name: 'EmulatorFailure' });

      await moto.serveGitRepository({ name: REPO, path: repo.worktree });
      await expect(
        codecommit.send(new GetBranchCommand({ repositoryName: REPO, branchName: 'main' })),
      ).resolves.toMatchObject({ branch: { commitId: repo.second } });
      await codecommit.send(new DeleteRepositoryCommand({ repositoryName: REPO }));
      await codecommit.send(new CreateRepositoryCommand({ repositoryName: REPO }));
      await expect(folder({ folderPath: '' })).rejects.toMatchObject({ name: 'EmulatorFailure' });
    });
  });

  describe('GetBranch', () => {
    it('returns the commit a branch points to', async () => {
      const main = await codecommit.send(new GetBranchCommand({ repositoryName: REPO, branchName: 'main' }));
      expect(main.branch).toEqual({ branchName: 'main', commitId: repo.second });
      const release = await codecommit.send(
        new GetBranchCommand({ repositoryName: REPO, branchName: 'release' }),
      );
      expect(release.branch).toEqual({ branchName: 'release', commitId: repo.first });
    });

    it('answers the API errors; branch and repository names are case-sensitive; a tag is not a branch', async () => {
      const branch = (repositoryName: string, branchName?: string) =>
        codecommit.send(new GetBranchCommand({ repositoryName, branchName }));
      await expect(branch(REPO, 'Main')).rejects.toMatchObject(fails('BranchDoesNotExistException'));
      await expect(branch(REPO, 'v1')).rejects.toMatchObject(fails('BranchDoesNotExistException'));
      await expect(branch(REPO)).rejects.toMatchObject(fails('BranchNameRequiredException'));
      await expect(branch('Switchyard-App', 'main')).rejects.toMatchObject(
        fails('RepositoryDoesNotExistException'),
      );
    });
  });

  describe('GetCommit', () => {
    it('returns the commit as the API shapes it, dates as "<epoch seconds> <UTC offset>"', async () => {
      const { commit } = await codecommit.send(
        new GetCommitCommand({ repositoryName: REPO, commitId: repo.first }),
      );
      expect(commit).toEqual({
        commitId: repo.first,
        treeId: git(repo.worktree, 'rev-parse', `${repo.first}^{tree}`),
        parents: [],
        message: 'Add the app\n\nWith a body line.\n',
        author: { name: 'Ada Lovelace', email: 'ada@example.com', date: AUTHOR_DATE },
        committer: { name: 'Grace Hopper', email: 'grace@example.com', date: COMMITTER_DATE },
        additionalData: '',
      });
      const second = await codecommit.send(
        new GetCommitCommand({ repositoryName: REPO, commitId: repo.second }),
      );
      expect(second.commit?.parents).toEqual([repo.first]);
      expect(second.commit?.message).toBe('Add large files\n');
    });

    it('takes only a full commit id', async () => {
      const commit = (commitId: string) =>
        codecommit.send(new GetCommitCommand({ repositoryName: REPO, commitId }));
      await expect(commit('main')).rejects.toMatchObject(fails('InvalidCommitIdException'));
      await expect(commit(repo.first.slice(0, 7))).rejects.toMatchObject(fails('InvalidCommitIdException'));
      await expect(commit('f'.repeat(40))).rejects.toMatchObject(fails('CommitIdDoesNotExistException'));
      await expect(commit(repo.id(repo.first, 'README.md'))).rejects.toMatchObject(
        fails('CommitIdDoesNotExistException'),
      );
    });
  });

  describe('GetFolder', () => {
    it('lists the root: folders, files with their modes, symlinks', async () => {
      const { $metadata, ...root } = await folder({ folderPath: '', commitSpecifier: repo.first });
      const file = (path: string, fileMode = 'NORMAL') => ({
        blobId: repo.id(repo.first, path),
        absolutePath: path,
        relativePath: path,
        fileMode,
      });
      const sub = (path: string) => ({
        treeId: repo.id(repo.first, path),
        absolutePath: path,
        relativePath: path,
      });
      expect(root).toEqual({
        commitId: repo.first,
        folderPath: '',
        treeId: git(repo.worktree, 'rev-parse', `${repo.first}^{tree}`),
        subFolders: [sub('docs'), sub('scripts'), sub('src'), sub('vendor')],
        files: [file('README.md'), file('buildspec.yml'), file('bytes.bin'), file('empty.txt')],
        symbolicLinks: [file('current', 'SYMLINK')],
        subModules: [],
      });
    });

    it('lists nested folders with absolute and relative paths, executables, submodules and unicode names', async () => {
      const nested = await folder({ folderPath: '/src/lib/deep/nested', commitSpecifier: repo.first });
      expect(nested.folderPath).toBe('src/lib/deep/nested');
      expect(nested.treeId).toBe(repo.id(repo.first, 'src/lib/deep/nested'));
      expect(nested.files).toEqual([
        {
          blobId: repo.id(repo.first, 'src/lib/deep/nested/util.js'),
          absolutePath: 'src/lib/deep/nested/util.js',
          relativePath: 'util.js',
          fileMode: 'NORMAL',
        },
      ]);
      const src = await folder({ folderPath: 'src/', commitSpecifier: repo.first });
      expect(src.subFolders).toEqual([
        { treeId: repo.id(repo.first, 'src/lib'), absolutePath: 'src/lib', relativePath: 'lib' },
      ]);

      const scripts = await folder({ folderPath: 'scripts', commitSpecifier: repo.first });
      expect(scripts.files?.map((f) => [f.absolutePath, f.fileMode])).toEqual([
        ['scripts/build.sh', 'EXECUTABLE'],
      ]);

      const vendor = await folder({ folderPath: 'vendor', commitSpecifier: repo.first });
      expect(vendor).toMatchObject({ files: [], subFolders: [], symbolicLinks: [] });
      expect(vendor.subModules).toEqual([
        { commitId: SUBMODULE_COMMIT, absolutePath: 'vendor/lib', relativePath: 'lib' },
      ]);

      const docs = await folder({ folderPath: 'docs', commitSpecifier: repo.first });
      expect(docs.files?.map((f) => f.relativePath)).toEqual([UNICODE_NAME, 'star*.txt'].sort());
      const unicode = docs.files?.find((f) => f.relativePath === UNICODE_NAME);
      expect(unicode?.absolutePath).toBe(`docs/${UNICODE_NAME}`);
      expect((await blob(unicode?.blobId ?? '')).toString('utf8')).toBe(UNICODE_CONTENT);
    });

    it('resolves a commit id, a branch, a tag, a full ref, HEAD, or nothing (HEAD)', async () => {
      const commitOf = async (commitSpecifier?: string) =>
        (await folder({ folderPath: '/', ...(commitSpecifier === undefined ? {} : { commitSpecifier }) }))
          .commitId;
      expect(await commitOf(repo.first)).toBe(repo.first);
      expect(await commitOf(repo.second)).toBe(repo.second);
      expect(await commitOf('release')).toBe(repo.first);
      expect(await commitOf('v1')).toBe(repo.first);
      expect(await commitOf('refs/heads/release')).toBe(repo.first);
      expect(await commitOf('main')).toBe(repo.second);
      expect(await commitOf('HEAD')).toBe(repo.second);
      expect(await commitOf()).toBe(repo.second);
      // The folder's content follows the commit: README.md changed in the second one.
      const readme = async (commitSpecifier: string) =>
        (await folder({ folderPath: '', commitSpecifier })).files?.find((f) => f.absolutePath === 'README.md')
          ?.blobId;
      expect(await readme('release')).toBe(repo.id(repo.first, 'README.md'));
      expect(await readme('HEAD')).toBe(repo.id(repo.second, 'README.md'));
    });

    it('answers FolderDoesNotExist and CommitDoesNotExist; no git revision syntax', async () => {
      for (const folderPath of [
        'nope',
        'SRC',
        'README.md',
        'current',
        'vendor/lib',
        'src/lib/deep/nested/util.js',
      ]) {
        await expect(folder({ folderPath, commitSpecifier: repo.first })).rejects.toMatchObject(
          fails('FolderDoesNotExistException'),
        );
      }
      await expect(folder({ folderPath: 'src', commitSpecifier: 'nope' })).rejects.toMatchObject(
        fails('CommitDoesNotExistException'),
      );
      await expect(folder({ folderPath: 'src', commitSpecifier: 'f'.repeat(40) })).rejects.toMatchObject(
        fails('CommitDoesNotExistException'),
      );
      await expect(folder({ folderPath: 'src', commitSpecifier: 'main~1' })).rejects.toMatchObject(
        fails('InvalidCommitException'),
      );
      await expect(folder({ folderPath: '../src', commitSpecifier: 'main' })).rejects.toMatchObject(
        fails('InvalidPathException'),
      );
    });
  });

  describe('GetBlob', () => {
    it('returns the content, byte for byte', async () => {
      expect((await blob(repo.id(repo.first, 'bytes.bin'))).equals(ALL_BYTES)).toBe(true);
      expect(await blob(repo.id(repo.first, 'empty.txt'))).toHaveLength(0);
      expect((await blob(repo.id(repo.first, 'current'))).toString()).toBe('src/server.js');
      expect((await blob(repo.id(repo.second, 'README.md'))).toString()).toBe('# App, second edition\n');
    });

    it('returns a blob of exactly 6 MiB and refuses one byte more with FileTooLargeException', async () => {
      const limit = await blob(repo.id(repo.second, 'limit.bin'));
      expect(limit.length).toBe(6 * MiB);
      expect(limit.every((byte) => byte === 0x61)).toBe(true);
      await expect(blob(repo.id(repo.second, 'big.bin'))).rejects.toMatchObject(
        fails('FileTooLargeException'),
      );
    });

    it('answers BlobIdDoesNotExist for unknown ids and for trees, InvalidBlobId for malformed ids', async () => {
      await expect(blob('f'.repeat(40))).rejects.toMatchObject(fails('BlobIdDoesNotExistException'));
      await expect(blob(repo.id(repo.first, 'src'))).rejects.toMatchObject(
        fails('BlobIdDoesNotExistException'),
      );
      await expect(blob(repo.first)).rejects.toMatchObject(fails('BlobIdDoesNotExistException'));
      await expect(blob('HEAD:README.md')).rejects.toMatchObject(fails('InvalidBlobIdException'));
    });
  });

  describe('GetFile', () => {
    const file = (filePath: string, commitSpecifier?: string) =>
      codecommit.send(new GetFileCommand({ repositoryName: REPO, filePath, commitSpecifier }));

    it('returns a file by path with its mode, size and content', async () => {
      const { $metadata, fileContent, ...unicode } = await file(`/docs/${UNICODE_NAME}`, 'release');
      expect(unicode).toEqual({
        commitId: repo.first,
        blobId: repo.id(repo.first, `docs/${UNICODE_NAME}`),
        filePath: `docs/${UNICODE_NAME}`,
        fileMode: 'NORMAL',
        fileSize: Buffer.byteLength(UNICODE_CONTENT),
      });
      expect(Buffer.from(fileContent ?? []).toString('utf8')).toBe(UNICODE_CONTENT);

      expect((await file('scripts/build.sh', repo.first)).fileMode).toBe('EXECUTABLE');
      const link = await file('current', repo.first);
      expect([link.fileMode, Buffer.from(link.fileContent ?? []).toString()]).toEqual([
        'SYMLINK',
        'src/server.js',
      ]);
      const readme = await file('README.md');
      expect([readme.commitId, Buffer.from(readme.fileContent ?? []).toString()]).toEqual([
        repo.second,
        '# App, second edition\n',
      ]);
      // Paths are literal: a star is a character, not a glob.
      expect(Buffer.from((await file('docs/star*.txt', 'v1')).fileContent ?? []).toString()).toBe(
        'a literal star\n',
      );
    });

    it('answers FileDoesNotExist for folders, submodules and globs, FileTooLarge over 6 MiB', async () => {
      for (const filePath of ['src', 'vendor/lib', 'docs/s*', 'docs/ÜNÏCØDÉ – NAÏVE.md', 'limit.bin']) {
        await expect(file(filePath, repo.first)).rejects.toMatchObject(fails('FileDoesNotExistException'));
      }
      expect((await file('limit.bin', 'main')).fileSize).toBe(6 * MiB);
      await expect(file('big.bin', 'main')).rejects.toMatchObject(fails('FileTooLargeException'));
    });
  });
});
