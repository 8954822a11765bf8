/**
 * The build's variables: Parameter Store and Secrets Manager references resolved through resolveVariable with
 * CodeBuild's precedence, a reference that cannot be resolved failing DOWNLOAD_SOURCE, and resolved values hidden
 * in the log.
 */
import type { SecretVariableType, VariableResolver } from '../../../../cli/build/runner';
import { failure, removeTemporaryFolders, runLocalBuild } from '../../../support/local-build';

const STORE: Record<string, string> = {
  'PARAMETER_STORE /ci/db-password': 'pa55-from-ssm',
  'PARAMETER_STORE /ci/region': 'eu-west-1',
  'SECRETS_MANAGER dockerhub:token': 'tok-from-secrets',
  'SECRETS_MANAGER deploy-key': 'line one\nline two',
};

/** A resolver over STORE that records what it was asked; a reference not in STORE throws as AWS would. */
function fakeResolver(): VariableResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (type: SecretVariableType, reference: string) => {
    asked.push(`${type} ${reference}`);
    const value = STORE[`${type} ${reference}`];
    if (value === undefined) {
      throw new Error(
        type === 'PARAMETER_STORE'
          ? `parameter does not exist: ${reference}`
          : "ResourceNotFoundException: Secrets Manager can't find the specified secret.",
      );
    }
    return value;
  };
  return Object.assign(resolve, { asked });
}

afterAll(removeTemporaryFolders);

describe('parameter-store and secrets-manager variables', () => {
  it("resolves the buildspec's and the project's references, with CodeBuild's precedence", async () => {
    const resolveVariable = fakeResolver();
    const { result, output } = await runLocalBuild(
      {
        version: 0.2,
        env: {
          variables: { DB_PASSWORD: 'plain', REGION: 'plain', TOKEN: 'plain', LABEL: 'buildspec' },
          'parameter-store': { DB_PASSWORD: '/ci/db-password', REGION: '/ci/region' },
          'secrets-manager': { TOKEN: 'dockerhub:token' },
        },
        phases: {
          build: {
            commands: [
              'echo "db=$(printf %s "$DB_PASSWORD" | wc -c) region=$REGION label=$LABEL"',
              'printf %s "$TOKEN" | tr a-z A-Z',
            ],
          },
        },
      },
      {
        resolveVariable,
        environmentVariables: [{ name: 'LABEL', value: 'project' }],
        environmentVariablesOverride: [{ name: 'REGION', value: 'override' }],
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    // parameter-store and secrets-manager win over variables; the project and StartBuild over the buildspec.
    expect(output).toEqual(['db=13 region=override label=project', 'TOK-FROM-SECRETS']);
    // REGION's reference is overridden, so it is never read.
    expect(resolveVariable.asked).toEqual([
      'PARAMETER_STORE /ci/db-password',
      'SECRETS_MANAGER dockerhub:token',
    ]);
    expect(result.warnings).toEqual([]);
  });

  it('hides every resolved value in the log, line by line for a value of several lines', async () => {
    const { result, lines } = await runLocalBuild(
      {
        version: 0.2,
        env: { 'parameter-store': { DB_PASSWORD: '/ci/db-password' } },
        phases: {
          build: {
            commands: ['echo "password is $DB_PASSWORD."', 'echo "$KEY"', 'echo "$KEY" >&2'],
          },
        },
      },
      {
        resolveVariable: fakeResolver(),
        environmentVariables: [{ name: 'KEY', value: 'deploy-key', type: 'SECRETS_MANAGER' }],
      },
    );
    expect(result.status).toBe('SUCCEEDED');
    const output = lines.filter((line) => !line.startsWith('[Container]'));
    expect(output).toEqual(['password is ***.', '***', '***', '***', '***']);
    for (const secret of ['pa55-from-ssm', 'line one', 'line two'])
      expect(lines.join('\n')).not.toContain(secret);
  });

  it.each<[string, object, Record<string, unknown>, RegExp]>([
    [
      'a missing parameter of the buildspec',
      { 'parameter-store': { DB_PASSWORD: '/ci/missing' } },
      {},
      /^DOWNLOAD_SOURCE FAILED Decrypted Variables Error: parameter does not exist: \/ci\/missing \(variable DB_PASSWORD of buildspec\.yml env\.parameter-store, reference "\/ci\/missing"\)$/,
    ],
    [
      "a missing secret of the project's",
      {},
      { environmentVariables: [{ name: 'TOKEN', value: 'gone:token', type: 'SECRETS_MANAGER' }] },
      /^DOWNLOAD_SOURCE FAILED Secrets Manager Error: ResourceNotFoundException: Secrets Manager can't find the specified secret\. \(variable TOKEN of the project, reference "gone:token"\)$/,
    ],
  ])(
    'fails DOWNLOAD_SOURCE as CodeBuild does for %s, and runs no command',
    async (_case, env, options, expected) => {
      const { result, output } = await runLocalBuild(
        { version: 0.2, env, phases: { install: { commands: ['echo ran'] } } },
        { resolveVariable: fakeResolver(), ...options },
      );
      expect(result.status).toBe('FAILED');
      expect(failure(result)).toMatch(expected);
      expect(output).toEqual([]);
      expect(result.phases.map((phase) => phase.phaseType)).not.toContain('INSTALL');
    },
  );

  it("does not export the project's secrets, as CodeBuild does not", async () => {
    const { result } = await runLocalBuild(
      {
        version: 0.2,
        env: { 'exported-variables': ['TOKEN', 'IMAGE_TAG'] },
        phases: { build: { commands: ['IMAGE_TAG=v1'] } },
      },
      {
        resolveVariable: fakeResolver(),
        environmentVariables: [{ name: 'TOKEN', value: 'dockerhub:token', type: 'SECRETS_MANAGER' }],
      },
    );
    expect(result.exportedVariables).toEqual([{ name: 'IMAGE_TAG', value: 'v1' }]);
    expect(result.warnings).toEqual([
      'exported variable TOKEN is a secret of the project, which CodeBuild never exports',
    ]);
  });

  it('without a resolver leaves the references unset, with a warning each, and the build goes on', async () => {
    const { result, output } = await runLocalBuild(
      {
        version: 0.2,
        env: { variables: { TOKEN: 'plain' }, 'secrets-manager': { TOKEN: 'dockerhub:token' } },
        phases: {
          build: { commands: ['if env | grep -q "^TOKEN="; then echo token set; else echo token unset; fi'] },
        },
      },
      { environmentVariables: [{ name: 'DB', value: '/ci/db-password', type: 'PARAMETER_STORE' }] },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(output).toEqual(['token unset']);
    expect(result.warnings).toEqual([
      'buildspec.yml: env.secrets-manager.TOKEN is of type SECRETS_MANAGER, which the local build runner cannot resolve; it is not set',
      'project environment variable DB is of type PARAMETER_STORE, which the local build runner cannot resolve; it is not set',
    ]);
  });
});
