/**
 * The emulator's CodeBuild: the moto launcher starts this process for each StartBuild when builds run for real
 * (`setBuildExecutor`), with the emulator's credentials in its environment. It downloads the build's source archive from the emulator's S3, runs the buildspec with
 * the local build runner, uploads the artifact where CodeBuild would, writes the log to the emulator's
 * CloudWatch Logs, and reports the phases and the final status back, so BatchGetBuilds shows a real build.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsVariableResolver } from '../build/aws-variables';
import {
  type ArtifactsSettings,
  type BuildPhase,
  type BuildRunResult,
  type BuildSource,
  type EnvironmentVariable,
  runBuild,
} from '../build/runner';
import { controlHeaders, emulatorCredentials } from './emulator-credentials';
import { stopWhenOrphaned } from './executor-watchdog';

/** What the launcher writes on this process's stdin. */
export interface ExecutorRequest {
  endpoint: string;
  accountId: string;
  region: string;
  build: {
    id: string;
    buildNumber?: number;
    projectName: string;
    source: { type?: string; location?: string; buildspec?: string };
    sourceVersion?: string;
    environment?: { image?: string; environmentVariables?: { name: string; value: string; type?: string }[] };
    timeoutInMinutes?: number;
    logs?: { groupName?: string; streamName?: string };
  };
  /** For a CODECOMMIT source: the bound git repository and the commit to build, or why CodeBuild would fail. */
  gitSource?: { gitDir: string; commit: string } | { error: string } | null;
  /** The artifacts settings in force (StartBuild's override, else the project's), as the API names them. */
  artifacts?: {
    type?: string;
    location?: string;
    path?: string;
    name?: string;
    namespaceType?: string;
    packaging?: string;
  };
}

async function report(request: ExecutorRequest, update: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${request.endpoint}/moto-api/switchyard/codebuild/report`, {
    method: 'POST',
    // The launcher gave this process the emulator's credentials (AWS_SECRET_ACCESS_KEY is the control secret).
    headers: { ...controlHeaders(request.endpoint), 'content-type': 'application/json' },
    body: JSON.stringify({
      id: request.build.id,
      accountId: request.accountId,
      region: request.region,
      update,
    }),
  });
  if (!response.ok)
    throw new Error(`the emulator refused the build report: ${response.status} ${await response.text()}`);
}

const epoch = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

const VARIABLE_TYPES = new Set(['PLAINTEXT', 'PARAMETER_STORE', 'SECRETS_MANAGER']);

/** The project's variables as the runner takes them (CodeBuild's API knows these three types; moto checks none). */
function projectVariables(request: ExecutorRequest): EnvironmentVariable[] {
  return (request.build.environment?.environmentVariables ?? []).map((v) => ({
    name: v.name,
    value: v.value,
    type: VARIABLE_TYPES.has(v.type ?? 'PLAINTEXT')
      ? ((v.type ?? 'PLAINTEXT') as EnvironmentVariable['type'])
      : 'PLAINTEXT',
  }));
}

function phasesForApi(phases: BuildPhase[]) {
  return phases.map((phase) => ({
    ...phase,
    startTime: epoch(phase.startTime),
    endTime: epoch(phase.endTime),
  }));
}

/** Batches log lines into the build's CloudWatch Logs stream in the emulator. */
class LogSink {
  private lines: { timestamp: number; message: string }[] = [];
  private ready: Promise<void>;
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly group: string,
    private readonly stream: string,
  ) {
    const ignoreExists = (error: unknown) => {
      if (!(error instanceof Error && error.name === 'ResourceAlreadyExistsException')) throw error;
    };
    this.ready = logs
      .send(new CreateLogGroupCommand({ logGroupName: group }))
      .catch(ignoreExists)
      .then(() => logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream })))
      .then(() => undefined, ignoreExists);
  }
  add(line: string): void {
    process.stderr.write(`${line}\n`);
    this.lines.push({ timestamp: Date.now(), message: line });
  }
  async flush(): Promise<void> {
    await this.ready;
    while (this.lines.length > 0) {
      const batch = this.lines.splice(0, 1000);
      await this.logs.send(
        new PutLogEventsCommand({ logGroupName: this.group, logStreamName: this.stream, logEvents: batch }),
      );
    }
  }
}

function artifactsSettings(request: ExecutorRequest): ArtifactsSettings | undefined {
  const a = request.artifacts;
  if (a?.type !== 'S3' || !a.location) return undefined;
  return {
    bucket: a.location,
    path: a.path,
    name: a.name,
    namespaceType: a.namespaceType === 'BUILD_ID' ? 'BUILD_ID' : 'NONE',
    packaging: a.packaging === 'ZIP' ? 'ZIP' : 'NONE',
  };
}

/** The build's source, and the commit CodeBuild resolves it to (CODECOMMIT only; an S3 source has none). */
interface FetchedSource {
  source: BuildSource;
  resolvedSourceVersion?: string;
  /** A folder to remove when the build is done. */
  cleanup?: string;
}

/** CODECOMMIT: a clone of the bound repository, checked out at the commit, as CodeBuild clones it. */
async function cloneSource(gitSource: ExecutorRequest['gitSource']): Promise<FetchedSource> {
  if (!gitSource) throw new Error('the emulator has no git repository bound to this CodeCommit source');
  if ('error' in gitSource) throw new Error(gitSource.error);
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-codecommit-'));
  const git = promisify(execFile);
  await git('git', ['clone', '--quiet', '--no-checkout', gitSource.gitDir, join(dir, 'src')]);
  await git('git', ['-C', join(dir, 'src'), 'checkout', '--quiet', '--detach', gitSource.commit]);
  return { source: { directory: join(dir, 'src') }, resolvedSourceVersion: gitSource.commit, cleanup: dir };
}

async function fetchSource(s3: S3Client, request: ExecutorRequest): Promise<FetchedSource> {
  const { type, location = '' } = request.build.source;
  if (type === 'CODECOMMIT') return cloneSource(request.gitSource);
  const slash = location.indexOf('/');
  if (type !== 'S3' || slash <= 0) {
    throw new Error(
      `the emulator builds S3 and CODECOMMIT sources only; this build's source is ${type} "${location}"`,
    );
  }
  const out = await s3.send(
    new GetObjectCommand({
      Bucket: location.slice(0, slash),
      Key: location.slice(slash + 1),
      ...(request.build.sourceVersion ? { VersionId: request.build.sourceVersion } : {}),
    }),
  );
  const zip = Buffer.from(
    await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
  );
  return { source: { zip } };
}

