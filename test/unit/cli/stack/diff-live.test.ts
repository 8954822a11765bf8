/**
 * `switchyard diff`'s pure parts: the live task definition brought to a rendered one's shape (what ECS adds to a
 * revision, as DescribeTaskDefinition answers on AWS, is left out), JSON with sorted keys, and the unified diff.
 */
import { normaliseLive } from '../../../../cli/stack/diff-live';
import { sortKeys, stableJson, unifiedDiff } from '../../../../cli/stack/diff-unified';

/** A rendered task definition, as Render would register it. */
const RENDERED = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
  containerDefinitions: [
    {
      name: 'web',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc',
      portMappings: [{ containerPort: 8080 }],
      environment: [{ name: 'MODE', value: 'prod' }],
    },
  ],
};

/** The same revision as AWS's DescribeTaskDefinition returns it: ECS's own fields and defaults added. */
const DESCRIBED = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:7',
  revision: 7,
  status: 'ACTIVE',
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  compatibilities: ['EC2', 'FARGATE'],
  requiresAttributes: [
    { name: 'com.amazonaws.ecs.capability.ecr-auth' },
    { name: 'ecs.capability.task-eni' },
  ],
  placementConstraints: [],
  volumes: [],
  cpu: '256',
  memory: '512',
  executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
  registeredAt: '2026-12-01T10:00:00.000Z',
  registeredBy: 'arn:aws:sts::123456789012:assumed-role/switchyard-render/session',
  enableFaultInjection: false,
  containerDefinitions: [
    {
      name: 'web',
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web@sha256:abc',
      cpu: 0,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      environment: [{ name: 'MODE', value: 'prod' }],
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
    },
  ],
};

describe('normaliseLive', () => {
  it('leaves out what ECS adds, so an unchanged revision equals its rendered template', () => {
    expect(stableJson(normaliseLive(structuredClone(DESCRIBED), RENDERED))).toBe(stableJson(RENDERED));
  });

  it('keeps a default the template names, and a real change', () => {
    const rendered = structuredClone(RENDERED);
    const container = rendered.containerDefinitions[0] as Record<string, unknown>;
    container.essential = true;
    container.portMappings = [{ containerPort: 8080, protocol: 'tcp' }];
    const described = structuredClone(DESCRIBED);
    (described.containerDefinitions[0] as { cpu: number }).cpu = 128;

    const live = normaliseLive(described, rendered) as typeof RENDERED;
    expect(live.containerDefinitions[0]).toEqual({
      ...RENDERED.containerDefinitions[0],
      cpu: 128,
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
    });
  });

  it('keeps hostPort outside awsvpc mode, where it is not the container port by rule', () => {
    const described = { ...structuredClone(DESCRIBED), networkMode: 'bridge' };
    const live = normaliseLive(described, { ...RENDERED, networkMode: 'bridge' }) as typeof RENDERED;
    expect(live.containerDefinitions[0]?.portMappings).toEqual([{ containerPort: 8080, hostPort: 8080 }]);
  });
});

describe('unifiedDiff', () => {
  const before = stableJson({ b: 1, a: [1, 2, 3] });
  const after = stableJson({ a: [1, 2, 4], b: 1 });

  it('sorts keys at every depth and keeps the order of arrays', () => {
    expect(JSON.stringify(sortKeys({ z: { y: 1, x: [{ d: 1, c: 2 }] }, a: 0 }))).toBe(
      '{"a":0,"z":{"x":[{"c":2,"d":1}],"y":1}}',
    );
  });

  it('is empty for equal texts', () => {
    expect(unifiedDiff(before, before, { before: 'live', after: 'rendered' }, true)).toBe('');
  });

  it('prints hunks as diff -u does, coloured only when asked', () => {
    const plain = unifiedDiff(before, after, { before: 'live', after: 'rendered' }, false);
    expect(plain).toBe(
      [
        '--- live',
        '+++ rendered',
        '@@ -2,7 +2,7 @@',
        '   "a": [',
        '     1,',
        '     2,',
        '-    3',
        '+    4',
        '   ],',
        '   "b": 1',
        ' }',
        '',
      ].join('\n'),
    );
    const coloured = unifiedDiff(before, after, { before: 'live', after: 'rendered' }, true);
    expect(coloured).toContain('\u001b[31m-    3\u001b[0m\n\u001b[32m+    4\u001b[0m');
    expect(coloured).toContain('\u001b[36m@@ -2,7 +2,7 @@\u001b[0m');
  });

  it('numbers an empty side as diff -u does', () => {
    expect(unifiedDiff('', 'a\nb\n', { before: 'x', after: 'y' }, false)).toBe(
      '--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n',
    );
  });
});
