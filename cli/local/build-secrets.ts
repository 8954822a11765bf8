/**
 * The SSM parameters and Secrets Manager secrets a local build reads (the buildspec's env.parameter-store and
 * env.secrets-manager, and the PARAMETER_STORE/SECRETS_MANAGER variables of --build-env). The emulator's CodeBuild
 * is as strict as CodeBuild and fails a build whose parameter or secret is missing; the team's real values are in
 * its account, not on this laptop. So a local run puts a stand-in value in the emulator for each one missing, says
 * so, and leaves any that exists (one created with the AWS CLI against a --keep emulator) as it is.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseBuildVariables } from '../../functions/lib/shared/settings';
import { parseSecretReference } from '../build/aws-variables';
import { parseBuildspec } from '../build/buildspec';

/** The value every stand-in holds, so a build's log shows plainly where one was used. */
export const STAND_IN = 'switchyard-local-stand-in';

/** The references of a buildspec's text and of BuildEnvironmentVariables' JSON. */
export function buildReferences(
  buildspec: { text?: string; path: string },
  buildVariables: string | undefined,
): { parameters: string[]; secrets: string[] } {
  const parameters = new Set<string>();
  const secrets = new Set<string>();
  if (buildspec.text !== undefined) {
    try {
      const { buildspec: spec } = parseBuildspec(buildspec.text, buildspec.path);
      for (const entry of spec.parameterStore) parameters.add(entry.value);
      for (const entry of spec.secretsManager) secrets.add(entry.value);
    } catch {
      // An invalid buildspec fails the build with CodeBuild's message; nothing to seed for it.
    }
  }
  for (const variable of buildVariables ? parseBuildVariables(buildVariables) : []) {
    if (variable.type === 'PARAMETER_STORE') parameters.add(variable.value);
    if (variable.type === 'SECRETS_MANAGER') secrets.add(variable.value);
  }
  return { parameters: [...parameters], secrets: [...secrets] };
}

/** Creates a stand-in for each parameter and secret the emulator lacks; returns one line per stand-in. */
export async function seedStandIns(references: {
  parameters: string[];
  secrets: string[];
}): Promise<string[]> {
  const ssm = new SSMClient({});
  const secretsManager = new SecretsManagerClient({});
  const made: string[] = [];
  try {
    for (const name of references.parameters) {
      const exists = await ssm.send(new GetParameterCommand({ Name: name })).then(
        () => true,
        () => false,
      );
      if (exists) continue;
      await ssm.send(new PutParameterCommand({ Name: name, Value: STAND_IN, Type: 'SecureString' }));
      made.push(`SSM parameter ${name}`);
    }
    // One secret may be read through several JSON keys: its stand-in holds every one.
    const keys = new Map<string, Set<string>>();
    for (const reference of references.secrets) {
      const { secretId, jsonKey } = parseSecretReference(reference);
      const set = keys.get(secretId) ?? new Set<string>();
      if (jsonKey) set.add(jsonKey);
      keys.set(secretId, set);
    }
    for (const [secretId, jsonKeys] of keys) {
      const exists = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })).then(
        () => true,
        () => false,
      );
      if (exists || secretId.startsWith('arn:')) continue;
      const value =
        jsonKeys.size > 0
          ? JSON.stringify(Object.fromEntries([...jsonKeys].map((key) => [key, STAND_IN])))
          : STAND_IN;
      await secretsManager.send(new CreateSecretCommand({ Name: secretId, SecretString: value }));
      made.push(`secret ${secretId}`);
    }
  } finally {
    ssm.destroy();
    secretsManager.destroy();
  }
  return made;
}
