import { globToRegExp, selectArtifactFiles, type TreeEntry } from '../../../../cli/build/artifact-selection';
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
