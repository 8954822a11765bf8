/**
 * The emulator's per-launch credentials (cli/emulator/emulator_auth.py): a random access key id and secret access
 * key made for each server. AWS requests must be signed with that key id; the controls (/moto-api/...) must carry
 * the secret in a header. They reach the server through its environment, never its command line.
 */
import { randomBytes } from 'node:crypto';

/** An emulator's credentials, as the AWS SDK takes them. */
export interface EmulatorCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The header that carries the secret access key to a control route. */
export const SECRET_HEADER = 'x-switchyard-emulator-secret';
/** The launcher's environment variables that carry the credentials (emulator_auth.py). */
export const LAUNCH_ENV = {
  accessKeyId: 'SWITCHYARD_EMULATOR_ACCESS_KEY_ID',
  secretAccessKey: 'SWITCHYARD_EMULATOR_SECRET_ACCESS_KEY',
} as const;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Servers this process started, by origin: their controls need no environment. */
const launched = new Map<string, EmulatorCredentials>();

/** New credentials: `AKIA` and 28 random base-32 characters (140 bits), and a 40-character secret. */
export function newEmulatorCredentials(): EmulatorCredentials {
  const accessKeyId = `AKIA${[...randomBytes(28)].map((byte) => BASE32[byte % 32]).join('')}`;
  return { accessKeyId, secretAccessKey: randomBytes(30).toString('base64') };
}

/** Remembers the credentials of a server this process started. */
export function rememberEmulator(endpoint: string, credentials: EmulatorCredentials): void {
  launched.set(new URL(endpoint).origin, credentials);
}

/** Forgets a stopped server. */
export function forgetEmulator(endpoint: string): void {
  launched.delete(new URL(endpoint).origin);
}

/**
 * The credentials of the emulator at `endpoint`: those of a server this process started, else the environment's
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a test worker's, or a person's pointing at a `--keep` emulator).
 */
export function emulatorCredentials(endpoint: string): EmulatorCredentials {
  const known = launched.get(new URL(endpoint).origin);
  if (known) return known;
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = process.env;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error(
      `No credentials for the emulator at ${endpoint}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the ones ` +
        'it was launched with (`switchyard local --keep` prints them)',
    );
  }
  return { accessKeyId, secretAccessKey };
}

/** The header a control request to the emulator at `endpoint` needs. */
export function controlHeaders(endpoint: string): Record<string, string> {
  return { [SECRET_HEADER]: emulatorCredentials(endpoint).secretAccessKey };
}

/** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for a process that talks to the emulator. */
export function credentialEnvironment(credentials: EmulatorCredentials): {
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
} {
  return { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}
