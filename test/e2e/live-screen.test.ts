/**
 * `switchyard local`'s screen as a person sees it. In a terminal (a pseudo-terminal: test/support/pty-session.ts):
 * the running stage live, with its elapsed time, the build's log, green's targets' health and a pause's time left
 * and how to end it, in colour unless NO_COLOR is set. Piped: plain lines without one escape code, one as each
 * stage starts and one as it ends, exactly the README's sample output.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useMoto } from '../support/moto';
import { type PtySession, startInPty } from '../support/pty-session';
import { localSampleRepository } from '../support/sample-repo';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
const ROOT = resolve(__dirname, '../..');
const CTRL_C = '\x03';
/** One manual step: the deployment waits at 10 % until promoted. */
const MANUAL_PAUSE = JSON.stringify([{ greenPercent: 10, pause: 'manual' }, { greenPercent: 100 }]);
/** A pattern in which `ESC` stands for the escape character that starts every terminal control sequence. */
const withEsc = (source: string) => new RegExp(source.replaceAll('ESC', String.fromCharCode(27)));
/** A colour (SGR) sequence; cursor moves are not colour. */
const COLOUR = withEsc('ESC\\[[0-9;]*m');
const ANY_ESCAPE = withEsc('ESC');
const STAGES = ['Source', 'Build', 'Render', 'Lock', 'Green', 'Test traffic', 'Shift', 'Bake', 'Finalize'];

/** The command's environment: it starts its own emulator, so none of the test harness's endpoints leak in. */
function commandEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name.startsWith('AWS_ENDPOINT_URL')) delete env[name];
  if (extra.NO_COLOR === undefined) delete env.NO_COLOR;
  return env;
}

function localInPty(args: string[], extra: NodeJS.ProcessEnv = {}): PtySession {
  return startInPty([process.execPath, BIN, 'local', ...args], { env: commandEnv(extra) });
}

/**
 * The sample app whose build prints a marker line, then runs until the test creates `release` (at most a minute):
 * a build that is running, its log line written, while the test looks at the screen.
 */
function heldBuildRepository(dir: string): { repo: string; release: string } {
  const release = join(dir, 'release');
  const repo = localSampleRepository(dir, 'a build held until released', [
    'echo live-screen-build-line',
    `for i in $(seq 600); do [ -e ${release} ] && break; sleep 0.1; done`,
  ]);
  return { repo, release };
}

/** Durations, ports, ids and counts, which differ from run to run, as placeholders. */
function normalised(text: string): string {
  return text
    .replace(/ +\d+\.\d s\b/g, ' N.N s')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/\b[0-9a-f]{7}\b/g, 'COMMIT')
    .replace(
      /\d+ state transitions, \d+ function invocations/g,
      'N state transitions, N function invocations',
    )
    .replace(/≈ \$\d+\.\d+, \d+ history events/g, '≈ $N, N history events')
    .trimEnd();
}

/** The README's sample output of `switchyard local`: the fenced block after "What you just saw". */
function readmeSample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What you just saw'));
  const block = /\n```\n([\s\S]*?)\n```\n/.exec(section)?.[1];
  if (!block) throw new Error('README.md has no sample output block under "What you just saw"');
  return block;
}

