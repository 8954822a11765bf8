/**
 * samconfig.toml: it parses as TOML (Python's tomllib, a strict TOML 1.0 reader), has the settings `sam deploy`
 * needs for this template, and the parameters it leaves to the user are exactly the template's required ones.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, readTemplate } from '../support/sam-template';

const SAMCONFIG = join(ROOT, 'samconfig.toml');

type Samconfig = {
  version: number;
  default: Record<string, { parameters: Record<string, unknown> }>;
};

function parseToml(path: string): Samconfig {
  const out = spawnSync(
    'python3',
    ['-c', 'import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))', path],
    { encoding: 'utf8' },
  );
  if (out.error) throw new Error(`python3 could not start (${out.error.message})`);
  if (out.status !== 0) throw new Error(`${path} is not valid TOML:\n${out.stderr}`);
  return JSON.parse(out.stdout) as Samconfig;
}

describe('samconfig.toml', () => {
  const config = parseToml(SAMCONFIG);
  const template = readTemplate('decode');

  it('is a version 0.1 file with the deploy, build and validate settings', () => {
    expect(config.version).toBe(0.1);
    expect(config.default.deploy?.parameters).toMatchObject({
      stack_name: 'switchyard',
      capabilities: 'CAPABILITY_IAM',
      resolve_s3: true,
      confirm_changeset: true,
    });
    expect(config.default.build?.parameters).toMatchObject({ cached: true, parallel: true });
    expect(config.default.validate?.parameters).toEqual({ lint: true });
  });

  it('asks for no more capability than the template needs', () => {
    // CAPABILITY_NAMED_IAM only for IAM resources with custom names; CAPABILITY_AUTO_EXPAND for nested apps.
    const resources = Object.values(template.Resources);
    const named = resources.filter(
      (r) =>
        r.Type.startsWith('AWS::IAM::') &&
        ('RoleName' in r.Properties ||
          'ManagedPolicyName' in r.Properties ||
          'UserName' in r.Properties ||
          'GroupName' in r.Properties),
    );
    expect(named).toEqual([]);
    expect(resources.filter((r) => r.Type === 'AWS::Serverless::Application')).toEqual([]);
    expect(resources.some((r) => r.Type === 'AWS::IAM::Role')).toBe(true);
  });

  it('leaves every required parameter to the user, commented, and no other', () => {
    const required = Object.entries(template.Parameters)
      .filter(([, parameter]) => parameter.Default === undefined)
      .map(([name]) => name);
    expect(config.default.deploy?.parameters.parameter_overrides).toBeUndefined();
    const line = readFileSync(SAMCONFIG, 'utf8')
      .split('\n')
      .find((text) => text.startsWith('# parameter_overrides = '));
    expect(line).toBeDefined();
    // Uncommented, the line is TOML whose value names each required parameter once, as Name=<placeholder>.
    const named = [...(line ?? '').matchAll(/(\w+)=<[^>]+>/g)].map((m) => m[1]);
    expect(named.sort()).toEqual(required.sort());
  });
});
