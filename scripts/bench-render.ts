/**
 * Benchmark of RenderTaskDefinition's reads (npm run bench:render): what Render fetches and how much memory it
 * takes for a large source archive.
 *
 * Writes a source archive of --mb MB (taskdef.json and appspec.yaml, then incompressible blobs) and a small build
 * artifact (imageDetail.json naming an image of the emulator's ECR) to moto S3 (started here), then runs, each
 * alone in a child process so its peak RSS is its own: `renderStage` (ranged reads of the two files, the image
 * pinned to its digest, the revision registered), and the whole-archive reader it replaced (`readZipArtifact`,
 * which still serves CheckBuild's small artifacts) on the same archive. Progress goes to stderr; stdout gets one
 * JSON line: {"archiveBytes", "render": {"peakRssMb", "fetchedBytes", "getObjects", "wallMs", "image"},
 * "wholeArchive": {"peakRssMb", "outcome"}}. Options: --mb N (default 300), --blob-mb N (default 50).
 */
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type MotoServer, startMoto } from '../cli/emulator/moto';
import { readZipArtifact } from '../functions/lib/build/artifacts';
import { renderStage } from '../functions/lib/render/render-task-definition';
import { TRANSFERS } from '../functions/lib/shared/aws-clients';
import { ECR, ECS, jsonClient } from '../functions/lib/shared/aws-json';
import { type S3Reader, s3Reader } from '../functions/lib/shared/s3-read';
import { readSettings } from '../functions/lib/shared/settings';
import { ZipWriter, zipToBuffer } from '../functions/lib/zip/write';

