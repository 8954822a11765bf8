/**
 * Import first in a test file whose handlers should retry as they do in Lambda: the SDK's standard retry, three
 * attempts (setup-env.ts turns retries off for the other tests). Imported before any handler module, since each
 * builds its clients when loaded.
 */
process.env.AWS_MAX_ATTEMPTS = '3';

export {};
