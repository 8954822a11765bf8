/**
 * The emulator's Python is found or installed by Switchyard itself (cli/emulator/python-env.ts): SWITCHYARD_PYTHON,
 * the private environment, python3/python on PATH, else a private environment made with venv and pip. Real
 * interpreters and a real pip, offline: a Python without moto is a bare venv, the package index a closed local
 * port, and the install that succeeds installs a small stand-in `moto` 5.2.1 wheel built here.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { devNull, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MotoRequirement,
  PythonEnvError,
  type ResolveMotoPythonOptions,
  resolveMotoPython,
} from '../../../../cli/emulator/python-env';
import { MARKER, venvProblem } from '../../../../cli/emulator/python-env-private';
import { motoPython } from '../../../support/moto';
import { writeMotoWheel } from '../../../support/moto-wheel';

const dir = mkdtempSync(join(tmpdir(), 'python-env-test-'));
/** The Python the servers run on: it has moto 5.2.x with its server. */
const withMoto = motoPython();
const pyVersion = execFileSync(withMoto, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
  encoding: 'utf8',
}).trim();
const VENV_NAME = `python-${pyVersion}-moto-5.2.1`;
/** The stand-in: pip installs `moto==5.2.1` from the local wheel; the check imports its fake server module. */
const STAND_IN: MotoRequirement = {
  pip: 'moto==5.2.1',
  version: '5.2.1',
  modules: ['moto.moto_server.werkzeug_app'],
};

const paths = {
  /** No python at all. */
  empty: join(dir, 'path-empty'),
  /** python3 with moto. */
  moto: join(dir, 'path-moto'),
  /** python3 and python without moto (a bare venv of the same Python). */
  bare: join(dir, 'bare', 'bin'),
  /** python3 without moto, python with it. */
  mixed: join(dir, 'path-mixed'),
};
const wheelhouse = join(dir, 'wheelhouse');
let closedIndex = '';
let cacheCount = 0;

