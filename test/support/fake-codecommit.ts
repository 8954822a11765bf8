/**
 * An in-memory CodeCommit repository for tests: answers GetBranch, GetCommit, GetFolder and GetBlob from a
 * tree of files, the way the real API shapes them. Plug it into aws-sdk-client-mock with `mockCodeCommit`.
 */
import { createHash } from 'node:crypto';
import {
  BlobIdDoesNotExistException,
  CodeCommitClient,
  CommitDoesNotExistException,
  CommitIdDoesNotExistException,
  FolderDoesNotExistException,
  GetBlobCommand,
  GetBranchCommand,
  GetCommitCommand,
  GetFolderCommand,
} from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';

/** A file of the fake tree. */
export interface FakeFile {
  content: Buffer | string;
  mode?: 'file' | 'executable' | 'symlink';
}

/** The fake repository: one commit on one branch. */
export interface FakeRepository {
  name: string;
  branch: string;
  commitId: string;
  author: { name: string; email: string; date: string };
  message: string;
  files: Record<string, FakeFile>;
}

const FILE_MODE = { file: 'NORMAL', executable: 'EXECUTABLE', symlink: 'SYMLINK' } as const;

function blobId(file: FakeFile): string {
  const data = Buffer.from(file.content);
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Answers for each call, built from the repository. */
export function fakeCodeCommit(repo: FakeRepository) {
  const blobs = new Map<string, Buffer>();
  for (const file of Object.values(repo.files)) blobs.set(blobId(file), Buffer.from(file.content));
  const knows = (specifier: string | undefined) => specifier === repo.commitId || specifier === repo.branch;
  const checkCommit = (specifier: string | undefined) => {
    if (!knows(specifier)) {
      throw new CommitDoesNotExistException({ message: `Commit ${specifier} does not exist`, $metadata: {} });
    }
  };
  return {
    blobs,
    getBranch: () => ({ branch: { branchName: repo.branch, commitId: repo.commitId } }),
    getCommit: (input: { commitId?: string }) => {
      // GetCommit names its error differently from the folder and file calls, as the real API does.
      if (input.commitId !== repo.commitId) {
        throw new CommitIdDoesNotExistException({
          message: `Commit ${input.commitId} does not exist`,
          $metadata: {},
        });
      }
      return {
        commit: {
          commitId: repo.commitId,
          treeId: createHash('sha1').update(repo.commitId).digest('hex'),
          parents: [],
          message: repo.message,
          author: { ...repo.author, date: `${Math.floor(Date.parse(repo.author.date) / 1000)} +0000` },
          committer: { ...repo.author, date: `${Math.floor(Date.parse(repo.author.date) / 1000)} +0000` },
        },
      };
    },
    getFolder: (input: { commitSpecifier?: string; folderPath?: string }) => {
      checkCommit(input.commitSpecifier);
      const folder = (input.folderPath ?? '/').replace(/^\/+|\/+$/g, '');
      const prefix = folder === '' ? '' : `${folder}/`;
      const paths = Object.keys(repo.files).filter((path) => path.startsWith(prefix));
      if (folder !== '' && paths.length === 0) {
        throw new FolderDoesNotExistException({ message: `Folder ${folder} does not exist`, $metadata: {} });
      }
      const subFolders = new Set<string>();
      type Entry = { blobId: string; absolutePath: string; relativePath: string; fileMode: string };
      const files: Entry[] = [];
      const symbolicLinks: Entry[] = [];
      for (const path of paths) {
        const rest = path.slice(prefix.length);
        const slash = rest.indexOf('/');
        if (slash >= 0) {
          subFolders.add(rest.slice(0, slash));
          continue;
        }
        const file = repo.files[path] as FakeFile;
        const entry = {
          blobId: blobId(file),
          absolutePath: path,
          relativePath: rest,
          fileMode: FILE_MODE[file.mode ?? 'file'],
        };
        (file.mode === 'symlink' ? symbolicLinks : files).push(entry);
      }
      return {
        commitId: repo.commitId,
        folderPath: folder === '' ? '/' : folder,
        treeId: createHash('sha1').update(`tree:${folder}`).digest('hex'),
        subFolders: [...subFolders].map((name) => ({
          treeId: createHash('sha1').update(`tree:${prefix}${name}`).digest('hex'),
          absolutePath: `${prefix}${name}`,
          relativePath: name,
        })),
        files,
        symbolicLinks,
        subModules: [],
      };
    },
    getBlob: (input: { blobId?: string }) => {
      const content = blobs.get(input.blobId ?? '');
      if (!content)
        throw new BlobIdDoesNotExistException({
          message: `Blob ${input.blobId} does not exist`,
          $metadata: {},
        });
      return { content: new Uint8Array(content) };
    },
  };
}

/**
 * Makes every CodeCommitClient in this process answer from fake repositories (one per commit of the same
 * repository; the branch head is the last); returns the mock.
 */
export function mockCodeCommit(...repos: [FakeRepository, ...FakeRepository[]]) {
  const fakes = repos.map((repo) => ({ repo, fake: fakeCodeCommit(repo) }));
  const head = fakes[fakes.length - 1] as (typeof fakes)[number];
  const byCommit = (id: string | undefined) =>
    (fakes.find(({ repo }) => repo.commitId === id) ?? (id === head.repo.branch ? head : fakes[0]))?.fake ??
    head.fake;
  const mock = mockClient(CodeCommitClient);
  mock.on(GetBranchCommand).callsFake(head.fake.getBranch);
  mock
    .on(GetCommitCommand)
    .callsFake((input: { commitId?: string }) => byCommit(input.commitId).getCommit(input));
  mock
    .on(GetFolderCommand)
    .callsFake((input: { commitSpecifier?: string }) => byCommit(input.commitSpecifier).getFolder(input));
  mock.on(GetBlobCommand).callsFake((input: { blobId?: string }) => {
    const owner = fakes.find(({ fake }) => fake.blobs.has(input.blobId ?? ''));
    return (owner ?? head).fake.getBlob(input);
  });
  return mock;
}

/** A buildspec that needs no Docker: it writes the imageDetail.json a Docker build would. */
export const SAMPLE_BUILDSPEC = `version: 0.2
phases:
  build:
    commands:
      - ./scripts/build.sh
      - printf '{"ImageURI":"public.ecr.aws/nginx/nginx:%s"}' "$SHORT_COMMIT" > imageDetail.json
artifacts:
  files:
    - imageDetail.json
`;

export const SAMPLE_TASKDEF = `${JSON.stringify(
  {
    family: 'web',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
    containerDefinitions: [
      {
        name: 'web',
        image: '<IMAGE1_NAME>',
        memory: 512,
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'IMAGE', value: '<IMAGE1_NAME>' }],
      },
    ],
  },
  null,
  2,
)}\n`;

export const SAMPLE_APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
`;

/** A small repository like an application's: the three contract files, nested folders, and the hard cases. */
export function sampleRepository(commitId = '5a1c9e2b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a1c'): FakeRepository {
  return {
    name: 'switchyard-sample-app',
    branch: 'main',
    commitId,
    author: { name: 'Ada Lovelace', email: 'ada@example.com', date: '2026-11-20T10:00:00Z' },
    message: 'Add the health endpoint',
    files: {
      'buildspec.yml': { content: SAMPLE_BUILDSPEC },
      'taskdef.json': { content: SAMPLE_TASKDEF },
      'appspec.yaml': { content: SAMPLE_APPSPEC },
      'scripts/build.sh': { content: '#!/bin/sh\necho building\n', mode: 'executable' },
      'src/server.js': { content: 'require("http").createServer((q, r) => r.end("ok")).listen(8080);\n' },
      'src/lib/deep/nested/util.js': { content: 'module.exports = 42;\n' },
      'docs/ünïcødé – naïve.md': { content: '# Grüße 👋\n' },
      'empty.txt': { content: '' },
      current: { content: 'src/server.js', mode: 'symlink' },
    },
  };
}
