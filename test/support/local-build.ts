/** Runs a buildspec with the local build runner over a temporary source folder, for the tests of cli/build. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { type BuildRunResult, type RunBuildOptions, runBuild } from '../../cli/build/runner';

const temporary: string[] = [];

/** A temporary folder, removed by removeTemporaryFolders. */
export function temporaryFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.push(dir);
  return dir;
}

/** Removes the folders the builds and temporaryFolder made: call in afterAll. */
export function removeTemporaryFolders(): void {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs `buildspec` (an object, written as YAML, or YAML text) over a source folder of `files`, with this
 * machine's PATH and nothing else of its environment; returns the result, every log line, and the commands'
 * output (the lines that are not the runner's own).
 */
export async function runLocalBuild(
  buildspec: object | string,
  { files = {}, ...options }: Partial<RunBuildOptions> & { files?: Record<string, string> } = {},
): Promise<{ result: BuildRunResult; lines: string[]; output: string[] }> {
  const source = temporaryFolder('local-build-src-');
  const text = typeof buildspec === 'string' ? buildspec : stringify(buildspec);
  for (const [path, content] of Object.entries({ 'buildspec.yml': text, ...files })) {
    mkdirSync(dirname(join(source, path)), { recursive: true });
    writeFileSync(join(source, path), content);
  }
  const lines: string[] = [];
  const result = await runBuild({
    projectName: 'web-build',
    source: { directory: source },
    baseEnv: { PATH: process.env.PATH },
    onLog: (line) => lines.push(line),
    ...options,
  });
  temporary.push(result.workDir);
  return { result, lines, output: lines.filter((line) => !line.startsWith('[Container]')) };
}

/** The context of the first phase that did not succeed, as `PHASE STATUS statusCode: message`. */
export function failure(result: BuildRunResult): string | undefined {
  const phase = result.phases.find((p) => p.phaseStatus !== undefined && p.phaseStatus !== 'SUCCEEDED');
  const context = phase?.contexts?.[0];
  return phase && `${phase.phaseType} ${phase.phaseStatus} ${context?.statusCode}: ${context?.message}`;
}
