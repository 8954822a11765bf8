import { readImageInput } from '../../../functions/lib/build/image-files';
import { type RenderInput, renderTaskDefinition } from '../../../functions/lib/render/task-definition';
import { MAX_TASK_DEFINITION_BYTES } from '../../../functions/lib/render/task-definition-checks';
import { READ_ONLY_FIELDS } from '../../../functions/lib/render/task-definition-cleanup';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

const IMAGE = `123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:${'a'.repeat(64)}`;
const SIDECAR = '123456789012.dkr.ecr.us-east-1.amazonaws.com/envoy:v1.29';

type TaskDef = Record<string, unknown> & { containerDefinitions: Record<string, unknown>[] };

/** A Fargate task definition as a repository holds it: one container, the image as a placeholder. */
function baseTaskdef(): TaskDef {
  return {
    family: 'web',
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
    containerDefinitions: [
      {
        name: 'web',
        image: '<IMAGE1_NAME>',
        essential: true,
        portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        environment: [{ name: 'PORT', value: '8080' }],
      },
    ],
  };
}

/** The first container, where the placeholder is. */
const main = (td: TaskDef) => td.containerDefinitions[0] as Record<string, unknown>;
const taskdef = (change: (td: TaskDef) => void = () => {}): string => {
  const td = baseTaskdef();
  change(td);
  return JSON.stringify(td, null, 2);
};
const detail = (name = 'IMAGE1_NAME', uri = IMAGE, file = 'imageDetail.json') => ({
  name,
  file,
  text: JSON.stringify({ ImageURI: uri, ImageTags: ['latest'] }),
});
const render = (input: Partial<RenderInput> = {}) =>
  renderTaskDefinition({ taskdefText: taskdef(), imageDetails: [detail()], ...input });
const web = (input: Partial<RenderInput> = {}) => render(input).containerDefinitions?.[0];