beforeAll(async () => {
  mkdirSync(paths.empty);
  mkdirSync(paths.moto);
  symlinkSync(withMoto, join(paths.moto, 'python3'));
  execFileSync(withMoto, ['-m', 'venv', '--without-pip', join(dir, 'bare')]);
  mkdirSync(paths.mixed);
  symlinkSync(join(paths.bare, 'python3'), join(paths.mixed, 'python3'));
  symlinkSync(withMoto, join(paths.mixed, 'python'));
  mkdirSync(wheelhouse);
  // A stand-in with a module at moto.moto_server.werkzeug_app, which the stand-in requirement checks.
  writeMotoWheel(withMoto, join(wheelhouse, 'moto-5.2.1-py3-none-any.whl'), {
    'moto/__init__.py': '__version__ = "5.2.1"\n',
    'moto/moto_server/__init__.py': '',
    'moto/moto_server/werkzeug_app.py': 'READY = True\n',
  });
  // A port that was just free: pip's connection is refused at once.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  closedIndex = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 9}/simple`;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh cache folder and an environment with nothing of the user's (no pip.conf, no PIP_* of theirs). */
function setting(path: string, extra: NodeJS.ProcessEnv = {}): { env: NodeJS.ProcessEnv; cache: string } {
  cacheCount += 1;
  const cache = join(dir, `xdg-${cacheCount}`);
  const env: NodeJS.ProcessEnv = {
    PATH: path,
    HOME: join(dir, 'home'),
    XDG_CACHE_HOME: cache,
    PIP_CONFIG_FILE: devNull,
    // One retry, at once (urllib3 waits only from the second): pip then says why the index was not reached.
    PIP_RETRIES: '1',
    PIP_TIMEOUT: '5',
    ...extra,
  };
  return { env, cache };
}

async function resolveWith(options: ResolveMotoPythonOptions) {
  const lines: string[] = [];
  const python = await resolveMotoPython({ log: (line) => lines.push(line), ...options });
  return { python, lines };
}

async function failure(options: ResolveMotoPythonOptions): Promise<{ message: string; lines: string[] }> {
  const lines: string[] = [];
  const error = await resolveMotoPython({ log: (line) => lines.push(line), ...options }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PythonEnvError);
  return { message: (error as Error).message, lines };
}

describe('SWITCHYARD_PYTHON', () => {
  it('names a Python with moto: used, whatever PATH holds', async () => {
    const { env } = setting(paths.empty, { SWITCHYARD_PYTHON: withMoto });
    const { python } = await resolveWith({ env });
    expect(python).toMatchObject({ source: 'SWITCHYARD_PYTHON', executable: withMoto });
    expect(python.motoVersion).toMatch(/^5\.2\./);
  });

  it('names nothing that runs: an error naming the variable and the fix; nothing is made', async () => {
    const missing = join(dir, 'no-such', 'python3');
    const { env, cache } = setting(paths.moto, { SWITCHYARD_PYTHON: missing });
    const { message } = await failure({ env });
    expect(message).toContain(`SWITCHYARD_PYTHON=${missing} cannot run the emulator`);
    expect(message).toContain('not found');
    expect(message).toMatch(/point SWITCHYARD_PYTHON at an existing Python 3 .*or unset SWITCHYARD_PYTHON/);
    expect(existsSync(cache)).toBe(false);
  });

  it('names a Python without moto: what is missing and the pip command for that Python', async () => {
    const bare = join(paths.bare, 'python3');
    const { env } = setting(paths.moto, { SWITCHYARD_PYTHON: bare });
    const { message } = await failure({ env });
    expect(message).toContain("No module named 'moto'");
    expect(message).toMatch(/-m pip install 'moto\[server\]==5\.2\.1'/);
  });
});

describe('PATH', () => {
  it('takes python3 when it has moto, and writes nothing', async () => {
    const { env, cache } = setting(paths.moto);
    const { python, lines } = await resolveWith({ env });
    expect(python.source).toBe('PATH');
    expect(realpathSync(python.executable)).toBe(realpathSync(withMoto));
    expect(lines).toEqual([]);
    expect(existsSync(cache)).toBe(false);
  });

  it('takes python when python3 lacks moto', async () => {
    const { env } = setting(paths.mixed);
    const { python } = await resolveWith({ env });
    expect(python.source).toBe('PATH');
    expect(realpathSync(python.executable)).toBe(realpathSync(withMoto));
  });

  it('with no Python at all: which packages to install', async () => {
    const { env, cache } = setting(paths.empty);
    const { message } = await failure({ env });
    expect(message).toMatch(/No Python 3\.9\+ to run the emulator/);
    expect(message).toContain('python3: not found, python: not found');
    expect(message).toContain('sudo apt install python3 python3-venv');
    expect(existsSync(cache)).toBe(false);
  });
});

describe('the private environment', () => {
  it('cannot be made by a Python without venv/ensurepip (Debian without python3-venv): which package', async () => {
    // Every Python started with this environment finds no ensurepip, as on Debian without python3-venv.
    const shadow = join(dir, 'no-ensurepip');
    mkdirSync(shadow);
    writeFileSync(join(shadow, 'sitecustomize.py'), "import sys\nsys.modules['ensurepip'] = None\n");
    const { env, cache } = setting(paths.bare, { PYTHONPATH: shadow });
    const { message } = await failure({ env });
    expect(message).toContain('its venv/ensurepip modules are missing');
    expect(message).toContain(`sudo apt install python3-venv\` (or python${pyVersion}-venv)`);
    expect(existsSync(cache)).toBe(false);
  });

  it('cannot be installed when the index is unreachable: one clear message, nothing half-made', async () => {
    const { env, cache } = setting(paths.bare, { PIP_INDEX_URL: closedIndex });
    const { message, lines } = await failure({ env });
    const root = join(cache, 'switchyard');
    expect(lines[0]).toContain(`installing moto[server]==5.2.1 into a private Python environment, ${root}/`);
    expect(lines[0]).toContain("python3 on PATH (moto: No module named 'moto')");
    expect(lines.some((line) => line.startsWith('  pip | '))).toBe(true);
    expect(message).toContain(`failed; pip looked in indexes: ${closedIndex}.`);
    expect(message).toMatch(/The package index could not be reached: \[Errno \d+\] Connection refused\./);
    expect(message).toMatch(/pip's last line: ERROR: /);
    expect(message).toContain('PIP_INDEX_URL');
    expect(message).toContain('PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR');
    expect(message).toContain('set SWITCHYARD_PYTHON to a Python that already has moto[server]==5.2.1');
    expect(readdirSync(root)).toEqual([]);
    expect(lstatSync(root).mode & 0o777).toBe(0o700);
  });

  it('is installed from local wheels with progress, marked last, reused, and remade when unmarked', async () => {
    const { env, cache } = setting(paths.bare, { PIP_NO_INDEX: '1', PIP_FIND_LINKS: wheelhouse });
    const root = join(cache, 'switchyard');
    // A folder a killed run left behind.
    mkdirSync(join(root, '.building-999999999-dead'), { recursive: true });
    const venv = join(root, VENV_NAME);

    const first = await resolveWith({ env, requirement: STAND_IN });
    expect(first.python).toMatchObject({
      source: 'installed',
      executable: join(venv, 'bin', 'python'),
      motoVersion: '5.2.1',
    });
    expect(first.lines[0]).toMatch(/installing moto==5\.2\.1 into a private Python environment/);
    expect(first.lines).toContainEqual(
      expect.stringMatching(/^ {2}pip \| Successfully installed moto-5\.2\.1/),
    );
    expect(readdirSync(root)).toEqual([VENV_NAME]);
    expect(lstatSync(venv).mode & 0o777).toBe(0o700);
    expect(lstatSync(join(venv, MARKER)).mode & 0o777).toBe(0o600);

    const again = await resolveWith({ env, requirement: STAND_IN });
    expect(again.python).toMatchObject({
      source: 'private environment',
      executable: join(venv, 'bin', 'python'),
    });
    expect(again.lines).toEqual([]);

    unlinkSync(join(venv, MARKER));
    const remade = await resolveWith({ env, requirement: STAND_IN });
    expect(remade.lines[0]).toContain(
      `not using the private Python environment ${venv}: it has no completion marker`,
    );
    expect(remade.python.source).toBe('installed');
    expect(readdirSync(root)).toEqual([VENV_NAME]);
  });
});

describe('a planted environment', () => {
  /** A folder in the environment's place whose python would pass every check, and leaves a trace if it runs. */
  function plant(cache: string, proof: string): string {
    const venv = join(cache, 'switchyard', VENV_NAME);
    mkdirSync(join(venv, 'bin'), { recursive: true, mode: 0o700 });
    writeFileSync(join(venv, 'bin', 'python'), `#!/bin/sh\n: > '${proof}'\nexec '${withMoto}' "$@"\n`, {
      mode: 0o700,
    });
    writeFileSync(join(venv, MARKER), JSON.stringify({ requirement: 'moto[server]==5.2.1' }), {
      mode: 0o600,
    });
    return venv;
  }

  const cases: Array<[string, (venv: string) => void, RegExp]> = [
    ['unmarked', (venv) => unlinkSync(join(venv, MARKER)), /no completion marker/],
    ['open to others (0755)', (venv) => chmodSync(venv, 0o755), /its mode is 0755, not 0700/],
    [
      'marked by someone loose (0644 marker)',
      (venv) => chmodSync(join(venv, MARKER), 0o644),
      /not a 0600 file/,
    ],
    [
      'made for another requirement',
      (venv) => writeFileSync(join(venv, MARKER), JSON.stringify({ requirement: 'moto[server]==5.1.0' })),
      /made for moto\[server\]==5\.1\.0/,
    ],
  ];

  it.each(cases)('%s is neither run nor used', async (_name, spoil, why) => {
    const proof = join(dir, `ran-${cacheCount + 1}`);
    const { env, cache } = setting(paths.moto);
    const venv = plant(cache, proof);
    spoil(venv);
    const { python, lines } = await resolveWith({ env });
    expect(python.source).toBe('PATH');
    expect(lines).toEqual([expect.stringContaining(`not using the private Python environment ${venv}: `)]);
    expect(lines[0]).toMatch(why);
    expect(existsSync(proof)).toBe(false);
  });

  it('owned by someone else is neither run nor used (nor is a cache folder of theirs)', async () => {
    const proof = join(dir, 'ran-stranger');
    const { env, cache } = setting(paths.moto);
    const venv = plant(cache, proof);
    const stranger = (process.geteuid?.() ?? 0) + 1;
    expect(venvProblem(venv, { ...STAND_IN, pip: 'moto[server]==5.2.1' }, stranger)).toMatch(
      /owned by uid \d+, not by you/,
    );
    const { python, lines } = await resolveWith({ env, uid: stranger });
    expect(python.source).toBe('PATH');
    expect(lines[0]).toMatch(
      /not using the private Python environments in .*: .* is owned by uid \d+, not by you/,
    );
    expect(existsSync(proof)).toBe(false);
  });

  it('that is sound is used before PATH, and run (the control for the cases above)', async () => {
    const proof = join(dir, 'ran-control');
    const { env, cache } = setting(paths.moto);
    const venv = plant(cache, proof);
    const { python, lines } = await resolveWith({ env });
    expect(python.source).toBe('private environment');
    expect(lines).toEqual([]);
    expect(existsSync(proof)).toBe(true);
    expect(venv).toContain(cache);
  });
});
