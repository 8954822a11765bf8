/** switchyard local's stand-ins: each parameter and secret a build reads that the emulator lacks, and only those. */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { buildReferences, STAND_IN, seedStandIns } from '../../../../cli/local/build-secrets';
import { useMoto } from '../../../support/moto';

const BUILDSPEC = `version: 0.2
env:
  parameter-store:
    TOKEN: /app/token
  secrets-manager:
    USER: dockerhub:username
    PASS: dockerhub:password
    DB: prod/db
phases:
  build:
    commands: [echo]
`;

describe('stand-ins for the parameters and secrets a local build reads', () => {
  useMoto();
  const ssm = new SSMClient({});
  const secrets = new SecretsManagerClient({});

  it('creates what is missing, keys of one secret together, and keeps what exists', async () => {
    await ssm.send(new PutParameterCommand({ Name: '/app/token', Value: 'real', Type: 'SecureString' }));
    const references = buildReferences(
      { path: 'buildspec.yml', text: BUILDSPEC },
      '[{"name":"EXTRA","value":"/app/extra","type":"PARAMETER_STORE"}]',
    );
    expect(references).toEqual({
      parameters: ['/app/token', '/app/extra'],
      secrets: ['dockerhub:username', 'dockerhub:password', 'prod/db'],
    });
    await secrets.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: 'kept' }));

    expect(await seedStandIns(references)).toEqual(['SSM parameter /app/extra', 'secret dockerhub']);

    const parameter = async (name: string) =>
      (await ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value;
    expect(await parameter('/app/token')).toBe('real');
    expect(await parameter('/app/extra')).toBe(STAND_IN);
    const secret = async (id: string) =>
      (await secrets.send(new GetSecretValueCommand({ SecretId: id }))).SecretString;
    expect(JSON.parse((await secret('dockerhub')) ?? '')).toEqual({ username: STAND_IN, password: STAND_IN });
    expect(await secret('prod/db')).toBe('kept');
  });
});
