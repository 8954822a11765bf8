/**
 * The emulator's Lambda code cache is private to the user who runs the emulator: a folder someone else could write
 * to is refused, and unpacked code that is not intact and this user's alone is replaced before it runs
 * (cli/emulator/lambda_node_cache.py). A server of its own, with SWITCHYARD_LAMBDA_CACHE on a fresh folder.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { ensureFunctionRole, nodeFunctionZip } from '../../../../cli/emulator/functions';
import { type MotoServer, startMoto } from '../../../../cli/emulator/moto';
import { INSTANT_TIMINGS } from '../../../../cli/emulator/moto-controls';

/** Someone other than this test's user: uid 65534 (nobody) when the test runs as root. */
const IS_ROOT = process.getuid?.() === 0;
const STRANGER = 65534;

const dir = mkdtempSync(join(tmpdir(), 'lambda-cache-test-'));
/** The server's cache is a link, so a test can point it at a folder it does not own. */
const cacheLink = join(dir, 'cache');
const ownCache = join(dir, 'own-cache');
/** What planted code writes if it ever runs. */
const proof = join(dir, 'planted-code-ran');

let server: MotoServer;
let lambda: LambdaClient;

beforeAll(async () => {
  mkdirSync(ownCache, { mode: 0o700 });
  symlinkSync(ownCache, cacheLink);
  const previous = process.env.SWITCHYARD_LAMBDA_CACHE;
  process.env.SWITCHYARD_LAMBDA_CACHE = cacheLink;
  try {
    server = await startMoto({ timings: INSTANT_TIMINGS });
  } finally {
    if (previous === undefined) delete process.env.SWITCHYARD_LAMBDA_CACHE;
    else process.env.SWITCHYARD_LAMBDA_CACHE = previous;
  }
  lambda = new LambdaClient({ endpoint: server.endpoint, credentials: server.credentials, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(() => {
  rmSync(proof, { force: true });
  chmodSync(ownCache, 0o700);
});

let functions = 0;

/** A function whose code is unique to this test, and the cache folder its code is unpacked into. */
async function newFunction(): Promise<{ name: string; taskRoot: string }> {
  functions += 1;
  const files = { 'index.js': `exports.handler = async () => ({ genuine: ${functions} });\n` };
  const name = `cache-fn-${functions}`;
  const zip = await nodeFunctionZip(files);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: await ensureFunctionRole(server.endpoint),
      Handler: 'index.handler',
      Code: { ZipFile: zip },
      Timeout: 10,
    }),
  );
  const digest = createHash('sha256').update(zip).digest('hex');
  return { name, taskRoot: join(ownCache, digest) };
}

async function invoke(name: string): Promise<unknown> {
  const output = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: '{}' }));
  return JSON.parse(Buffer.from(output.Payload ?? new Uint8Array()).toString('utf8'));
}

/** Code that records that it ran, as an attacker's would run as this user. */
function plantCode(folder: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'index.js'),
    `require('node:fs').writeFileSync(${JSON.stringify(proof)}, 'ran'); exports.handler = async () => 'planted';\n`,
  );
}

/** The marker a verified unpacking writes: the digest of the folder's paths and files, as the emulator hashes them. */
function plantMarker(taskRoot: string, files: Record<string, string>): void {
  const digest = createHash('sha256');
  digest.update('D .\0');
  for (const [path, text] of Object.entries(files).sort()) {
    digest.update(`F ${path}\0`);
    digest.update(text);
    digest.update('\0');
  }
  writeFileSync(`${taskRoot}.verified`, digest.digest('hex'), { mode: 0o600 });
}

