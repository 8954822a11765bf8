/**
 * Reads a commit and its whole tree through the CodeCommit API (GetCommit, GetFolder per directory,
 * GetBlob per file), with bounded concurrency. The client retries throttled and transient calls (see
 * codecommit-client.ts); what still fails after its attempts is thrown here as a TransientAwsError.
 */
import {
  type CodeCommitClient,
  GetBlobCommand,
  GetCommitCommand,
  GetFolderCommand,
  type GetFolderOutput,
} from '@aws-sdk/client-codecommit';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { describeError, isTransient, SourceError, TransientAwsError } from '../shared/errors';
import type { EntryMode } from '../zip/write';
import { mapLimit } from './map-limit';

/** GetBlob returns at most 6 MB of content (FileTooLargeException beyond). */
export const GET_BLOB_LIMIT = 6 * 1024 * 1024;

/** A commit, as the pipeline records it. */
export interface CommitInfo {
  id: string;
  author: string;
  message: string;
  /** ISO 8601 UTC; the committer date (what git archive uses), else the author date. */
  timestamp: string;
  date: Date;
  utcOffsetMinutes: number;
}

/** A file or symlink of the tree; `path` is relative to the root, without a leading slash. */
export interface TreeEntry {
  path: string;
  blobId: string;
  mode: EntryMode;
}

/** The whole tree of a commit, entries sorted by the UTF-8 bytes of their path. */
export interface Tree {
  entries: TreeEntry[];
  /** Paths of submodules (GetFolder `subModules`), which the API cannot read. */
  submodules: string[];
  /** Names at the root: files and symlinks as they are, folders and submodules with a trailing slash. */
  root: string[];
}

/** Where to read from and how hard to push. */
export interface ReadOptions {
  repository: string;
  commitId: string;
  concurrency?: number;
}

/**
 * Sends one CodeCommit read, which the client has already retried; a transient failure that outlived
 * those attempts becomes a TransientAwsError naming the call (the state machine retries the state).
 */
async function sendRead<T>(label: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!outlivedRetries(error)) throw error;
    // The SDK's retry middleware records how many attempts it made on the error it finally throws.
    const attempts = (error as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
    const last = describeError(error);
    throw new TransientAwsError(
      `${label} still failed after ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${last})`,
      { cause: error },
    );
  }
}

/** Transient by our list, or by the SDK's own classification (a 429 or 502 without an error type is "Unknown"). */
function outlivedRetries(error: unknown): boolean {
  if (isTransient(error)) return true;
  if (!(error instanceof Error)) return false;
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  return isThrottlingError(sdkError) || isTransientError(sdkError);
}

const UNKNOWN_COMMIT_ERRORS = new Set([
  'CommitIdDoesNotExistException',
  'InvalidCommitIdException',
  'CommitDoesNotExistException',
]);

/** Reads a commit with GetCommit; a commit that does not exist is a SourceError. */
export async function readCommit(client: CodeCommitClient, options: ReadOptions): Promise<CommitInfo> {
  const { repository, commitId } = options;
  const label = `CodeCommit GetCommit ${commitId} in ${repository}`;
  const output = await sendRead(label, () =>
    client.send(new GetCommitCommand({ repositoryName: repository, commitId })),
  ).catch((error: unknown) => {
    // GetCommit answers CommitIdDoesNotExist (or InvalidCommitId); the folder calls answer CommitDoesNotExist.
    if (error instanceof Error && UNKNOWN_COMMIT_ERRORS.has(error.name)) {
      throw new SourceError(`commit ${commitId} does not exist in CodeCommit repository "${repository}"`, {
        cause: error,
      });
    }
    throw error;
  });
  const commit = output.commit;
  const when = parseGitDate(commit?.committer?.date) ?? parseGitDate(commit?.author?.date);
  if (commit === undefined || when === undefined) {
    throw new SourceError(`GetCommit for ${commitId} in "${repository}" returned no commit date`);
  }
  return {
    id: commit.commitId ?? commitId,
    author: commit.author?.name ?? commit.committer?.name ?? '',
    message: commit.message ?? '',
    timestamp: when.date.toISOString(),
    ...when,
  };
}

/** Parses CodeCommit's git-style date ("1484167798 -0800"), or an ISO date; undefined if neither. */
export function parseGitDate(
  value: string | undefined,
): { date: Date; utcOffsetMinutes: number } | undefined {
  if (value === undefined) return undefined;
  const git = /^(\d+)(?:\s+([+-])(\d{2})(\d{2}))?$/.exec(value.trim());
  if (git !== null) {
    const sign = git[2] === '-' ? -1 : 1;
    const offset = sign * (Number(git[3] ?? 0) * 60 + Number(git[4] ?? 0));
    return { date: new Date(Number(git[1]) * 1000), utcOffsetMinutes: offset };
  }
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : { date: new Date(parsed), utcOffsetMinutes: 0 };
}

