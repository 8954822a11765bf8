import {
  absoluteRoots,
  globToRegExp,
  selectArtifactFiles,
  type TreeEntry,
} from '../../../../cli/build/artifact-selection';
import type { BuildspecArtifacts } from '../../../../cli/build/buildspec-schema';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';

describe('selectArtifactFiles', () => {
  const tree: TreeEntry[] = [
    { path: 'buildspec.yml', kind: 'file' },
    { path: 'imageDetail.json', kind: 'file' },
    { path: 'my-build-1', kind: 'directory' },
    { path: 'my-build-1/my-file-1.txt', kind: 'file' },
    { path: 'my-build-2', kind: 'directory' },
    { path: 'my-build-2/my-file-2.txt', kind: 'file' },
    { path: 'my-build-2/my-subdirectory', kind: 'directory' },
    { path: 'my-build-2/my-subdirectory/my-file-3.txt', kind: 'file' },
    { path: 'my-build-2/my-subdirectory/.hidden', kind: 'file' },
    { path: 'my-build-2/link', kind: 'symlink' },
  ];
  const artifacts = (overrides: Partial<BuildspecArtifacts>): BuildspecArtifacts => ({
    files: ['**/*'],
    discardPaths: false,
    excludePaths: [],
    enableSymlinks: false,
    ...overrides,
  });
  const select = (overrides: Partial<BuildspecArtifacts>) =>
    selectArtifactFiles(tree, artifacts(overrides)).map((f) =>
      f.source === f.archivePath ? f.source : `${f.source} -> ${f.archivePath}`,
    );

  it.each<[string, Partial<BuildspecArtifacts>, string[]]>([
    [
      '**/* takes every file, links and dot files included',
      {},
      tree.filter((e) => e.kind !== 'directory').map((e) => e.path),
    ],
    ['*.json stays at the top level', { files: ['*.json'] }, ['imageDetail.json']],
    ['a single file by path', { files: ['./my-build-2/my-file-2.txt'] }, ['my-build-2/my-file-2.txt']],
    [
      'dir/* takes the files directly in dir',
      { files: ['my-build-2/*'] },
      ['my-build-2/my-file-2.txt', 'my-build-2/link'],
    ],
    [
      'dir/**/* takes dir recursively',
      { files: ['my-build-2/**/*'] },
      [
        'my-build-2/my-file-2.txt',
        'my-build-2/my-subdirectory/my-file-3.txt',
        'my-build-2/my-subdirectory/.hidden',
        'my-build-2/link',
      ],
    ],
    [
      'a plain directory name takes everything under it',
      { files: ['my-build-2/my-subdirectory/'] },
      ['my-build-2/my-subdirectory/my-file-3.txt', 'my-build-2/my-subdirectory/.hidden'],
    ],
    [
      'the documented base-directory example',
      { files: ['*/my-file-3.txt'], baseDirectory: 'my-build-2' },
      ['my-build-2/my-subdirectory/my-file-3.txt -> my-subdirectory/my-file-3.txt'],
    ],
    [
      'the documented base-directory glob with discard-paths',
      { baseDirectory: 'my-build*', discardPaths: true, excludePaths: ['**/.*', 'link'] },
      [
        'my-build-1/my-file-1.txt -> my-file-1.txt',
        'my-build-2/my-file-2.txt -> my-file-2.txt',
        'my-build-2/my-subdirectory/my-file-3.txt -> my-file-3.txt',
      ],
    ],
    [
      'exclude-paths relative to the base directory',
      { baseDirectory: 'my-build-2', excludePaths: ['my-subdirectory/**/*'] },
      ['my-build-2/my-file-2.txt -> my-file-2.txt', 'my-build-2/link -> link'],
    ],
    ['base-directory "." is the source root', { baseDirectory: '.', files: ['*.yml'] }, ['buildspec.yml']],
  ])('%s', (_case, overrides, expected) => {
    expect(select(overrides)).toEqual(expected);
  });

  it('keeps the first of two files that discard-paths gives the same name', () => {
    const twins: TreeEntry[] = [
      { path: 'a/x.txt', kind: 'file' },
      { path: 'b/x.txt', kind: 'file' },
    ];
    expect(selectArtifactFiles(twins, artifacts({ discardPaths: true }))).toEqual([
      { source: 'a/x.txt', archivePath: 'x.txt' },
    ]);
  });

  it('fails as CodeBuild does when nothing matches', () => {
    expect(() => select({ files: ['dist/**/*'] })).toThrow(
      new InvalidInputError('no matching artifact paths found'),
    );
  });

  it('fails as CodeBuild does when the base directory does not exist', () => {
    expect(() => select({ baseDirectory: 'dist' })).toThrow(
      new InvalidInputError('no matching base directory path found for dist'),
    );
  });
});

