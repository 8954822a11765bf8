/**
 * Benchmark of the ArchiveSource core against `git archive` (npm run bench:archive).
 *
 * Generates a synthetic repository (5,000 files, ~200 MB: source-like text, some incompressible
 * binaries, executables, symlinks, nested folders), archives it with `archiveCommit` in a child process
 * (fake in-process CodeCommit client reading the files, no latency; moto S3 started here), then times
 * `git archive --format=zip` on a git repository of the same tree. Progress goes to stderr; stdout gets
 * one JSON line: {"files","bytes","wallMs","peakRssMb","gitArchiveWallMs"} (bytes = the tree's bytes).
 * Options: --files N, --mb N, --part-mb N, --queue N, --concurrency N.
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { CodeCommitClient, type GetFolderOutput } from '@aws-sdk/client-codecommit';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { startMoto } from '../cli/emulator/moto';
import { archiveCommit } from '../functions/lib/source/archive-source';

const BUCKET = 'bench-artifacts';
const REPOSITORY = 'bench-app';
const COMMIT_DATE = '1767225600 +0100';
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Seeded xorshift32, so every run generates the same tree. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const WORDS = (
  'const let function return import export from if else for while await async class extends new this ' +
  'interface type string number boolean undefined null true false throw catch try switch case default ' +
  'config handler request response error result value items index length push map filter reduce ' +
  'deployment service cluster task listener target weight traffic commit build artifact bucket key'
).split(' ');

/** About 4 MB of source-like text (deflates about 4:1, like real code) that files are cut from. */
function corpus(random: () => number): string {
  const lines: string[] = [];
  for (let size = 0; size < 4_000_000; ) {
    const indent = '  '.repeat(Math.floor(random() * 4));
    const words = Array.from(
      { length: 3 + Math.floor(random() * 9) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    );
    const line = `${indent}${words.join(random() < 0.3 ? '.' : ' ')}${random() < 0.5 ? ';' : ' {'} // ${Math.floor(random() * 1e6)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function binary(random: () => number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i += 1) words[i] = random() * 0x100000000;
  return Buffer.from(words.buffer, 0, size);
}

/** Writes the tree to `root`; returns its total bytes. */
function generateTree(root: string, files: number, totalBytes: number): number {
  const random = prng(42);
  const text = corpus(random);
  const kinds = Array.from({ length: files - 3 }, (_, i) =>
    i % 50 === 7 ? 'binary' : i % 400 === 3 ? 'executable' : 'text',
  );
  const weights = kinds.map((kind) => (kind === 'binary' ? 1.5 : 1) * Math.exp(random() * 5));
  const scale = (totalBytes - 2_000) / weights.reduce((a, b) => a + b, 0);
  let bytes = 0;
  const write = (path: string, data: Buffer | string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data, { mode });
    bytes += Buffer.byteLength(data);
  };
  write('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - ./bin/build.sh\n');
  write('taskdef.json', '{"family":"web","containerDefinitions":[{"name":"web","image":"<IMAGE1_NAME>"}]}\n');
  write('appspec.yaml', 'version: 0.0\nResources: []\n');
  for (const [i, kind] of kinds.entries()) {
    const size = Math.min(5 * 1024 * 1024, Math.max(16, Math.round((weights[i] ?? 1) * scale)));
    const folder = `src/pkg${i % 23}/mod${i % 7}${i % 3 === 0 ? `/deep${i % 5}/er${i % 2}` : ''}`;
    if (kind === 'binary') {
      write(`assets/img${i % 9}/blob${i}.bin`, binary(random, size));
      continue;
    }
    const start = Math.floor(random() * Math.max(1, text.length - size));
    const body =
      text.length > size
        ? text.slice(start, start + size)
        : text.repeat(Math.ceil(size / text.length)).slice(0, size);
    if (kind === 'executable') write(`bin/tool${i}.sh`, `#!/bin/sh\n${body}`, 0o755);
    else write(`${folder}/file${i}.ts`, body);
  }
  for (let i = 0; i < 10; i += 1) {
    mkdirSync(join(root, 'links'), { recursive: true });
    symlinkSync(`../src/pkg${i}/mod${i % 7}`, join(root, 'links', `pkg${i}`));
  }
  return bytes;
}

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
    s3: new S3Client({}),
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
  const report: ChildReport = {
    wallMs,
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
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
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
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
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
      `archive: ${report.wallMs} ms, peak RSS ${report.peakRssMb} MB, zip ${report.zipBytes} bytes, sha256 ${report.sha256}`,
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
