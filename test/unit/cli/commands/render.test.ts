/**
 * `switchyard render` as a user runs it: a subprocess of bin/switchyard.js, files on disk, JSON on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderTaskDefinition } from '../../../../functions/lib/render/task-definition';

const ROOT = resolve(__dirname, '../../../..');
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:abc1234';
const SIDECAR = '123456789012.dkr.ecr.us-east-1.amazonaws.com/envoy:v1';
const ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7';

const TASKDEF = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  revision: 6,
  containerDefinitions: [
    { name: 'web', image: '<IMAGE1_NAME>', portMappings: [{ containerPort: 8080 }], mountPoints: [] },
    { name: 'envoy', image: '<IMAGE2_NAME>' },
  ],
};
const APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION> # set by Switchyard
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
`;

describe('switchyard render', () => {
  let dir: string;
  const file = (name: string, content: string) => {
    writeFileSync(join(dir, name), content);
    return join(dir, name);
  };
  const run = (...args: string[]) => {
    const out = spawnSync(process.execPath, ['bin/switchyard.js', 'render', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr };
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-render-'));
    file('taskdef.json', JSON.stringify(TASKDEF, null, 2));
    file('appspec.yaml', APPSPEC);
    file('imageDetail.json', JSON.stringify({ ImageURI: IMAGE }));
    file('envoy.json', JSON.stringify({ ImageURI: SIDECAR }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the exact RegisterTaskDefinition input and the AppSpec with the given ARN', () => {
    const out = run(
      '--taskdef',
      join(dir, 'taskdef.json'),
      '--appspec',
      join(dir, 'appspec.yaml'),
      '--image-detail',
      join(dir, 'imageDetail.json'),
      '--image-detail',
      `IMAGE2_NAME=${join(dir, 'envoy.json')}`,
      '--task-definition-arn',
      ARN,
    );

    expect(out.stderr).toBe('');
    expect(out.status).toBe(0);
    const printed = JSON.parse(out.stdout);
    expect(Object.keys(printed)).toEqual(['taskDefinition', 'appspec']);
    expect(printed.taskDefinition).toEqual(
      renderTaskDefinition({
        taskdefText: JSON.stringify(TASKDEF),
        imageDetails: [
          { name: 'IMAGE1_NAME', file: 'a', text: JSON.stringify({ ImageURI: IMAGE }) },
          { name: 'IMAGE2_NAME', file: 'b', text: JSON.stringify({ ImageURI: SIDECAR }) },
        ],
      }),
    );
    expect(printed.taskDefinition).not.toHaveProperty('revision');
    expect(printed.appspec).toBe(APPSPEC.replace('<TASK_DEFINITION>', ARN));
  });

  it('keeps <TASK_DEFINITION> in the AppSpec without an ARN, and prints null without an AppSpec', () => {
    const image = ['--image-detail', join(dir, 'imageDetail.json')];
    const envoy = ['--image-detail', `IMAGE2_NAME=${join(dir, 'envoy.json')}`];
    const taskdef = ['--taskdef', join(dir, 'taskdef.json')];

    const withAppSpec = run(...taskdef, ...image, ...envoy, '--appspec', join(dir, 'appspec.yaml'));
    expect(withAppSpec.status).toBe(0);
    expect(JSON.parse(withAppSpec.stdout).appspec).toBe(APPSPEC);

    const without = run(...taskdef, ...image, ...envoy);
    expect(without.status).toBe(0);
    expect(JSON.parse(without.stdout).appspec).toBeNull();
  });

  it('warns on stderr, and still renders, when a bound placeholder does not occur', () => {
    const taskdef = file(
      'literal-web.json',
      JSON.stringify({ ...TASKDEF, containerDefinitions: [{ name: 'web', image: 'r/web:1', memory: 512 }] }),
    );
    const out = run('--taskdef', taskdef, '--image-detail', `IMAGE3_NAME=${join(dir, 'imageDetail.json')}`);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).taskDefinition.containerDefinitions[0].image).toBe('r/web:1');
    expect(out.stderr).toMatch(/warning: .*the placeholder <IMAGE3_NAME> does not occur/);
  });

  it('sets a container image from --image-definitions', () => {
    const definitions = file('imagedefinitions.json', JSON.stringify([{ name: 'envoy', imageUri: SIDECAR }]));
    const taskdef = file(
      'literal.json',
      JSON.stringify({ ...TASKDEF, containerDefinitions: [{ name: 'envoy', image: 'envoy:old' }] }),
    );
    const out = run('--taskdef', taskdef, '--image-definitions', definitions);
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout).taskDefinition.containerDefinitions).toEqual([
      { name: 'envoy', image: SIDECAR },
    ]);
  });

  it.each<[string, () => string[], RegExp]>([
    [
      'a placeholder with no image detail',
      () => ['--taskdef', join(dir, 'taskdef.json'), '--image-detail', join(dir, 'imageDetail.json')],
      /\("envoy"\)\.image "<IMAGE2_NAME>" still holds <IMAGE2_NAME>/,
    ],
    [
      'an AppSpec naming a container that is not in the task definition',
      () => [
        '--taskdef',
        join(dir, 'taskdef.json'),
        '--image-detail',
        join(dir, 'imageDetail.json'),
        '--image-detail',
        `IMAGE2_NAME=${join(dir, 'envoy.json')}`,
        '--appspec',
        file('bad-appspec.yaml', APPSPEC.replace('ContainerName: web', 'ContainerName: api')),
      ],
      /bad-appspec\.yaml: .*container "api" is not in task definition "web" \(containers: web, envoy\)/,
    ],
    [
      'an image detail file without ImageURI, naming the file, the field and the fix',
      () => [
        '--taskdef',
        join(dir, 'taskdef.json'),
        '--image-detail',
        file('lowercase.json', JSON.stringify({ imageUri: IMAGE })),
      ],
      /lowercase\.json: ImageURI is missing: expected a non-empty string, e\.g\. \{"ImageURI": .*\(keys are case-sensitive: found "imageUri"\)/,
    ],
    [
      'an --image-definitions file that is an object',
      () => [
        '--taskdef',
        join(dir, 'taskdef.json'),
        '--image-detail',
        join(dir, 'imageDetail.json'),
        '--image-detail',
        `IMAGE2_NAME=${join(dir, 'envoy.json')}`,
        '--image-definitions',
        file('object-definitions.json', JSON.stringify({ name: 'envoy', imageUri: SIDECAR })),
      ],
      /object-definitions\.json: the file is an object: expected a non-empty JSON array, e\.g\. \[\{"name": /,
    ],
    ['no --taskdef', () => [], /--taskdef FILE is required/],
    [
      'a missing file',
      () => ['--taskdef', join(dir, 'nope.json')],
      /--taskdef .*nope\.json: cannot read the file \(no such file\)/,
    ],
    [
      'a --task-definition-arn that is not one',
      () => ['--taskdef', join(dir, 'taskdef.json'), '--task-definition-arn', 'web:7'],
      /--task-definition-arn web:7: expected arn:aws:ecs:/,
    ],
    [
      'an unknown option',
      () => ['--taskdef', join(dir, 'taskdef.json'), '--image', 'x'],
      /unknown option --image \(switchyard render --help lists the options\)/,
    ],
  ])('exits 1 with nothing on stdout for %s', (_name, args, message) => {
    const out = run(...args());
    expect(out.status).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(/^switchyard render: /);
    expect(out.stderr).toMatch(message);
  });
});
