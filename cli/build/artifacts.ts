/** The build's artifact: its S3 key, the files it takes from the source tree, and the upload. */
import { once } from 'node:events';
import { copyFile, lstat, mkdir, readdir, readFile, readlink, stat, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { type ZipEntry, ZipWriter } from '../../functions/lib/zip/write';
import { type ArtifactFile, absoluteRoots, type TreeEntry } from './artifact-selection';
import type { ArtifactsSettings, BuildArtifact } from './types';

/** The S3 key CodeBuild writes an artifact to: path / build UUID (namespace BUILD_ID) / name. */
export function artifactKey(
  settings: ArtifactsSettings,
  build: { id: string; projectName: string; buildspecName?: string },
): string {
  const name =
    (settings.overrideArtifactName ? build.buildspecName : undefined) ?? settings.name ?? build.projectName;
  const namespace =
    settings.namespaceType === 'BUILD_ID' ? build.id.slice(build.id.indexOf(':') + 1) : undefined;
  return [settings.path, namespace, name]
    .map((part) => (part ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
}

/** Puts the artifact in S3 with the metadata CodeBuild adds. */
export class ArtifactUpload {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly buildArn: string,
    private readonly signal: AbortSignal,
  ) {}

  async zip(key: string, entries: ZipEntry[], mtime: Date): Promise<BuildArtifact> {
    if (key === '')
      throw new InvalidInputError('the artifact has no S3 key: set a path, a BUILD_ID namespace or a name');
    const writer = new ZipWriter({ mtime, allowGitPaths: true });
    const chunks: Buffer[] = [];
    writer.stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(writer.stream, 'end');
    for (const entry of entries) await writer.add(entry);
    const summary = await writer.finish();
    await ended;
    await this.put(key, Buffer.concat(chunks), 'application/zip');
    return {
      bucket: this.bucket,
      key,
      sha256: summary.sha256,
      bytes: summary.bytes,
      location: this.location(key),
    };
  }

  /** Packaging NONE: every file under the key, as a folder. */
  async files(key: string, root: string, files: ArtifactFile[]): Promise<BuildArtifact> {
    let bytes = 0;
    for (const file of files) {
      const body = await readFile(sourcePath(root, file));
      bytes += body.length;
      await this.put(key === '' ? file.archivePath : `${key}/${file.archivePath}`, body, undefined);
    }
    return { bucket: this.bucket, key, sha256: null, bytes, location: this.location(key) };
  }

  private async put(key: string, body: Buffer, contentType: string | undefined): Promise<void> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: contentType,
      Metadata: { 'codebuild-buildarn': this.buildArn },
    });
    await this.s3.send(command, { abortSignal: this.signal });
  }

  private location(key: string): string {
    return `arn:aws:s3:::${this.bucket}/${key}`;
  }
}

/**
 * Every path under `root`, sorted; links are followed unless `keepSymlinks`, and never descended into. `depth`
 * limits how many levels are listed; `outside` (a folder outside the source) skips what cannot be read.
 */
export async function listTree(
  root: string,
  keepSymlinks: boolean,
  { depth = Number.POSITIVE_INFINITY, outside = false } = {},
): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    const read = readdir(join(root, dir), { withFileTypes: true });
    const entries = outside ? await read.catch(() => []) : await read;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        out.push({ path, kind: 'directory' });
        if (level < depth) await walk(path, level + 1);
      } else if (entry.isSymbolicLink()) {
        if (keepSymlinks) {
          out.push({ path, kind: 'symlink' });
          continue;
        }
        const target = await stat(join(root, path)).catch(() => undefined);
        if (target?.isFile()) out.push({ path, kind: 'file' });
        else if (target?.isDirectory()) out.push({ path, kind: 'directory' });
      } else if (entry.isFile()) {
        out.push({ path, kind: 'file' });
      }
    }
  };
  await walk('', 1);
  return out;
}

/**
 * The files that artifacts.files' absolute locations (e.g. /tmp/build.json) may name, by absolute path: each
 * location's fixed directory listed as deep as its pattern reaches. A pattern that would search the whole file
 * system (`/**`) is refused.
 */
export async function listOutside(locations: string[], keepSymlinks: boolean): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  for (const { location, root, depth } of absoluteRoots(locations)) {
    if (root === '/' && depth === Number.POSITIVE_INFINITY) {
      throw new InvalidInputError(
        `artifacts.files names ${location}, which would search the whole file system; name the folder the ` +
          'files are in, e.g. /tmp/out/**/*',
      );
    }
    const info = await (keepSymlinks ? lstat(root) : stat(root)).catch(() => undefined);
    if (info?.isFile() || info?.isSymbolicLink()) {
      out.push({ path: root, kind: info.isFile() ? 'file' : 'symlink' });
    } else if (info?.isDirectory()) {
      const entries = await listTree(root, keepSymlinks, { depth, outside: true });
      for (const entry of entries) out.push({ ...entry, path: `${root === '/' ? '' : root}/${entry.path}` });
    }
  }
  return out;
}

/** Where an artifact file is on disk: under `root` (CODEBUILD_SRC_DIR), or its own absolute path. */
export function sourcePath(root: string, file: ArtifactFile): string {
  return file.source.startsWith('/') ? file.source : join(root, ...file.source.split('/'));
}

/** The zip entries of the artifact's files; a link is kept as a link when `keepSymlinks`. */
export async function zipEntries(
  root: string,
  files: ArtifactFile[],
  keepSymlinks: boolean,
): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for (const file of files) {
    const full = sourcePath(root, file);
    if (keepSymlinks && (await lstat(full)).isSymbolicLink()) {
      entries.push({
        path: file.archivePath,
        mode: 'symlink',
        data: Buffer.from(await readlink(full), 'utf8'),
      });
      continue;
    }
    const info = await stat(full);
    entries.push({
      path: file.archivePath,
      mode: info.mode & 0o111 ? 'executable' : 'file',
      data: await readFile(full),
    });
  }
  return entries;
}

/** Copies the artifact's files under `directory` by their artifact paths; a link stays a link when `keepSymlinks`. */
export async function copyArtifactFiles(
  root: string,
  files: ArtifactFile[],
  directory: string,
  keepSymlinks: boolean,
): Promise<void> {
  for (const file of files) {
    const from = sourcePath(root, file);
    const to = join(directory, ...file.archivePath.split('/'));
    await mkdir(dirname(to), { recursive: true });
    if (keepSymlinks && (await lstat(from)).isSymbolicLink()) await symlink(await readlink(from), to);
    else await copyFile(from, to);
  }
}
