/**
 * Issue 14's first run: on a machine whose Python has no moto, `switchyard local` completes a deployment with no
 * other step. The machine's Python is a bare venv first on PATH (no moto, no flask), the cache is empty, and the
 * package index is a local folder (PIP_NO_INDEX, PIP_FIND_LINKS): this machine cannot reach PyPI, so the folder's
 * `moto` 5.2.1 wheel carries no code of its own, only a `.pth` line that makes the moto and the server packages
 * already installed for the test run importable in the environment pip installs it into. What is tested is
 * Switchyard's part: finding no usable Python, making the private environment, installing into it from the package
 * source, verifying it, and running the whole deployment on it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import type { LocalRunSummary } from '../../cli/local/run-summary';
import { motoPython } from '../support/moto';
import { writeMotoWheel } from '../support/moto-wheel';

const BIN = join(__dirname, '..', '..', 'bin', 'switchyard.js');
const dir = mkdtempSync(join(tmpdir(), 'first-run-'));
const withMoto = motoPython();
/** Where the test run's moto and its server packages are installed. */
const sitePackages = execFileSync(
  withMoto,
  ['-c', 'import moto, os; print(os.path.dirname(os.path.dirname(moto.__file__)))'],
  { encoding: 'utf8' },
).trim();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the first run on a machine whose Python has no moto', () => {
  it('makes a private environment, installs moto from the package source and deploys, with no other step', async () => {
    const bare = join(dir, 'machine-python');
    execFileSync(withMoto, ['-m', 'venv', bare]);
    const bareBin = join(bare, 'bin');
    // The machine's Python really has no moto.
    expect(() =>
      execFileSync(join(bareBin, 'python3'), ['-c', 'import moto'], { stdio: 'ignore' }),
    ).toThrow();
    const wheelhouse = join(dir, 'wheelhouse');
    mkdirSync(wheelhouse);
    // A wheel of `moto` 5.2.1 holding one `.pth` line: the directory that has the real packages.
    writeMotoWheel(withMoto, join(wheelhouse, 'moto-5.2.1-py3-none-any.whl'), {
      'moto_from_test_run.pth': `${sitePackages}\n`,
    });
    const cache = join(dir, 'cache');

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // The bare Python first: `python3` and `python` without moto; node, git and the rest after it.
      PATH: [bareBin, dirname(process.execPath), ...(process.env.PATH ?? '').split(delimiter)].join(
        delimiter,
      ),
      XDG_CACHE_HOME: cache,
      PIP_NO_INDEX: '1',
      PIP_FIND_LINKS: wheelhouse,
      PIP_CONFIG_FILE: devNull,
    };
    for (const name of Object.keys(env)) {
      if (name.startsWith('AWS_ENDPOINT_URL') || name === 'SWITCHYARD_PYTHON') delete env[name];
    }
    const child = spawn(process.execPath, [BIN, 'local', '--json'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as LocalRunSummary;
    expect(summary.status).toBe('SUCCEEDED');
    // It said where and why it installed, and showed pip's progress.
    expect(stderr).toMatch(/switchyard\/python-[\d.]+-moto-5\.2\.1/);
    expect(stderr).toMatch(/pip \| /);
    // The environment it made is the private one, complete and kept for the next run.
    const made = readdirSync(join(cache, 'switchyard')).filter((name) => name.startsWith('python-'));
    expect(made).toHaveLength(1);
    expect(existsSync(join(cache, 'switchyard', made[0] as string, 'bin', 'python'))).toBe(true);
  }, 180_000);
});