/** Runs one build as the emulator's CodeBuild and reports it. */
export async function executeBuild(
  request: ExecutorRequest,
  signal: AbortSignal,
): Promise<BuildRunResult | null> {
  const clientConfig = { endpoint: request.endpoint, region: request.region };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const group = request.build.logs?.groupName ?? `/aws/codebuild/${request.build.projectName}`;
  const stream = request.build.logs?.streamName ?? request.build.id.split(':').pop() ?? 'build';
  const sink = new LogSink(new CloudWatchLogsClient(clientConfig), group, stream);
  const flusher = setInterval(() => void sink.flush().catch(() => undefined), 1000);
  // The runner announces each phase in the log, as CodeBuild does; BatchGetBuilds shows it as currentPhase.
  let progress = Promise.resolve();
  const onLog = (line: string) => {
    sink.add(line);
    const phase = /Entering phase ([A-Z_]+)/.exec(line)?.[1];
    if (phase)
      progress = progress.then(() => report(request, { currentPhase: phase })).catch(() => undefined);
  };
  try {
    await report(request, { currentPhase: 'DOWNLOAD_SOURCE' });
    const fetched = await fetchSource(s3, request);
    if (fetched.resolvedSourceVersion)
      await report(request, { resolvedSourceVersion: fetched.resolvedSourceVersion });
    const result = await runBuild({
      projectName: request.build.projectName,
      source: fetched.source,
      buildspec: request.build.source.buildspec || undefined,
      buildId: request.build.id,
      buildNumber: request.build.buildNumber,
      region: request.region,
      accountId: request.accountId,
      sourceVersion: request.build.sourceVersion,
      resolvedSourceVersion: fetched.resolvedSourceVersion,
      initiator: 'switchyard-emulator',
      image: request.build.environment?.image,
      environmentVariables: projectVariables(request),
      // The build's AWS calls (the AWS CLI in a buildspec) go to this emulator with its credentials, as a
      // CodeBuild build's go to its account with the project's role; nothing else of the user's environment.
      awsAccess: { endpoint: request.endpoint, ...emulatorCredentials(request.endpoint) },
      // Parameter Store and Secrets Manager variables are read from the emulator, as CodeBuild reads them from
      // the account: a parameter or secret missing there fails the build in DOWNLOAD_SOURCE.
      resolveVariable: awsVariableResolver({
        ssm: new SSMClient(clientConfig),
        secretsManager: new SecretsManagerClient(clientConfig),
      }),
      artifacts: artifactsSettings(request),
      s3,
      onLog,
      timeoutMs: (request.build.timeoutInMinutes ?? 60) * 60_000,
      signal,
    });
    await rm(result.workDir, { recursive: true, force: true });
    if (fetched.cleanup) await rm(fetched.cleanup, { recursive: true, force: true });
    await progress;
    await sink.flush().catch(() => undefined);
    await report(request, {
      buildStatus: result.status,
      currentPhase: 'COMPLETED',
      buildComplete: true,
      endTime: epoch(result.endTime),
      phases: phasesForApi(result.phases),
      exportedEnvironmentVariables: result.exportedVariables,
      ...(result.artifact
        ? {
            artifacts: { location: result.artifact.location, sha256sum: result.artifact.sha256 ?? undefined },
          }
        : {}),
    });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    sink.add(`[Container] the emulator could not run the build: ${message}`);
    await sink.flush().catch(() => undefined);
    await report(request, {
      buildStatus: 'FAULT',
      currentPhase: 'COMPLETED',
      buildComplete: true,
      endTime: Date.now() / 1000,
      phases: [
        {
          phaseType: 'DOWNLOAD_SOURCE',
          phaseStatus: 'FAULT',
          contexts: [{ statusCode: 'CLIENT_ERROR', message }],
        },
      ],
    }).catch(() => undefined);
    return null;
  } finally {
    clearInterval(flusher);
  }
}

/** Entry point of the executor process: the request on stdin; SIGTERM (StopBuild) stops the build. */
export async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(process.stdin, 'end');
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecutorRequest;
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort());
  // Its own session keeps a terminal's Ctrl-C away from the build; the emulator's end must still stop it.
  const unwatch = stopWhenOrphaned(() => controller.abort());
  try {
    await executeBuild(request, controller.signal);
  } finally {
    unwatch();
  }
}