describe('the emulator: a private Lambda code cache', () => {
  it('creates the cache 0700, unpacks the code 0700 with a 0600 marker, and runs it', async () => {
    const { name, taskRoot } = await newFunction();

    expect(await invoke(name)).toEqual({ genuine: functions });

    expect(statSync(ownCache).mode & 0o777).toBe(0o700);
    expect(statSync(taskRoot).mode & 0o777).toBe(0o700);
    expect(statSync(join(taskRoot, 'index.js')).mode & 0o777).toBe(0o600);
    expect(statSync(`${taskRoot}.verified`).mode & 0o777).toBe(0o600);
  });

  it('replaces a planted folder without a marker: the planted code never runs', async () => {
    const { name, taskRoot } = await newFunction();
    plantCode(taskRoot);

    expect(await invoke(name)).toEqual({ genuine: functions });
    expect(existsSync(proof)).toBe(false);
    expect(readFileSync(join(taskRoot, 'index.js'), 'utf8')).toContain('genuine');
  });

  it('replaces a planted folder with a matching marker that others may write to', async () => {
    const { name, taskRoot } = await newFunction();
    plantCode(taskRoot);
    plantMarker(taskRoot, { 'index.js': readFileSync(join(taskRoot, 'index.js'), 'utf8') });
    chmodSync(join(taskRoot, 'index.js'), 0o666);

    expect(await invoke(name)).toEqual({ genuine: functions });
    expect(existsSync(proof)).toBe(false);
  });

  it("replaces another user's planted code, even with a matching marker", async () => {
    const { name, taskRoot } = await newFunction();
    if (IS_ROOT) {
      plantCode(taskRoot);
      plantMarker(taskRoot, { 'index.js': readFileSync(join(taskRoot, 'index.js'), 'utf8') });
      chmodSync(taskRoot, 0o755);
      chmodSync(join(taskRoot, 'index.js'), 0o644);
      chownSync(join(taskRoot, 'index.js'), STRANGER, STRANGER);
      chownSync(taskRoot, STRANGER, STRANGER);
    } else {
      // Without root no file can be given away: a link to a folder of root's stands in for the stranger's folder.
      const elsewhere = mkdtempSync(join(tmpdir(), 'lambda-cache-elsewhere-'));
      plantCode(elsewhere);
      symlinkSync(elsewhere, taskRoot);
      plantMarker(taskRoot, { 'index.js': readFileSync(join(elsewhere, 'index.js'), 'utf8') });
    }

    expect(await invoke(name)).toEqual({ genuine: functions });
    expect(existsSync(proof)).toBe(false);
  });

  it('unpacks the code again when its files were changed after a verified unpacking', async () => {
    const { name, taskRoot } = await newFunction();
    expect(await invoke(name)).toEqual({ genuine: functions });
    plantCode(taskRoot);

    expect(await invoke(name)).toEqual({ genuine: functions });
    expect(existsSync(proof)).toBe(false);
  });

  it('refuses a cache others may write to, naming the folder and the fix, and runs nothing', async () => {
    const { name, taskRoot } = await newFunction();
    chmodSync(ownCache, 0o777);

    await expect(invoke(name)).rejects.toThrow(
      `the Lambda code cache ${cacheLink} is writable by its group or others (mode 0777)`,
    );
    await expect(invoke(name)).rejects.toThrow(`chmod 700 '${cacheLink}'`);
    expect(existsSync(taskRoot)).toBe(false);

    chmodSync(ownCache, 0o700);
    expect(await invoke(name)).toEqual({ genuine: functions });
  });

  it("refuses a cache that is another user's folder", async () => {
    const { name } = await newFunction();
    const strangers = join(dir, 'strangers-cache');
    mkdirSync(strangers, { mode: 0o700 });
    plantCode(join(strangers, 'planted'));
    if (IS_ROOT) chownSync(strangers, STRANGER, STRANGER);
    unlinkSync(cacheLink);
    // Without root, a folder of root's (/) stands in for the stranger's folder.
    symlinkSync(IS_ROOT ? strangers : '/', cacheLink);
    try {
      await expect(invoke(name)).rejects.toThrow(
        new RegExp(
          `the Lambda code cache ${cacheLink} is owned by uid \\d+, not by you .*SWITCHYARD_LAMBDA_CACHE`,
        ),
      );
    } finally {
      unlinkSync(cacheLink);
      symlinkSync(ownCache, cacheLink);
    }
    expect(existsSync(proof)).toBe(false);
  });
});
