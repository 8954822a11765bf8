/**
 * `switchyard diff` as a user runs it: a subprocess of bin/switchyard.js against this worker's moto, comparing a
 * checkout's taskdef.json, rendered as the pipeline renders it, with the task definition of the fixture service's
 * PRIMARY task set.
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CreateServiceCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { BlueGreenFixture } from '../../cli/emulator/fixture';
import { useMoto } from '../support/moto';
import {
  createPreflightFixture,
  type PreflightFixture,
  runAgainst,
  writeTaskdef,
} from '../support/preflight-fixture';
import { startInPty } from '../support/pty-session';

const BIN = resolve(__dirname, '../../bin/switchyard.js');
/** The image of the fixture's live revision (cli/emulator/fixture.ts). */
const LIVE_IMAGE = 'public.ecr.aws/nginx/nginx:latest';

/** The fixture's live task definition as a team's taskdef.json holds it, with the image placeholder. */
function taskdef(fx: BlueGreenFixture, container: Record<string, unknown> = {}) {
  return {
    family: 'app',
    requiresCompatibilities: ['FARGATE'],
    networkMode: 'awsvpc',
    cpu: '256',
    memory: '512',
    containerDefinitions: [
      {
        name: fx.containerName,
        image: '<IMAGE1_NAME>',
        portMappings: [{ containerPort: fx.containerPort }],
        ...container,
      },
    ],
  };
}

describe('switchyard diff', () => {
  const moto = useMoto();
  let f: PreflightFixture;

  const diff = (...args: string[]) =>
    runAgainst(moto, ['diff', f.dir, '--parameters', f.parametersFile, ...args]);

  beforeEach(async () => {
    f = await createPreflightFixture(moto, (fx) => taskdef(fx));
  });

  it('prints nothing and exits 0 when the checkout renders the live task definition', async () => {
    const run = await diff('--image', LIVE_IMAGE);

    expect(run).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('prints a unified diff of only the real changes and exits 1', async () => {
    writeTaskdef(
      f.dir,
      taskdef(f.fx, { memoryReservation: 256, environment: [{ name: 'MODE', value: 'blue' }] }),
    );
    const run = await diff('--image', 'public.ecr.aws/nginx/nginx:1.27');

    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 1, stderr: '' });
    expect(run.stdout).toBe(
      [
        `--- live ${f.fx.taskDefinitionArn}`,
        `+++ rendered ${join(f.dir, 'taskdef.json')}`,
        '@@ -1,7 +1,14 @@',
        ' {',
        '   "containerDefinitions": [',
        '     {',
        `-      "image": "${LIVE_IMAGE}",`,
        '+      "environment": [',
        '+        {',
        '+          "name": "MODE",',
        '+          "value": "blue"',
        '+        }',
        '+      ],',
        '+      "image": "public.ecr.aws/nginx/nginx:1.27",',
        '+      "memoryReservation": 256,',
        '       "name": "web",',
        '       "portMappings": [',
        '         {',
        '',
      ].join('\n'),
    );
  });

  it('colours the diff red and green on a terminal, and not with NO_COLOR', async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
    };
    delete env.NO_COLOR;
    const args = [
      process.execPath,
      BIN,
      'diff',
      f.dir,
      '--parameters',
      f.parametersFile,
      '--image',
      'nginx:2',
    ];
    const coloured = startInPty(args, { env });
    expect(await coloured.exited).toBe(1);
    expect(coloured.output()).toContain(`\u001b[31m-      "image": "${LIVE_IMAGE}",\u001b[0m`);
    expect(coloured.output()).toContain('\u001b[32m+      "image": "nginx:2",\u001b[0m');

    const plain = startInPty(args, { env: { ...env, NO_COLOR: '1' } });
    expect(await plain.exited).toBe(1);
    expect(plain.output()).toContain('+      "image": "nginx:2",');
    expect(plain.output()).not.toContain('\u001b[');
  });

  it("takes the image from the checkout's imageDetail.json, as the build output binds it", async () => {
    writeFileSync(join(f.dir, 'imageDetail.json'), JSON.stringify({ ImageURI: LIVE_IMAGE }));

    expect(await diff()).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it("pins an image of the stack's ECR repository to its digest, as Render does", async () => {
    const image = `${f.account}.dkr.ecr.us-east-1.amazonaws.com/web:v1`;
    const run = await diff('--image', image);

    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(
      /^\+ {6}"image": "123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/web@sha256:[0-9a-f]{64}",$/m,
    );
    expect(run.stderr).toContain(`switchyard diff: container web: ${image} pinned to `);
  });

  it('shows every line as new for a service with no PRIMARY task set yet', async () => {
    await new ECSClient({}).send(
      new CreateServiceCommand({
        cluster: f.fx.clusterName,
        serviceName: 'fresh',
        desiredCount: 1,
        deploymentController: { type: 'EXTERNAL' },
      }),
    );
    const run = await diff('--image', LIVE_IMAGE, '--parameter', 'ServiceName=fresh');

    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'switchyard diff: service fresh has no PRIMARY task set yet: everything is new\n',
    );
    const [before, after, hunk, ...body] = run.stdout.trimEnd().split('\n');
    expect([before, after, hunk]).toEqual([
      '--- live (none)',
      `+++ rendered ${join(f.dir, 'taskdef.json')}`,
      `@@ -0,0 +1,${body.length} @@`,
    ]);
    expect(body.every((l) => l.startsWith('+'))).toBe(true);
  });

  it('exits 2 with the fix when it cannot compare, and suggests the option meant', async () => {
    const unfilled = await diff();
    expect({ status: unfilled.status, stdout: unfilled.stdout }).toEqual({ status: 2, stdout: '' });
    expect(unfilled.stderr).toContain(
      'still holds <IMAGE1_NAME>: bind an imageDetail.json to IMAGE1_NAME or write the image URI: give it with --image IMAGE1_NAME=URI',
    );

    const missing = await diff('--image', LIVE_IMAGE, '--parameter', 'ServiceName=missing');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('service missing in cluster app-cluster was not found (MISSING)');

    const typo = await diff('--imgae', LIVE_IMAGE);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toBe(
      'switchyard diff: unknown option --imgae: did you mean --image? (switchyard diff --help lists the options)\n',
    );

    const help = await runAgainst(moto, ['diff', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Example:\n {2}switchyard diff /);
  });
});