/** Walks every folder of the commit (breadth first, `concurrency` GetFolder calls at a time). */
export async function listTree(client: CodeCommitClient, options: ReadOptions): Promise<Tree> {
  const root = await getFolder(client, options, '/');
  const tree: Tree = { entries: [], submodules: [], root: rootNames(root) };
  let level = [root];
  while (level.length > 0) {
    for (const folder of level) collect(tree, folder);
    const paths = level.flatMap((folder) =>
      (folder.subFolders ?? []).map((sub) => `/${clean(sub.absolutePath)}`),
    );
    level = await mapLimit(paths, options.concurrency ?? 8, (path) => getFolder(client, options, path));
  }
  tree.entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  tree.submodules.sort();
  return tree;
}

/**
 * Fetches the blobs of `entries` in order, at most `window` ahead of the consumer (so memory stays
 * bounded at about window × 6 MB). A failure of any prefetched blob (a file over the GetBlob limit)
 * is thrown at once, not when the consumer reaches it.
 */
export async function* readBlobs(
  client: CodeCommitClient,
  entries: readonly TreeEntry[],
  options: ReadOptions & { window?: number },
): AsyncGenerator<{ entry: TreeEntry; data: Buffer }> {
  // Not Promise.race against one long-lived "failure" promise: every race would stay attached to it,
  // and with it every blob it resolved to (a leak of the whole tree).
  let failed: { error: unknown } | undefined;
  let interrupt: ((error: unknown) => void) | undefined;
  const queue: Array<Promise<Buffer>> = [];
  let next = 0;
  for (const entry of entries) {
    for (; next < entries.length && queue.length < (options.window ?? 8); next += 1) {
      const fetching = getBlob(client, options, entries[next] as TreeEntry);
      fetching.catch((error: unknown) => {
        failed ??= { error };
        interrupt?.(error);
      });
      queue.push(fetching);
    }
    const head = queue.shift() ?? Promise.resolve(Buffer.alloc(0));
    const data = await new Promise<Buffer>((resolve, reject) => {
      if (failed !== undefined) reject(failed.error);
      interrupt = reject;
      head.then(resolve, reject);
    });
    interrupt = undefined;
    yield { entry, data };
  }
}

async function getBlob(client: CodeCommitClient, options: ReadOptions, entry: TreeEntry): Promise<Buffer> {
  const input = { repositoryName: options.repository, blobId: entry.blobId };
  const label = `CodeCommit GetBlob of "${entry.path}" in ${options.repository}@${options.commitId}`;
  const output = await sendRead(label, () => client.send(new GetBlobCommand(input))).catch(
    (error: unknown) => {
      if (error instanceof Error && error.name === 'FileTooLargeException') {
        throw tooLarge(options, entry, 'CodeCommit reports it is larger than', error);
      }
      throw error;
    },
  );
  const content = output.content ?? new Uint8Array(0);
  if (content.length > GET_BLOB_LIMIT) {
    throw tooLarge(options, entry, `it is ${content.length} bytes, over`);
  }
  return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
}

function tooLarge(options: ReadOptions, entry: TreeEntry, size: string, cause?: unknown): SourceError {
  return new SourceError(
    `file "${entry.path}" of ${options.repository}@${options.commitId} cannot be archived: ${size} ` +
      `the ${GET_BLOB_LIMIT} bytes (6 MB) that CodeCommit GetBlob returns; keep large files out of the ` +
      'repository (e.g. fetch them from S3 or ECR in the buildspec)',
    { cause },
  );
}

async function getFolder(
  client: CodeCommitClient,
  options: ReadOptions,
  path: string,
): Promise<GetFolderOutput> {
  const input = { repositoryName: options.repository, commitSpecifier: options.commitId, folderPath: path };
  const label = `CodeCommit GetFolder "${path}" of ${options.repository}@${options.commitId}`;
  return sendRead(label, () => client.send(new GetFolderCommand(input)));
}

function collect(tree: Tree, folder: GetFolderOutput): void {
  for (const file of folder.files ?? []) {
    const mode = MODES[file.fileMode ?? 'NORMAL'] ?? 'file';
    tree.entries.push({ path: clean(file.absolutePath), blobId: file.blobId ?? '', mode });
  }
  for (const link of folder.symbolicLinks ?? []) {
    tree.entries.push({ path: clean(link.absolutePath), blobId: link.blobId ?? '', mode: 'symlink' });
  }
  for (const sub of folder.subModules ?? []) tree.submodules.push(clean(sub.absolutePath));
}

const MODES: Partial<Record<string, EntryMode>> = {
  NORMAL: 'file',
  EXECUTABLE: 'executable',
  SYMLINK: 'symlink',
};

function rootNames(folder: GetFolderOutput): string[] {
  const names = [
    ...(folder.files ?? []).map((file) => clean(file.absolutePath)),
    ...(folder.symbolicLinks ?? []).map((link) => clean(link.absolutePath)),
    ...(folder.subFolders ?? []).map((sub) => `${clean(sub.absolutePath)}/`),
    ...(folder.subModules ?? []).map((sub) => `${clean(sub.absolutePath)}/`),
  ];
  return names.sort();
}

/** CodeCommit paths may come with a leading slash; zip entries must not have one. */
function clean(path: string | undefined): string {
  return (path ?? '').replace(/^\/+/, '');
}
