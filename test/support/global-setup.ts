import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMoto } from '../../cli/emulator/moto';
import { INSTANT_TIMINGS } from '../../cli/emulator/moto-controls';
import { resolveMotoPython } from '../../cli/emulator/python-env';
import { MOTO_PYTHON_VARIABLE } from './moto';

/** The part of jest's GlobalConfig this setup reads. */
interface JestGlobalConfig {
  maxWorkers: number;
}

/**
 * Jest globalSetup: one patched moto server per worker; endpoints, PIDs and each server's own credentials go to the
 * workers through env (inherited by the forked workers; never on a command line).
 */
export default async function globalSetup(globalConfig: JestGlobalConfig): Promise<void> {
  const workers = Math.max(1, Number(globalConfig.maxWorkers) || 1);
  const logDir = freshLogDir();
  // The interpreter `switchyard local` would use (SWITCHYARD_PYTHON, the private environment, PATH, else one
  // installed now), resolved once for all the servers; tests that run Python with moto read it (motoPython()).
  const python = (await resolveMotoPython()).executable;
  process.env[MOTO_PYTHON_VARIABLE] = python;
  const started = await Promise.allSettled(
    Array.from({ length: workers }, (_, index) =>
      // No emulated waiting unless a test asks for it (useMoto().setTimings); a reset restores these.
      startMoto({ log: join(logDir, `worker-${index + 1}.log`), timings: INSTANT_TIMINGS, python }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }
  // Workers are forked after globalSetup and inherit process.env; globalTeardown runs in this process.
  process.env.SWITCHYARD_TEST_MOTO_ENDPOINTS = servers.map((server) => server.endpoint).join(',');
  process.env.SWITCHYARD_TEST_MOTO_PIDS = servers.map((server) => server.pid).join(',');
  process.env.SWITCHYARD_TEST_MOTO_LOGS = servers.map((server) => server.log ?? '').join(',');
  // Neither a key id (capitals and digits) nor a base64 secret holds a comma.
  process.env.SWITCHYARD_TEST_MOTO_ACCESS_KEY_IDS = servers.map((s) => s.credentials.accessKeyId).join(',');
  process.env.SWITCHYARD_TEST_MOTO_SECRET_ACCESS_KEYS = servers
    .map((s) => s.credentials.secretAccessKey)
    .join(',');
}

/**
 * `<tmp>/switchyard-moto/<jest pid>/`: the logs (where a moto 500's cause is) outlive the run for
 * reading, and concurrent runs do not share files. Directories of runs that have ended are removed.
 */
function freshLogDir(): string {
  const root = join(tmpdir(), 'switchyard-moto');
  mkdirSync(root, { recursive: true, mode: 0o700 });
  for (const entry of readdirSync(root)) {
    if (/^\d+$/.test(entry) && !isRunning(Number(entry)))
      rmSync(join(root, entry), { recursive: true, force: true });
  }
  const dir = join(root, String(process.pid));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
