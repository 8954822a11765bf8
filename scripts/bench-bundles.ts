/**
 * Bundle size and cold-start figures of every function (npm run bench:bundles).
 *
 * Builds every function of template.yaml as `switchyard build` does (cli/local/sam-build.ts, the
 * BuildProperties), into a temporary directory, then times a fresh `node` process that requires the bundle
 * against a fresh `node` process that does nothing, interleaved, and keeps the median difference.
 * stdout: one JSON line per function {"function","bytes","initMs"} and a last summary line
 * {"summary","functions","maxBytes","totalBytes","medianInitMs","maxInitMs","runs"}.
 * Options: --runs N (default 15), --only LogicalId (repeatable). Figures, not a test: it always exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { samBuild } from '../cli/local/sam-build';

// The environment a Lambda function starts with, as far as module init reads it (no network is used).
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SESSION_TOKEN: 'bench',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
};

function timedNode(script: string, args: string[]): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', script, ...args], { env: LAMBDA_ENV, encoding: 'utf8' });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${run.stderr.trim().slice(0, 2000)}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median time a fresh node takes to require `bundle`, less an empty node's. */
function initMs(bundle: string, runs: number): number {
  const loaded: number[] = [];
  const empty: number[] = [];
  // One warm-up of each so the first figure does not pay for a cold page cache.
  timedNode('', []);
  timedNode('require(process.argv[1])', [bundle]);
  for (let i = 0; i < runs; i++) {
    empty.push(timedNode('', []));
    loaded.push(timedNode('require(process.argv[1])', [bundle]));
  }
  return median(loaded) - median(empty);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '15' }, only: { type: 'string', multiple: true } },
    strict: true,
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 10)
    throw new Error(`--runs must be an integer ≥ 10, not ${values.runs}`);
  const outDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-bundles-'));
  try {
    const built = await samBuild({ outDir, only: values.only });
    const rows: { function: string; bytes: number; initMs: number }[] = [];
    for (const fn of built) {
      const row = {
        function: fn.logicalId,
        bytes: fn.bytes,
        initMs: Math.round(initMs(fn.bundle, runs) * 10) / 10,
      };
      rows.push(row);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
    const summary = {
      summary: true,
      functions: rows.length,
      maxBytes: Math.max(...rows.map((r) => r.bytes)),
      totalBytes: rows.reduce((sum, r) => sum + r.bytes, 0),
      medianInitMs: Math.round(median(rows.map((r) => r.initMs)) * 10) / 10,
      maxInitMs: Math.max(...rows.map((r) => r.initMs)),
      runs,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench-bundles: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
