/**
 * Benchmark of the ArchiveSource core against `git archive` (npm run bench:archive).
 *
 * Generates a synthetic repository (bench-archive-tree.ts: 5,000 files, ~200 MB), archives it with
 * `archiveCommit` in a child process (fake in-process CodeCommit client reading the files, no latency;
 * moto S3 started here), then times `git archive --format=zip` on a git repository of the same tree.
 * Progress and the archive's CPU time go to stderr; stdout gets one JSON line:
 * {"files","bytes","wallMs","peakRssMb","gitArchiveWallMs"} (bytes = the tree's bytes).
 * Options: --files N, --mb N, --part-mb N, --queue N, --concurrency N.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeCommitClient, type GetFolderOutput } from '@aws-sdk/client-codecommit';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { credentialEnvironment, emulatorCredentials } from '../cli/emulator/emulator-credentials';
import { startMoto } from '../cli/emulator/moto';
import { TRANSFERS } from '../functions/lib/shared/aws-clients';
import { s3Reader } from '../functions/lib/shared/s3-read';
import { archiveCommit } from '../functions/lib/source/archive-source';
import { generateTree } from './bench-archive-tree';

const BUCKET = 'bench-artifacts';
const REPOSITORY = 'bench-app';
const COMMIT_DATE = '1767225600 +0100';
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** A CodeCommitClient whose middleware answers GetCommit, GetFolder and GetBlob from a directory, with no network. */
function directoryCodeCommit(root: string, commitId: string): CodeCommitClient {
  const client = new CodeCommitClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const answer = async (command: string, input: Record<string, unknown>): Promise<object> => {
    if (command === 'GetCommitCommand') {
      const person = { name: 'Bench', email: 'bench@example.com', date: COMMIT_DATE };
      return { commit: { commitId, message: 'bench', author: person, committer: person } };
    }
    if (command === 'GetBlobCommand') {
      const path = join(root, String(input.blobId));
      const stat = await lstat(path);
      return { content: stat.isSymbolicLink() ? Buffer.from(await readlink(path)) : await readFile(path) };
    }
    return folder(root, String(input.folderPath ?? '/').replace(/^\/+/, ''));
  };
  client.middlewareStack.add(
    (_next, context) => async (args) => ({
      output: {
        $metadata: {},
        ...(await answer(String(context.commandName), args.input as Record<string, unknown>)),
      } as never,
      response: {},
    }),
    { step: 'initialize', name: 'directoryCodeCommit' },
  );
  return client;
}