const BUCKET = 'bench-render';
const REPOSITORY = 'bench-app';
const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${REPOSITORY}`;
const MTIME = new Date('2026-12-01T00:00:00Z');
const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const TASKDEF = JSON.stringify({
  family: 'bench-render',
  requiresCompatibilities: ['FARGATE'],
  networkMode: 'awsvpc',
  cpu: '256',
  memory: '512',
  containerDefinitions: [{ name: 'web', image: '<IMAGE1_NAME>', portMappings: [{ containerPort: 80 }] }],
});
const APPSPEC =
  'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n' +
  '        TaskDefinition: <TASK_DEFINITION>\n        LoadBalancerInfo:\n          ContainerName: web\n' +
  '          ContainerPort: 80\n';

type Location = { bucket: string; key: string; versionId: string | null };
type Report = Record<string, unknown> & { peakRssMb: number };

/** An S3 reader that counts the GetObject requests it sends and the body bytes they answer. */
function countingS3() {
  const reader = s3Reader();
  const counted = { getObjects: 0, bytes: 0 };
  const s3: S3Reader = {
    ...reader,
    send: async (request, options) => {
      const out = await reader.send(request, options);
      if (request.method === 'GET') {
        counted.getObjects += 1;
        counted.bytes += out.body.length;
      }
      return out;
    },
  };
  return { s3, counted };
}

/** The measured part: one of the two readers, alone in this process. */
async function child(which: string, source: Location, build: Location): Promise<void> {
  const started = performance.now();
  let report: Record<string, unknown>;
  if (which === 'render') {
    const { s3, counted } = countingS3();
    const rendered = await renderStage(
      {
        deployment: { repository: 'bench', branch: 'main', commitId: 'b'.repeat(40) } as never,
        source,
        buildResult: { artifact: build },
      },
      {
        s3,
        ecs: jsonClient(ECS),
        settings: readSettings({}),
        pin: { ecr: jsonClient(ECR), repositoryUri: IMAGE },
        log,
      },
    );
    report = {
      fetchedBytes: counted.bytes,
      getObjects: counted.getObjects,
      wallMs: Math.round(performance.now() - started),
      taskDefinitionArn: rendered.taskDefinitionArn,
    };
  } else {
    const outcome = await readZipArtifact(s3Reader(TRANSFERS), source).then(
      (files) => `read ${files.size} files`,
      (error: Error) => `refused: ${error.message}`,
    );
    report = { outcome, wallMs: Math.round(performance.now() - started) };
  }
  process.send?.({ ...report, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });
}

function runChild(
  which: string,
  { endpoint, credentials }: Pick<MotoServer, 'endpoint' | 'credentials'>,
  source: Location,
  build: Location,
): Promise<Report> {
  return new Promise((resolve, reject) => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: 'us-east-1',
      // The emulator accepts only the credentials it was launched with (cli/emulator/emulator-credentials.ts).
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      NODE_NO_WARNINGS: '1',
    };
    const args = ['--child', which, '--source', JSON.stringify(source), '--build', JSON.stringify(build)];
    const proc = fork(__filename, args, { env, stdio: ['ignore', 2, 2, 'ipc'] });
    proc.once('message', (message) => resolve(message as Report));
    proc.once('exit', (code) =>
      reject(new Error(`the ${which} child exited with code ${code} before reporting`)),
    );
  });
}

/** Writes the source archive to `path`: the two small files first, then `mb` MB of random blobs. */
async function writeSourceArchive(path: string, mb: number, blobMb: number): Promise<void> {
  const writer = new ZipWriter({ mtime: MTIME, level: 1 });
  const written = pipeline(writer.stream, createWriteStream(path));
  await writer.add({ path: 'taskdef.json', mode: 'file', data: Buffer.from(TASKDEF) });
  await writer.add({ path: 'appspec.yaml', mode: 'file', data: Buffer.from(APPSPEC) });
  for (let i = 0; i * blobMb < mb; i += 1) {
    await writer.add({ path: `assets/blob-${i}.bin`, mode: 'file', data: randomBytes(blobMb * 1e6) });
  }
  await writer.finish();
  await written;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      source: { type: 'string' },
      build: { type: 'string' },
      mb: { type: 'string', default: '300' },
      'blob-mb': { type: 'string', default: '50' },
    },
  });
  if (values.child)
    return child(values.child, JSON.parse(values.source ?? ''), JSON.parse(values.build ?? ''));

  const work = mkdtempSync(join(tmpdir(), 'bench-render-'));
  const moto = await startMoto();
  try {
    const clients = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: moto.credentials,
    };
    const s3 = new S3Client(clients);
    const ecr = new ECRClient(clients);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    const layer = `sha256:${createHash('sha256').update('bench').digest('hex')}`;
    await ecr.send(
      new CreateRepositoryCommand({ repositoryName: REPOSITORY, imageTagMutability: 'IMMUTABLE' }),
    );
    await ecr.send(
      new PutImageCommand({
        repositoryName: REPOSITORY,
        imageTag: 'bench-1',
        imageManifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: layer },
          layers: [
            { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 1, digest: layer },
          ],
        }),
      }),
    );

    const path = join(work, 'source.zip');
    log(`writing a ${values.mb} MB source archive to ${path}`);
    await writeSourceArchive(path, Number(values.mb), Number(values['blob-mb']));
    const archiveBytes = statSync(path).size;
    log(`uploading it (${archiveBytes} bytes) to moto S3`);
    const uploaded = await new Upload({
      client: s3,
      params: { Bucket: BUCKET, Key: 'source/bench.zip', Body: createReadStream(path) },
    }).done();
    const source = { bucket: BUCKET, key: 'source/bench.zip', versionId: uploaded.VersionId ?? null };
    const { zip } = await zipToBuffer(
      [
        {
          path: 'imageDetail.json',
          mode: 'file',
          data: Buffer.from(JSON.stringify({ ImageURI: `${IMAGE}:bench-1` })),
        },
      ],
      { mtime: MTIME },
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'build/bench.zip', Body: zip }));
    const build = { bucket: BUCKET, key: 'build/bench.zip', versionId: put.VersionId ?? null };

    log('renderStage (ranged reads) in a child process');
    const render = await runChild('render', moto, source, build);
    log('the whole-archive reader (readZipArtifact) in a child process');
    const wholeArchive = await runChild('whole', moto, source, build);
    process.stdout.write(`${JSON.stringify({ archiveBytes, render, wholeArchive })}\n`);
  } finally {
    await moto.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
