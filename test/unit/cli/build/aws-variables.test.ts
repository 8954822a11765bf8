/** The AWS resolver of PARAMETER_STORE and SECRETS_MANAGER variables, and the secret reference's parts. */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { awsVariableResolver, parseSecretReference } from '../../../../cli/build/aws-variables';
import { secretMasker } from '../../../../cli/build/log';

const ssmMock = mockClient(SSMClient);
const secretsMock = mockClient(SecretsManagerClient);
const resolve = awsVariableResolver({ ssm: new SSMClient({}), secretsManager: new SecretsManagerClient({}) });
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dockerhub-AbCdEf';

beforeEach(() => {
  ssmMock.reset();
  secretsMock.reset();
});

describe('parseSecretReference', () => {
  it.each([
    ['dockerhub', { secretId: 'dockerhub' }],
    ['dockerhub:token', { secretId: 'dockerhub', jsonKey: 'token' }],
    ['dockerhub::AWSPREVIOUS', { secretId: 'dockerhub', versionStage: 'AWSPREVIOUS' }],
    ['dockerhub:token::v-123', { secretId: 'dockerhub', jsonKey: 'token', versionId: 'v-123' }],
    [ARN, { secretId: ARN }],
    [`${ARN}:token:AWSCURRENT`, { secretId: ARN, jsonKey: 'token', versionStage: 'AWSCURRENT' }],
  ])('reads %s', (reference, expected) => {
    expect(parseSecretReference(reference)).toEqual({
      jsonKey: undefined,
      versionStage: undefined,
      versionId: undefined,
      ...expected,
    });
  });

  it('refuses a reference with no secret id', () => {
    expect(() => parseSecretReference(':token')).toThrow(/is not a Secrets Manager reference/);
  });
});

describe('awsVariableResolver', () => {
  it('reads a parameter decrypted', async () => {
    ssmMock.on(GetParameterCommand).resolves({ Parameter: { Value: 'pa55' } });
    await expect(resolve('PARAMETER_STORE', '/ci/db-password')).resolves.toBe('pa55');
    expect(ssmMock.commandCalls(GetParameterCommand)[0]?.args[0].input).toEqual({
      Name: '/ci/db-password',
      WithDecryption: true,
    });
  });

  it("says a missing parameter does not exist, in CodeBuild's words", async () => {
    ssmMock.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    await expect(resolve('PARAMETER_STORE', '/ci/missing')).rejects.toThrow(
      new Error('parameter does not exist: /ci/missing'),
    );
  });

  it("reads a secret's JSON key at the version stage and version id the reference names", async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"bot","port":5432}' });
    await expect(resolve('SECRETS_MANAGER', `${ARN}:user:AWSPREVIOUS`)).resolves.toBe('bot');
    await expect(resolve('SECRETS_MANAGER', 'db:port::v-7')).resolves.toBe('5432');
    await expect(resolve('SECRETS_MANAGER', 'db')).resolves.toBe('{"user":"bot","port":5432}');
    expect(secretsMock.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toEqual([
      { SecretId: ARN, VersionStage: 'AWSPREVIOUS', VersionId: undefined },
      { SecretId: 'db', VersionStage: undefined, VersionId: 'v-7' },
      { SecretId: 'db', VersionStage: undefined, VersionId: undefined },
    ]);
  });

  it("names a missing JSON key and the secret's keys, never its values", async () => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"bot","password":"hunter2"}' });
    const error = await resolve('SECRETS_MANAGER', 'db:token').catch((e: Error) => e);
    expect(error).toEqual(new Error('secret db has no JSON key "token" (its keys: user, password)'));
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'hunter2' });
    const notJson = await resolve('SECRETS_MANAGER', 'db:token').catch((e: Error) => e);
    expect(notJson).toEqual(new Error('secret db is not JSON, so it has no key "token"'));
  });

  it('passes on what Secrets Manager says of a missing secret', async () => {
    secretsMock.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    await expect(resolve('SECRETS_MANAGER', 'gone')).rejects.toThrow(
      new Error("ResourceNotFoundException: Secrets Manager can't find the specified secret."),
    );
  });
});

describe('secretMasker', () => {
  it('hides each secret, the longest first, and every line of one of several lines', () => {
    const mask = secretMasker(['abc', 'abcdef', 'first\nsecond', '']);
    expect(mask('x abcdef y abc z')).toBe('x *** y *** z');
    expect(mask('first, then second')).toBe('***, then ***');
    expect(secretMasker(['a.b'])('a.b axb')).toBe('*** axb');
    expect(secretMasker([])('nothing to hide')).toBe('nothing to hide');
  });
});