describe('selectArtifactFiles with absolute locations (files outside CODEBUILD_SRC_DIR)', () => {
  const tree: TreeEntry[] = [
    { path: 'imageDetail.json', kind: 'file' },
    { path: 'dist', kind: 'directory' },
    { path: 'dist/app.js', kind: 'file' },
    { path: '/tmp/build.json', kind: 'file' },
    { path: '/tmp/out', kind: 'directory' },
    { path: '/tmp/out/taskdef.json', kind: 'file' },
    { path: '/tmp/out/debug.log', kind: 'file' },
  ];
  const select = (overrides: Partial<BuildspecArtifacts>) =>
    selectArtifactFiles(tree, {
      files: [],
      discardPaths: false,
      excludePaths: [],
      enableSymlinks: false,
      ...overrides,
    });

  it.each<[string, Partial<BuildspecArtifacts>, Array<[string, string]>]>([
    [
      'with discard-paths an absolute file is named by its file name (the AWS sample)',
      { files: ['/tmp/build.json', 'imageDetail.json'], discardPaths: true },
      [
        ['imageDetail.json', 'imageDetail.json'],
        ['/tmp/build.json', 'build.json'],
      ],
    ],
    [
      'without discard-paths it keeps its path from /',
      { files: ['/tmp/build.json'] },
      [['/tmp/build.json', 'tmp/build.json']],
    ],
    [
      'an absolute glob matches outside the source, and exclude-paths apply to it',
      { files: ['/tmp/out/*'], excludePaths: ['**/*.log'] },
      [['/tmp/out/taskdef.json', 'tmp/out/taskdef.json']],
    ],
    [
      'an absolute folder takes everything under it; base-directory does not apply to it',
      { files: ['/tmp/out', 'app.js'], baseDirectory: 'dist', excludePaths: ['/tmp/out/*.log'] },
      [
        ['dist/app.js', 'app.js'],
        ['/tmp/out/taskdef.json', 'tmp/out/taskdef.json'],
      ],
    ],
    [
      'a relative glob never reaches outside the source',
      { files: ['**/*.json'] },
      [['imageDetail.json', 'imageDetail.json']],
    ],
  ])('%s', (_case, overrides, expected) => {
    expect(select(overrides).map((file) => [file.source, file.archivePath])).toEqual(expected);
  });

  it('fails as CodeBuild does when the absolute file does not exist', () => {
    expect(() => select({ files: ['/tmp/missing.json'] })).toThrow(
      new InvalidInputError('no matching artifact paths found'),
    );
  });

  it('lists each absolute location from its fixed folder, only as deep as its pattern reaches', () => {
    expect(
      absoluteRoots(['/tmp/build.json', '/tmp/out/*.json', '/var/x/*/y.txt', '/tmp/**/*.json', 'a/*']),
    ).toEqual([
      { location: '/tmp/build.json', root: '/tmp/build.json', depth: Number.POSITIVE_INFINITY },
      { location: '/tmp/out/*.json', root: '/tmp/out', depth: 1 },
      { location: '/var/x/*/y.txt', root: '/var/x', depth: 2 },
      { location: '/tmp/**/*.json', root: '/tmp', depth: Number.POSITIVE_INFINITY },
    ]);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['**/*', 'a/b/c.txt', true],
    ['**/*', 'c.txt', true],
    ['*.json', 'a/b.json', false],
    ['a/*/c', 'a/b/c', true],
    ['a/*/c', 'a/b/x/c', false],
    ['a/**/c', 'a/c', true],
    ['a/**/c', 'a/b/x/c', true],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file/.txt', false],
    ['a.b+c(d)', 'a.b+c(d)', true],
    ['a.b', 'axb', false],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(globToRegExp(pattern).test(path)).toBe(expected);
  });
});