describe("switchyard local's screen", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-live-screen-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the running stage live in a terminal, in colour: the build with its log, green, a pause and how to end it', async () => {
    const { repo, release } = heldBuildRepository(dir);
    // No compiled-module cache, as on a fresh clone: a module first loaded after the Ctrl-C must not need the
    // compiler the key press reached (cli/local/state-machine.ts loads every handler up front).
    const run = localInPty(['--repo', repo, '--trust', '--traffic', MANUAL_PAUSE], {
      TSX_DISABLE_CACHE: '1',
    });

    // The build's live line, its elapsed time counting, and its log, while it runs: no ✔ Build yet.
    await run.waitFor(/Build +\d+\.\d s/);
    await run.waitFor(/│ live-screen-build-line/);
    expect(run.output()).not.toMatch(/✔ Build/);
    writeFileSync(release, '');
    await run.waitFor(/✔ Build/);

    // The pause: where traffic stands, the time left, and how to promote or abort.
    await run.waitFor(/⏸ paused at 10 % green.* until promoted; rolls back in 2\d h/);
    await run.waitFor(/--table switchyard-deployments --repository app\n/);
    expect(run.output()).toMatch(
      /promote: switchyard promote +abort: Ctrl-C, or switchyard abort +each with/,
    );
    expect(run.output()).toMatch(/env: AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:\d+ and its keys/);
    // Finished stages are permanent lines, in colour: green ✔, the duration dim.
    expect(run.output()).toMatch(withEsc('ESC\\[32m✔ Green +ESC\\[39m ESC\\[2m +\\d+\\.\\d sESC\\[22m'));
    expect(run.output()).toMatch(withEsc('ESC\\[33m⏸ paused at 10 % green'));

    run.press(CTRL_C);
    const code = await run.exited;
    // The whole screen when it did not end as interrupted: what went wrong is in it.
    expect({ code, shown: code === 130 ? '' : run.output() }).toEqual({ code: 130, shown: '' });
    // The end in red, as one run of text; the live region is gone from the last lines.
    expect(run.output()).toMatch(withEsc('ESC\\[31m✘ ROLLED_BACK after [\\d.]+ s: DeploymentAbortedError: '));
  });

  it('prints plain lines when piped: no escape code, a line as each stage starts and ends, the README sample', () => {
    const out = spawnSync(process.execPath, [BIN, 'local'], {
      env: commandEnv(),
      encoding: 'utf8',
      timeout: 90_000,
    });

    expect(out.status).toBe(0);
    expect(out.stdout).not.toMatch(ANY_ESCAPE);
    const lines = out.stdout.split('\n');
    for (const stage of STAGES) {
      expect([stage, lines.filter((line) => line === `▸ ${stage}`).length]).toEqual([stage, 1]);
      const ended = lines.filter((line) => new RegExp(`^✔ ${stage} +\\d+\\.\\d s$`).test(line));
      expect([stage, ended.length]).toEqual([stage, 1]);
      expect(lines.indexOf(`▸ ${stage}`)).toBeLessThan(lines.indexOf(ended[0] ?? ''));
    }
    // The README shows exactly what the command prints (durations, port, commit and counts aside).
    expect(normalised(out.stdout)).toBe(normalised(readmeSample()));
  });
});

describe("switchyard local's screen, on this worker's emulator (--endpoint)", () => {
  const moto = useMoto();

  it("shows green's targets' health while green is not yet healthy", async () => {
    // New targets stay `initial` for 3 s (the group's 30 s interval × 0.1), so green waits that long.
    await moto.setTimings({ healthCheckScale: 0.1 });
    const run = localInPty(['--endpoint', moto.endpoint]);

    await run.waitFor(/Green +\d+\.\d s +targets 0\/2 healthy, 2 initial/);
    expect(run.output()).not.toMatch(/✔ Green/);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/✔ deployed [0-9a-f]{7} in/);
  });

  it('shows no colour in a terminal when NO_COLOR is set, and still the live stage', async () => {
    const run = localInPty(['--endpoint', moto.endpoint], { NO_COLOR: '1' });
    await run.waitFor(/Build +\d+\.\d s/);
    expect(await run.exited).toBe(0);

    const shown = run.output();
    expect(shown).toMatch(/✔ deployed [0-9a-f]{7} in/);
    expect(shown).toMatch(/✔ Finalize +\d+\.\d s/);
    expect(shown).not.toMatch(COLOUR);
    // The live region is still drawn (cursor up, erase down) and gone at the end.
    expect(shown).toMatch(withEsc('ESC\\[\\d+AESC\\[J'));
    expect(shown.slice(shown.indexOf('✔ deployed'))).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });
});
