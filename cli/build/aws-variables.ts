/**
 * A VariableResolver over AWS: PARAMETER_STORE variables read with GetParameter (decrypted), SECRETS_MANAGER
 * variables with GetSecretValue and the reference's json-key, version-stage and version-id, as CodeBuild reads
 * them. Used by the emulator's CodeBuild (clients on the emulator) and by `switchyard run-build` (clients on the
 * default credential chain). Errors name what was missing, never a value.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html#build-spec.env.secrets-manager
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { describeError, InvalidInputError } from '../../functions/lib/shared/errors';
import type { VariableResolver } from './types';

/** A Secrets Manager reference, `secret-id:json-key:version-stage:version-id`, in its parts. */
export interface SecretReference {
  /** A name, or a full ARN (which holds colons of its own). */
  secretId: string;
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
}

/** Splits a reference; a secret ARN keeps its seven colon-separated parts as the secret id. */
export function parseSecretReference(reference: string): SecretReference {
  const parts = reference.split(':');
  const idParts = parts[0] === 'arn' ? 7 : 1;
  const [jsonKey, versionStage, versionId] = parts.slice(idParts);
  const secretId = parts.slice(0, idParts).join(':');
  if (secretId === '' || (parts[0] === 'arn' && parts.length < 7)) {
    throw new InvalidInputError(
      `"${reference}" is not a Secrets Manager reference: expected secret-id:json-key:version-stage:version-id ` +
        '(a name or a secret ARN, the rest optional)',
    );
  }
  const part = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  return {
    secretId,
    jsonKey: part(jsonKey),
    versionStage: part(versionStage),
    versionId: part(versionId),
  };
}

/** The resolver for runBuild's resolveVariable, over these clients. */
export function awsVariableResolver(clients: {
  ssm: SSMClient;
  secretsManager: SecretsManagerClient;
}): VariableResolver {
  return (type, reference) =>
    type === 'PARAMETER_STORE'
      ? readParameter(clients.ssm, reference)
      : readSecret(clients.secretsManager, reference);
}

async function readParameter(ssm: SSMClient, name: string): Promise<string> {
  try {
    const out = await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return out.Parameter?.Value ?? '';
  } catch (error) {
    // CodeBuild's words for a missing parameter.
    if (error instanceof Error && error.name === 'ParameterNotFound')
      throw new Error(`parameter does not exist: ${name}`);
    throw new Error(describeError(error));
  }
}

async function readSecret(secretsManager: SecretsManagerClient, reference: string): Promise<string> {
  const { secretId, jsonKey, versionStage, versionId } = parseSecretReference(reference);
  let text: string;
  try {
    const out = await secretsManager.send(
      new GetSecretValueCommand({ SecretId: secretId, VersionStage: versionStage, VersionId: versionId }),
    );
    text = out.SecretString ?? Buffer.from(out.SecretBinary ?? new Uint8Array()).toString('utf8');
  } catch (error) {
    throw new Error(describeError(error));
  }
  if (jsonKey === undefined) return text;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The secret's text is not shown: it is the secret.
    throw new Error(`secret ${secretId} is not JSON, so it has no key "${jsonKey}"`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error(`secret ${secretId} is not a JSON object, so it has no key "${jsonKey}"`);
  }
  if (!(jsonKey in json)) {
    // The keys are names, not secrets: they show what the reference could have said.
    const keys = Object.keys(json).join(', ') || 'none';
    throw new Error(`secret ${secretId} has no JSON key "${jsonKey}" (its keys: ${keys})`);
  }
  const value = (json as Record<string, unknown>)[jsonKey];
  return typeof value === 'string' ? value : JSON.stringify(value);
}
