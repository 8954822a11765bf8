import { stopMotoByPid } from '../../cli/emulator/moto';

/** Jest globalTeardown: stop every moto server that globalSetup started, by PID. */
export default async function globalTeardown(): Promise<void> {
  const pids = (process.env.SWITCHYARD_TEST_MOTO_PIDS ?? '').split(',').filter(Boolean).map(Number);
  await Promise.all(pids.map((pid) => stopMotoByPid(pid)));
  delete process.env.SWITCHYARD_TEST_MOTO_PIDS;
  delete process.env.SWITCHYARD_TEST_MOTO_ENDPOINTS;
  delete process.env.SWITCHYARD_TEST_MOTO_LOGS;
  delete process.env.SWITCHYARD_TEST_MOTO_ACCESS_KEY_IDS;
  delete process.env.SWITCHYARD_TEST_MOTO_SECRET_ACCESS_KEYS;
}