async function folder(root: string, path: string): Promise<Omit<GetFolderOutput, '$metadata'>> {
  const out: Required<Pick<GetFolderOutput, 'files' | 'subFolders' | 'symbolicLinks'>> = {
    files: [],
    subFolders: [],
    symbolicLinks: [],
  };
  for (const entry of await readdir(join(root, path), { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const absolutePath = path ? `${path}/${entry.name}` : entry.name;
    const item = { absolutePath, relativePath: entry.name, blobId: absolutePath };
    if (entry.isDirectory()) out.subFolders.push({ absolutePath, relativePath: entry.name });
    else if (entry.isSymbolicLink()) out.symbolicLinks.push({ ...item, fileMode: 'SYMLINK' });
    else {
      const executable = ((await lstat(join(root, absolutePath))).mode & 0o111) !== 0;
      out.files.push({ ...item, fileMode: executable ? 'EXECUTABLE' : 'NORMAL' });
    }
  }
  return { commitId: 'bench', folderPath: path || '/', ...out };
}

interface ChildReport {
  wallMs: number;
  /** User and system CPU of the whole process, compression threads included. */
  cpuMs: number;
  peakRssMb: number;
  files: number;
  zipBytes: number;
  sha256: string;
}

/** The measured part, alone in its process so that its peak RSS is the archive's. */
async function child(
  root: string,
  commitId: string,
  tuning: { partMb: number; queue: number; concurrency: number },
) {
  const started = performance.now();
  let last = 0;
  const result = await archiveCommit({
    codecommit: directoryCodeCommit(root, commitId),
    s3: s3Reader(TRANSFERS),
    bucket: BUCKET,
    repository: REPOSITORY,
    commitId,
    concurrency: tuning.concurrency,
    tuning: { partSize: tuning.partMb * 1024 * 1024, queueSize: tuning.queue },
    onProgress: (p) => {
      if (p.files - last < 1000 && p.files !== p.totalFiles) return;
      last = p.files;
      log(`archived ${p.files}/${p.totalFiles} files, zip ${(p.zipBytes / 1e6).toFixed(1)} MB`);
    },
  });
  const wallMs = Math.round(performance.now() - started);
  const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const cpu = process.cpuUsage();
  const report: ChildReport = {
    wallMs,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    peakRssMb,
    files: result.files,
    zipBytes: result.bytes,
    sha256: result.sha256,
  };
  process.send?.(report);
}

function runChild(args: string[], endpoint: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      ...credentialEnvironment(emulatorCredentials(endpoint)),
      NODE_NO_WARNINGS: '1',
    };
    const proc = fork(__filename, ['--child', ...args], { env, stdio: ['ignore', 2, 2, 'ipc'] });
    proc.once('message', (message) => resolve(message as ChildReport));
    proc.once('exit', (code) =>
      reject(new Error(`the archive child exited with code ${code} before reporting`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean' },
      files: { type: 'string', default: '5000' },
      mb: { type: 'string', default: '200' },
      'part-mb': { type: 'string', default: '8' },
      queue: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '8' },
      root: { type: 'string' },
      commit: { type: 'string' },
    },
  });
  const tuning = {
    partMb: Number(values['part-mb']),
    queue: Number(values.queue),
    concurrency: Number(values.concurrency),
  };
  if (values.child) return child(values.root ?? '', values.commit ?? '', tuning);

  const work = mkdtempSync(join(tmpdir(), 'bench-archive-'));
  const root = join(work, 'repo');
  const moto = await startMoto();
  try {
    log(`generating ${values.files} files, ${values.mb} MB in ${root}`);
    const bytes = generateTree(root, Number(values.files), Number(values.mb) * 1e6);
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: root,
        env: { ...process.env, GIT_AUTHOR_DATE: COMMIT_DATE, GIT_COMMITTER_DATE: COMMIT_DATE },
      })
        .toString()
        .trim();
    git('init', '-q');
    git('add', '-A');
    git('-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'bench');
    const commitId = git('rev-parse', 'HEAD');
    const s3 = new S3Client({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: moto.credentials,
    });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );

    log(
      `archiveCommit → moto S3 (part ${tuning.partMb} MiB, queue ${tuning.queue}, concurrency ${tuning.concurrency})`,
    );
    const flags = [
      '--root',
      root,
      '--commit',
      commitId,
      '--part-mb',
      String(tuning.partMb),
      '--queue',
      String(tuning.queue),
      '--concurrency',
      String(tuning.concurrency),
    ];
    const report = await runChild(flags, moto.endpoint);
    log(
      `archive: ${report.wallMs} ms (CPU ${report.cpuMs} ms), peak RSS ${report.peakRssMb} MB, zip ${report.zipBytes} bytes, sha256 ${report.sha256}`,
    );

    const started = performance.now();
    git('archive', '--format=zip', 'HEAD', '-o', join(work, 'git.zip'));
    const gitArchiveWallMs = Math.round(performance.now() - started);
    log(`git archive: ${gitArchiveWallMs} ms, zip ${statSync(join(work, 'git.zip')).size} bytes`);
    const line = {
      files: report.files,
      bytes,
      wallMs: report.wallMs,
      peakRssMb: report.peakRssMb,
      gitArchiveWallMs,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