function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('renderTaskDefinition', () => {
  it('fills the image placeholder and returns the RegisterTaskDefinition input', () => {
    const expected = baseTaskdef();
    main(expected).image = IMAGE;
    expect(render()).toEqual(expected);
  });

  it.each<[string, Partial<RenderInput>, (out: ReturnType<typeof render>) => void]>([
    [
      'a taskdef.json with a UTF-8 byte order mark',
      { taskdefText: `\uFEFF${taskdef()}` },
      (out) => expect(out.containerDefinitions?.[0]?.image).toBe(IMAGE),
    ],
    [
      'an imageDetail.json with a byte order mark and other keys',
      { imageDetails: [{ ...detail(), text: `\uFEFF{"ImageURI": "${IMAGE}", "ImageSizeInBytes": 1234}` }] },
      (out) => expect(out.containerDefinitions?.[0]?.image).toBe(IMAGE),
    ],
    [
      'an ImageURI with spaces around it, trimmed as CheckBuild records it',
      { imageDetails: [{ ...detail(), text: JSON.stringify({ ImageURI: ` ${IMAGE}\n` }) }] },
      (out) => expect(out.containerDefinitions?.[0]?.image).toBe(IMAGE),
    ],
    [
      'two images, each bound to its own placeholder',
      {
        taskdefText: taskdef((td) => {
          td.containerDefinitions.push({ name: 'envoy', image: '<IMAGE2_NAME>', essential: false });
        }),
        imageDetails: [detail(), detail('IMAGE2_NAME', SIDECAR, 'envoy/imageDetail.json')],
      },
      (out) => expect(out.containerDefinitions?.map((c) => c.image)).toEqual([IMAGE, SIDECAR]),
    ],
    [
      'every occurrence, environment values and JSON inside a string included',
      {
        taskdefText: taskdef((td) => {
          main(td).environment = [
            { name: 'SELF', value: 'image=<IMAGE1_NAME>' },
            { name: 'JSON', value: '{"image": "<IMAGE1_NAME>", "again": "<IMAGE1_NAME>"}' },
          ];
        }),
      },
      (out) =>
        expect(out.containerDefinitions?.[0]?.environment).toEqual([
          { name: 'SELF', value: `image=${IMAGE}` },
          { name: 'JSON', value: `{"image": "${IMAGE}", "again": "${IMAGE}"}` },
        ]),
    ],
    [
      'a placeholder written with JSON escapes (replaced in the parsed strings, not the raw text)',
      { taskdefText: taskdef().replace('"<IMAGE1_NAME>"', '"\\u003cIMAGE1_NAME\\u003e"') },
      (out) => expect(out.containerDefinitions?.[0]?.image).toBe(IMAGE),
    ],
    [
      'an imagedefinitions.json that sets the image of the container it names',
      {
        taskdefText: taskdef((td) => {
          td.containerDefinitions.push({ name: 'envoy', image: 'envoy:old' });
        }),
        imageDefinitions: {
          file: 'imagedefinitions.json',
          text: JSON.stringify([{ name: 'envoy', imageUri: SIDECAR }]),
        },
      },
      (out) => expect(out.containerDefinitions?.map((c) => c.image)).toEqual([IMAGE, SIDECAR]),
    ],
    [
      'an imagedefinitions.json alone, with literal images elsewhere',
      {
        taskdefText: taskdef((td) => {
          main(td).image = 'nginx:1.27';
        }),
        imageDetails: [],
        imageDefinitions: {
          file: 'imagedefinitions.json',
          text: `[{"name": "web", "imageUri": "${IMAGE}"}]`,
        },
      },
      (out) => expect(out.containerDefinitions?.[0]?.image).toBe(IMAGE),
    ],
  ])('accepts %s', (_name, input, check) => {
    check(render(input));
  });

  it('drops the read-only fields that describe-task-definition prints', () => {
    const copied = taskdef((td) => {
      Object.assign(td, {
        taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
        revision: 7,
        status: 'ACTIVE',
        compatibilities: ['EC2', 'FARGATE'],
        requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
        registeredAt: '2026-01-01T00:00:00Z',
        deregisteredAt: '2026-01-02T00:00:00Z',
        registeredBy: 'arn:aws:iam::123456789012:role/deployer',
      });
    });
    const out = render({ taskdefText: copied }) as unknown as Record<string, unknown>;
    for (const field of READ_ONLY_FIELDS) expect(out).not.toHaveProperty(field);
    expect(out.family).toBe('web');
  });

  it('drops null, "", [] and {} recursively but keeps 0, false and "" values of environment and App Mesh properties', () => {
    const text = taskdef((td) => {
      Object.assign(td, {
        taskRoleArn: '',
        volumes: [],
        placementConstraints: null,
        ephemeralStorage: {},
        proxyConfiguration: {
          type: 'APPMESH',
          containerName: 'envoy',
          properties: [
            { name: 'IgnoredUID', value: '1337' },
            { name: 'EgressIgnoredIPs', value: '' },
          ],
        },
      });
      Object.assign(main(td), {
        cpu: 0,
        essential: false,
        readonlyRootFilesystem: false,
        command: [],
        entryPoint: [''],
        mountPoints: [],
        volumesFrom: [],
        dockerLabels: {},
        logConfiguration: { logDriver: 'awslogs', options: {}, secretOptions: [] },
        healthCheck: { command: [], retries: null },
        systemControls: [{ namespace: 'net.core.somaxconn', value: '' }],
        environment: [
          { name: 'EMPTY', value: '' },
          { name: 'ZERO', value: '0' },
        ],
        portMappings: [{ containerPort: 8080, hostPort: 0, name: '' }],
      });
    });
    const out = render({ taskdefText: text }) as unknown as Record<string, unknown>;
    expect(out).not.toHaveProperty('taskRoleArn');
    expect(out).not.toHaveProperty('volumes');
    expect(out).not.toHaveProperty('placementConstraints');
    expect(out).not.toHaveProperty('ephemeralStorage');
    expect(out.proxyConfiguration).toEqual({
      type: 'APPMESH',
      containerName: 'envoy',
      properties: [
        { name: 'IgnoredUID', value: '1337' },
        { name: 'EgressIgnoredIPs', value: '' },
      ],
    });
    expect(out.containerDefinitions).toEqual([
      {
        name: 'web',
        image: IMAGE,
        cpu: 0,
        essential: false,
        readonlyRootFilesystem: false,
        logConfiguration: { logDriver: 'awslogs' },
        systemControls: [{ namespace: 'net.core.somaxconn' }],
        environment: [
          { name: 'EMPTY', value: '' },
          { name: 'ZERO', value: '0' },
        ],
        portMappings: [{ containerPort: 8080, hostPort: 0 }],
      },
    ]);
  });

  it('accepts a task definition of exactly 64 KiB and rejects one byte more', () => {
    const withFiller = (length: number) =>
      taskdef((td) => {
        main(td).environment = [{ name: 'FILLER', value: 'x'.repeat(length) }];
      });
    const base = Buffer.byteLength(JSON.stringify(render({ taskdefText: withFiller(0) })));
    const fits = MAX_TASK_DEFINITION_BYTES - base;
    expect(Buffer.byteLength(JSON.stringify(render({ taskdefText: withFiller(fits) })))).toBe(65536);
    expect(() => render({ taskdefText: withFiller(fits + 1) })).toThrow(
      /taskdef\.json: the rendered task definition is 65537 bytes as compact JSON, over the 65536 bytes \(64 KiB\)/,
    );
  });

  it.each<[string, Partial<RenderInput>, RegExp]>([
    [
      'a JSON syntax error, with line and column',
      {
        taskdefText: '{\n  "family": "web",\n  "cpu": 256\n  "memory": "512"\n}',
        taskdefFile: 'app/taskdef.json',
      },
      /^app\/taskdef\.json: not valid JSON at line 4, column 3: expected ',' or '}'/,
    ],
    [
      'a bare word where a value belongs',
      { taskdefText: '{\n  "family": web\n}' },
      /^taskdef\.json: not valid JSON at line 2, column 13: expected a value, found "web/,
    ],
    [
      'a trailing comma',
      { taskdefText: '{"family": "web",}' },
      /line 1, column 18: expected a property name/,
    ],
    ['an empty file', { taskdefText: '' }, /not valid JSON at line 1, column 1: .*found the end of the file/],
    [
      'an array',
      { taskdefText: '[]' },
      /taskdef\.json: expected a JSON object with "family" and "containerDefinitions"/,
    ],
    [
      'the describe-task-definition wrapper',
      { taskdefText: JSON.stringify({ taskDefinition: baseTaskdef() }) },
      /taskdef\.json: holds describe-task-definition output .*unwrap it .*jq \.taskDefinition/,
    ],
    [
      'no family',
      { taskdefText: taskdef((td) => delete td.family) },
      /taskdef\.json: "family" is undefined: expected up to 255 letters/,
    ],
    [
      'a family with a space',
      { taskdefText: taskdef((td) => Object.assign(td, { family: 'my web' })) },
      /"family" is "my web"/,
    ],
    [
      'no containers',
      { taskdefText: taskdef((td) => Object.assign(td, { containerDefinitions: [] })) },
      /"containerDefinitions" must be a non-empty array/,
    ],
    [
      'two containers with one name',
      { taskdefText: taskdef((td) => td.containerDefinitions.push({ name: 'web', image: 'x' })) },
      /containerDefinitions\[1\]\.name "web" is used by two containers/,
    ],
    [
      'an imageDetail.json that is not JSON',
      { imageDetails: [{ name: 'IMAGE1_NAME', file: 'build/imageDetail.json', text: 'ImageURI=x' }] },
      /^build\/imageDetail\.json: not valid JSON at line 1, column 1/,
    ],
    [
      'an imageDetail.json without ImageURI',
      { imageDetails: [{ ...detail(), text: '{"imageUri": "x"}' }] },
      /^imageDetail\.json: ImageURI is missing: expected a non-empty string, e.g. \{"ImageURI": .*\(keys are case-sensitive: found "imageUri"\)$/,
    ],
    [
      'an imageDetail.json with an empty ImageURI',
      { imageDetails: [{ ...detail(), text: '{"ImageURI": " "}' }] },
      /^imageDetail\.json: ImageURI is " ": expected a non-empty string, e.g. \{"ImageURI"/,
    ],
    [
      'five image detail files',
      { imageDetails: [1, 2, 3, 4, 5].map((n) => detail(`IMAGE${n}_NAME`, IMAGE, `${n}.json`)) },
      /5 image detail files given \(1\.json, .*5\.json\): at most 4/,
    ],
    [
      'two image detail files for one placeholder',
      { imageDetails: [detail('IMAGE1_NAME', IMAGE, 'a.json'), detail('IMAGE1_NAME', IMAGE, 'b.json')] },
      /b\.json: placeholder IMAGE1_NAME is already bound to a\.json/,
    ],
    [
      'a placeholder name with angle brackets',
      { imageDetails: [detail('<IMAGE1_NAME>')] },
      /placeholder name "<IMAGE1_NAME>" must be letters, digits and "_"/,
    ],
    [
      'an imagedefinitions.json naming an unknown container, listing the containers',
      {
        taskdefText: taskdef((td) => td.containerDefinitions.push({ name: 'envoy', image: SIDECAR })),
        imageDefinitions: {
          file: 'imagedefinitions.json',
          text: JSON.stringify([{ name: 'api', imageUri: IMAGE }]),
        },
      },
      /imagedefinitions\.json: \[0\]\.name: container "api" is not in task definition "web" of taskdef\.json \(containers: web, envoy\)/,
    ],
    [
      'an imagedefinitions.json whose name differs in case',
      {
        imageDefinitions: {
          file: 'imagedefinitions.json',
          text: JSON.stringify([{ name: 'Web', imageUri: IMAGE }]),
        },
      },
      /container "Web" is not in task definition "web" .*\(containers: web\)/,
    ],
    [
      'an imagedefinitions.json that is an object',
      {
        imageDefinitions: { file: 'imagedefinitions.json', text: `{"name": "web", "imageUri": "${IMAGE}"}` },
      },
      /^imagedefinitions\.json: the file is an object: expected a non-empty JSON array, e.g. \[\{"name": "<container name>", "imageUri": /,
    ],
    [
      'an imagedefinitions.json entry without imageUri',
      { imageDefinitions: { file: 'imagedefinitions.json', text: '[{"name": "web", "image": "x"}]' } },
      /^imagedefinitions\.json: \[0\]\.imageUri is missing: expected a non-empty string, e.g. \[\{"name": /,
    ],
    [
      'a placeholder left in an image, naming it',
      {
        taskdefText: taskdef((td) =>
          td.containerDefinitions.push({ name: 'envoy', image: '<IMAGE2_NAME>', memory: 128 }),
        ),
      },
      /containerDefinitions\[1\] \("envoy"\)\.image "<IMAGE2_NAME>" still holds <IMAGE2_NAME>: bind an imageDetail\.json to IMAGE2_NAME/,
    ],
    [
      'a placeholder left inside an image reference',
      {
        taskdefText: taskdef((td) => Object.assign(main(td), { image: 'repo/web:<TAG>' })),
        imageDetails: [],
      },
      /image "repo\/web:<TAG>" still holds <TAG>/,
    ],
    [
      'a container with neither image nor substitution',
      { taskdefText: taskdef((td) => delete main(td).image), imageDetails: [] },
      /containerDefinitions\[0\] \("web"\)\.image is missing: write the image URI or a placeholder/,
    ],
    [
      'a container whose image is ""',
      {
        taskdefText: taskdef((td) => Object.assign(main(td), { image: '' })),
        imageDetails: [],
      },
      /\("web"\)\.image is missing/,
    ],
    [
      'an environment value that is a number',
      {
        taskdefText: taskdef((td) => Object.assign(main(td), { environment: [{ name: 'N', value: 3 }] })),
      },
      /\("web"\)\.environment\[0\]\.value of "N" is 3: ECS takes strings only, write "3"/,
    ],
    [
      'a containerPort that is a string',
      {
        taskdefText: taskdef((td) => Object.assign(main(td), { portMappings: [{ containerPort: '8080' }] })),
      },
      /\("web"\)\.portMappings\[0\]\.containerPort is "8080": expected a number 0-65535/,
    ],
    [
      'a Fargate task definition without task-level memory',
      { taskdefText: taskdef((td) => delete td.memory) },
      /taskdef\.json: "memory" is required at task level for FARGATE/,
    ],
    [
      'a Fargate task definition in bridge mode',
      { taskdefText: taskdef((td) => Object.assign(td, { networkMode: 'bridge' })) },
      /"networkMode" is "bridge": FARGATE requires "awsvpc"/,
    ],
    [
      'an EC2 container without any memory',
      {
        taskdefText: taskdef((td) => {
          delete td.memory;
          delete td.cpu;
          td.requiresCompatibilities = ['EC2'];
        }),
      },
      /\("web"\): no "memory" or "memoryReservation", and no task-level "memory"/,
    ],
  ])('rejects %s', (_name, input, message) => {
    let thrown: unknown;
    try {
      render(input);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidInputError);
    expect((thrown as Error).name).toBe('InvalidInputError');
    expect((thrown as Error).message).toMatch(message);
  });

  it.each([
    ['imageDetail.json', '{"imageUri": "r/web:1"}'],
    ['imageDetail.json', '[]'],
    ['imagedefinitions.json', '[{"name": "web", "imageURI": "r/web:1"}]'],
    ['imagedefinitions.json', '{"name": "web"'],
  ])(
    'reports a malformed %s (%s) with the message CheckBuild gives, as an InvalidInputError',
    (kind, text) => {
      const file = `build artifact ${kind}`;
      const input: Partial<RenderInput> =
        kind === 'imageDetail.json'
          ? { imageDetails: [{ name: 'IMAGE1_NAME', file, text }] }
          : { imageDefinitions: { file, text } };
      const fromCheckBuild = thrownBy(() =>
        readImageInput(new Map([[kind, Buffer.from(text)]]), [
          { placeholder: 'IMAGE1_NAME', file: 'imageDetail.json' },
        ]),
      );
      const fromRender = thrownBy(() => render(input));
      expect(fromCheckBuild.name).toBe('BuildArtifactError');
      expect(fromRender).toBeInstanceOf(InvalidInputError);
      expect(fromRender.message).toBe(fromCheckBuild.message);
      expect(fromRender.message.startsWith(`${file}: `)).toBe(true);
    },
  );

  it('deploys the template as it is when a bound placeholder does not occur, with a warning, as CodePipeline does', () => {
    const warnings: string[] = [];
    const out = render({
      imageDetails: [detail(), detail('IMAGE2_NAME', SIDECAR, 'sidecar.json')],
      onWarning: (message) => warnings.push(message),
    });
    expect(out.containerDefinitions?.map((c) => c.image)).not.toContain(SIDECAR);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^taskdef\.json: the placeholder <IMAGE2_NAME> does not occur, so the image of sidecar\.json \(.*envoy:v1\.29\) is not deployed/,
      ),
    ]);
  });

  it('keeps ECS container fields it does not know as they are', () => {
    const out = web({
      taskdefText: taskdef((td) => Object.assign(main(td), { restartPolicy: { enabled: true } })),
    });
    expect(out).toMatchObject({ restartPolicy: { enabled: true } });
  });
});
