/**
 * Jest setupFiles: point the AWS SDK of this test file at its worker's moto server.
 * Runs before each test file, after globalSetup has started one server per worker.
 */
export {};

const endpoints = (process.env.SWITCHYARD_TEST_MOTO_ENDPOINTS ?? '').split(',').filter(Boolean);
const logs = (process.env.SWITCHYARD_TEST_MOTO_LOGS ?? '').split(',');
const keyIds = (process.env.SWITCHYARD_TEST_MOTO_ACCESS_KEY_IDS ?? '').split(',');
const secrets = (process.env.SWITCHYARD_TEST_MOTO_SECRET_ACCESS_KEYS ?? '').split(',');
// In band, JEST_WORKER_ID is '1'; the modulo only guards against ids beyond the servers started.
const index = (Number(process.env.JEST_WORKER_ID ?? '1') - 1) % Math.max(1, endpoints.length);
const endpoint = endpoints[index];

if (endpoint) {
  process.env.SWITCHYARD_TEST_MOTO_ENDPOINT = endpoint;
  process.env.SWITCHYARD_TEST_MOTO_LOG = logs[index] ?? '';
  process.env.AWS_ENDPOINT_URL = endpoint;
}
// A developer's service-specific endpoints, profile or session would win over the above and reach real AWS.
for (const name of Object.keys(process.env)) {
  if (name.startsWith('AWS_ENDPOINT_URL_')) delete process.env[name];
}
delete process.env.AWS_PROFILE;
delete process.env.AWS_SESSION_TOKEN;
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_DEFAULT_REGION = 'us-east-1';
// The worker's server accepts only the credentials it was launched with (cli/emulator/emulator_auth.py); without a
// server (none started), placeholders that reach nothing.
process.env.AWS_ACCESS_KEY_ID = (endpoint && keyIds[index]) || 'testing';
process.env.AWS_SECRET_ACCESS_KEY = (endpoint && secrets[index]) || 'testing';
// One attempt: a moto 500 is a bug to see at once, and an SDK retry would repeat the call's side
// effects (HARNESS: one failing CreateTaskSet left three task sets), hiding missing idempotency.
process.env.AWS_MAX_ATTEMPTS = '1';
process.env.NODE_NO_WARNINGS = '1';
// NODE_NO_WARNINGS is read when a process starts, too late for this one: silence the SDK's Node 20 notice here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
