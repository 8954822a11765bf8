import { parseDocument } from 'yaml';
import {
  type AppSpecTaskDefinition,
  type ParsedAppSpec,
  parseAppSpec,
} from '../../../functions/lib/render/appspec';
import { renderAppSpec } from '../../../functions/lib/render/appspec-render';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:42';
const HOOK_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:smoke-test:live';

const TASK_DEFINITION: AppSpecTaskDefinition = {
  family: 'web',
  networkMode: 'awsvpc',
  containerDefinitions: [
    { name: 'web', image: 'web:1', portMappings: [{ containerPort: 8080 }, { containerPort: 9090 }] },
    { name: 'envoy', image: 'envoy:1', portMappings: [{ containerPort: 9901 }] },
  ],
};

const YAML_APPSPEC = `# Deployed by Switchyard (CodeDeploy's format)
version: 0.0

Resources:
- TargetService:   # the one ECS service
    Type: AWS::ECS::Service
    Properties:
      TaskDefinition: <TASK_DEFINITION>  # filled at deploy time
      LoadBalancerInfo:
        ContainerName: "web"
        ContainerPort: 8080
      PlatformVersion: "1.4.0"
      NetworkConfiguration:
        AwsvpcConfiguration:
          Subnets: ["subnet-0aaa", "subnet-0bbb"]
          SecurityGroups:
            - sg-0ccc
          AssignPublicIp: "DISABLED"
      CapacityProviderStrategy:
        - CapacityProvider: FARGATE_SPOT
          Weight: 3
          Base: 1
        - CapacityProvider: FARGATE
          Weight: "1"

Hooks:
  - BeforeInstall: "check-config"
  - AfterAllowTestTraffic: ${HOOK_ARN}
  - AfterAllowTestTraffic: load-test   # runs second
`;

const JSON_APPSPEC = `{
  "version": 0.0,
  "Resources": [
    {
      "TargetService": {
        "Type": "AWS::ECS::Service",
        "Properties": {
          "TaskDefinition": "<TASK_DEFINITION>",
          "LoadBalancerInfo": { "ContainerName": "web", "ContainerPort": 8080 },
          "PlatformVersion": "1.4.0",
          "NetworkConfiguration": {
            "AwsvpcConfiguration": {
              "Subnets": ["subnet-0aaa", "subnet-0bbb"],
              "SecurityGroups": ["sg-0ccc"],
              "AssignPublicIp": "DISABLED"
            }
          },
          "CapacityProviderStrategy": [
            { "CapacityProvider": "FARGATE_SPOT", "Weight": 3, "Base": 1 },
            { "CapacityProvider": "FARGATE", "Weight": "1" }
          ]
        }
      }
    }
  ],
  "Hooks": [
    { "BeforeInstall": "check-config" },
    { "AfterAllowTestTraffic": "${HOOK_ARN}" },
    { "AfterAllowTestTraffic": "load-test" }
  ]
}
`;

const PARSED: ParsedAppSpec = {
  containerName: 'web',
  containerPort: 8080,
  platformVersion: '1.4.0',
  networkConfiguration: {
    awsvpcConfiguration: {
      subnets: ['subnet-0aaa', 'subnet-0bbb'],
      securityGroups: ['sg-0ccc'],
      assignPublicIp: 'DISABLED',
    },
  },
  capacityProviderStrategy: [
    { capacityProvider: 'FARGATE_SPOT', weight: 3, base: 1 },
    { capacityProvider: 'FARGATE', weight: 1 },
  ],
  hooks: { BeforeInstall: ['check-config'], AfterAllowTestTraffic: [HOOK_ARN, 'load-test'] },
};

/** A minimal YAML AppSpec with `properties` as the target's Properties block and `hooks` as the Hooks block. */
const minimal = (properties: string, hooks = '') =>
  `version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n${properties
    .split('\n')
    .map((line) => `        ${line}`)
    .join('\n')}\n${hooks}`;
const LB =
  'TaskDefinition: <TASK_DEFINITION>\nLoadBalancerInfo:\n  ContainerName: web\n  ContainerPort: 8080';

function thrownBy(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as Error;
  }
  throw new Error('expected an InvalidInputError, nothing was thrown');
}

describe('parseAppSpec', () => {
  it.each([
    ['YAML', YAML_APPSPEC, 'appspec.yaml'],
    ['JSON', JSON_APPSPEC, 'appspec.json'],
    ['JSON with a byte order mark', `\uFEFF${JSON_APPSPEC}`, 'appspec.json'],
    ['YAML with a byte order mark', `\uFEFF${YAML_APPSPEC}`, 'appspec.yaml'],
  ])('reads an AppSpec in %s into CreateTaskSet fields', (_name, text, file) => {
    expect(parseAppSpec(text, file, TASK_DEFINITION)).toEqual(PARSED);
  });

  it('gives JSON syntax errors with line and column for a .json file', () => {
    const text = '{\n  "version": 0.0,\n  "Resources": [}\n';
    expect(thrownBy(() => parseAppSpec(text, 'app/appspec.json', TASK_DEFINITION)).message).toMatch(
      /^app\/appspec\.json: not valid JSON at line 3, column 17: expected a value, found "}/,
    );
  });

  it('reads YAML flow style in a .yaml file', () => {
    const text =
      '{Resources: [{TargetService: {Properties: {TaskDefinition: x, LoadBalancerInfo: {ContainerName: web, ContainerPort: 8080}}}}]}';
    expect(parseAppSpec(text, 'appspec.yaml', TASK_DEFINITION)).toEqual({
      containerName: 'web',
      containerPort: 8080,
      hooks: {},
    });
    expect(renderAppSpec(text, 'appspec.yaml', ARN)).toBe(
      text.replace('TaskDefinition: x', `TaskDefinition: ${ARN}`),
    );
  });

  it('matches keys case-insensitively', () => {
    const lower = YAML_APPSPEC.replace(/^(\s*-?\s*)([A-Za-z]+):/gm, (_all, indent: string, key: string) =>
      key === 'TargetService' ? `${indent}${key}:` : `${indent}${key.toLowerCase()}:`,
    );
    expect(lower).toContain('containerport: 8080');
    expect(lower).toContain('afterallowtesttraffic:');
    expect(parseAppSpec(lower, 'appspec.yaml', TASK_DEFINITION)).toEqual(PARSED);
  });

  it.each<[string, string, Partial<ParsedAppSpec>]>([
    ['a numeric-string port', minimal(LB.replace('8080', '"9090"')), { containerPort: 9090 }],
    [
      'no optional fields and no hooks',
      minimal(LB),
      { containerName: 'web', containerPort: 8080, hooks: {} },
    ],
    [
      'hooks written as a map, one with several functions',
      minimal(LB, 'Hooks:\n  BeforeInstall: [one, two]\n  AfterAllowTraffic: 123456789012:function:three\n'),
      { hooks: { BeforeInstall: ['one', 'two'], AfterAllowTraffic: ['123456789012:function:three'] } },
    ],
    ['an empty Hooks entry', minimal(LB, 'Hooks:\n'), { hooks: {} }],
    [
      'a sidecar container as the target',
      minimal(LB.replace('web', 'envoy').replace('8080', '9901')),
      { containerName: 'envoy', containerPort: 9901 },
    ],
    [
      'AssignPublicIp in lower case',
      minimal(
        `${LB}\nNetworkConfiguration:\n  AwsvpcConfiguration:\n    Subnets: [subnet-1]\n    AssignPublicIp: enabled`,
      ),
      { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'ENABLED' } } },
    ],
  ])('accepts %s', (_name, text, expected) => {
    const parsed = parseAppSpec(text, 'appspec.yaml', TASK_DEFINITION);
    expect(parsed).toMatchObject(expected);
    if ('hooks' in expected) expect(parsed.hooks).toEqual(expected.hooks);
  });

  it.each<[string, string, RegExp, AppSpecTaskDefinition?]>([
    [
      'a YAML syntax error, with line and column',
      'version: 0.0\nResources: [\n  - a\nHooks: x\n',
      /^appspec\.yaml: not valid YAML: .*at line \d+, column \d+/,
    ],
    [
      'YAML flow style with an error, in a .yaml file',
      '{version: 0.0, Resources: [}\n',
      /^appspec\.yaml: not valid YAML: .*at line 1, column \d+/,
    ],
    [
      'a list at the top',
      '- a\n- b\n',
      /appspec\.yaml: expected an AppSpec with version, Resources and Hooks/,
    ],
    ['no Resources', 'version: 0.0\nHooks: []\n', /Resources must be a list holding the ECS service/],
    [
      'two targets',
      minimal(LB).replace(
        'Resources:\n',
        'Resources:\n  - OtherService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: x\n',
      ),
      /appspec\.yaml: Resources lists 2 resources \(OtherService, TargetService\): an ECS AppSpec has exactly one target service with LoadBalancerInfo/,
    ],
    [
      'two keys that differ only in case',
      minimal(
        `${LB}\ncontainerPort: 1`.replace(
          'ContainerPort: 8080\ncontainerPort',
          'ContainerPort: 8080\n  containerPort',
        ),
      ),
      /Resources\[0\]\.TargetService\.Properties\.LoadBalancerInfo has ContainerPort and containerPort: keep one ContainerPort/,
    ],
    [
      'a resource of another type',
      minimal(LB).replace('AWS::ECS::Service', 'AWS::Lambda::Function'),
      /Resources\[0\]\.TargetService\.Type is "AWS::Lambda::Function": Switchyard deploys AWS::ECS::Service/,
    ],
    [
      'no LoadBalancerInfo',
      minimal('TaskDefinition: x'),
      /Properties needs LoadBalancerInfo: \{ContainerName/,
    ],
    [
      'a container that is not in the task definition, listing the containers',
      minimal(LB.replace('ContainerName: web', 'ContainerName: api')),
      /LoadBalancerInfo\.ContainerName: container "api" is not in task definition "web" \(containers: web, envoy\)/,
    ],
    [
      'a container name in another case',
      minimal(LB.replace('ContainerName: web', 'ContainerName: Web')),
      /container "Web" is not in task definition "web"/,
    ],
    [
      'a port that is not a containerPort of the container',
      minimal(LB.replace('8080', '9901')),
      /LoadBalancerInfo\.ContainerPort is 9901, not a containerPort of container "web" \(portMappings: 8080, 9090\)/,
    ],
    [
      'a port that is not a number',
      minimal(LB.replace('8080', 'http')),
      /ContainerPort is "http": expected a whole number from 1 to 65535/,
    ],
    [
      'a port out of range',
      minimal(LB.replace('8080', '70000')),
      /ContainerPort is 70000: expected a whole number/,
    ],
    [
      'an EC2-style location: hook, naming the event',
      minimal(LB, 'Hooks:\n  - AfterInstall:\n      - location: scripts/check.sh\n        timeout: 300\n'),
      /Hooks\[0\]\.AfterInstall runs a script \("location:"\), as an EC2\/on-premises AppSpec does: .*"- AfterInstall: <function name or ARN>"/,
    ],
    [
      'an unknown hook event, listing the valid ones',
      minimal(LB, 'Hooks:\n  - BeforeInstall: a\n  - ApplicationStop: b\n'),
      /Hooks\[1\]: unknown event "ApplicationStop" \(valid events: BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic\)/,
    ],
    [
      'a hook that is not a Lambda function name',
      minimal(LB, 'Hooks:\n  - BeforeInstall: "check config.sh"\n'),
      /Hooks\[0\]\.BeforeInstall is "check config\.sh": expected a Lambda function name or ARN/,
    ],
    ['a hook with no function', minimal(LB, 'Hooks:\n  - BeforeInstall:\n'), /BeforeInstall is null/],
    [
      'a network configuration for a task definition that is not awsvpc',
      minimal(`${LB}\nNetworkConfiguration:\n  AwsvpcConfiguration:\n    Subnets: [subnet-1]`),
      /Properties\.NetworkConfiguration needs a task definition with "networkMode": "awsvpc"; "web" has bridge/,
      { ...TASK_DEFINITION, networkMode: 'bridge' },
    ],
    [
      'a network configuration without subnets',
      minimal(`${LB}\nNetworkConfiguration:\n  AwsvpcConfiguration:\n    SecurityGroups: [sg-1]`),
      /AwsvpcConfiguration\.Subnets must be a list of 1 to 16 ids/,
    ],
    [
      'an AssignPublicIp that is neither ENABLED nor DISABLED',
      minimal(
        `${LB}\nNetworkConfiguration:\n  AwsvpcConfiguration:\n    Subnets: [subnet-1]\n    AssignPublicIp: yes`,
      ),
      /AssignPublicIp is "yes": expected ENABLED or DISABLED/,
    ],
    [
      'a capacity provider weight out of range',
      minimal(`${LB}\nCapacityProviderStrategy:\n  - CapacityProvider: FARGATE\n    Weight: 5000`),
      /CapacityProviderStrategy\[0\]\.Weight is 5000: expected a whole number from 0 to 1000/,
    ],
    [
      'a capacity provider strategy without a provider',
      minimal(`${LB}\nCapacityProviderStrategy:\n  - Weight: 1`),
      /CapacityProviderStrategy\[0\]\.CapacityProvider must name a capacity provider/,
    ],
  ])('rejects %s', (_name, text, message, taskDefinition = TASK_DEFINITION) => {
    expect(thrownBy(() => parseAppSpec(text, 'appspec.yaml', taskDefinition)).message).toMatch(message);
  });
});

describe('renderAppSpec', () => {
  it('replaces only the TaskDefinition of a YAML AppSpec: comments, blank lines, quotes and order survive', () => {
    expect(renderAppSpec(YAML_APPSPEC, 'appspec.yaml', ARN)).toBe(
      YAML_APPSPEC.replace('<TASK_DEFINITION>', ARN),
    );
  });

  it('replaces only the TaskDefinition of a JSON AppSpec, keeping its layout (and version 0.0)', () => {
    const rendered = renderAppSpec(JSON_APPSPEC, 'appspec.json', ARN);
    expect(rendered).toBe(JSON_APPSPEC.replace('"<TASK_DEFINITION>"', JSON.stringify(ARN)));
    expect(JSON.parse(rendered).Resources[0].TargetService.Properties.TaskDefinition).toBe(ARN);
  });

  it.each([
    [
      'an ARN of an earlier revision',
      'TaskDefinition: arn:aws:ecs:us-east-1:123456789012:task-definition/web:41',
    ],
    ['a single-quoted value', "TaskDefinition: 'web'"],
    ['a double-quoted value', 'TaskDefinition: "<TASK_DEFINITION>"'],
    ['nothing', 'TaskDefinition:'],
    ['null', 'TaskDefinition: ~ # none yet'],
    ['a folded block', 'TaskDefinition: >-\n  <TASK_DEFINITION>'],
    ['a lower-case key', 'taskdefinition: <TASK_DEFINITION>'],
  ])('sets TaskDefinition whatever it held: %s', (_name, line) => {
    const text = minimal(
      `${line}\nLoadBalancerInfo:\n  ContainerName: web\n  ContainerPort: 8080`,
      'Hooks: [] # none\n',
    );
    const rendered = renderAppSpec(text, 'appspec.yaml', ARN);
    const before = parseDocument(text).toJS();
    const after = parseDocument(rendered).toJS();
    const properties = after.Resources[0].TargetService.Properties;
    expect(properties.TaskDefinition ?? properties.taskdefinition).toBe(ARN);
    delete before.Resources[0].TargetService.Properties.TaskDefinition;
    delete before.Resources[0].TargetService.Properties.taskdefinition;
    delete properties.TaskDefinition;
    delete properties.taskdefinition;
    expect(after).toEqual(before);
    expect(rendered.endsWith('Hooks: [] # none\n')).toBe(true);
  });

  it('keeps the quote style of a single-quoted value', () => {
    const text = minimal(`TaskDefinition: 'x'\n${LB.split('\n').slice(1).join('\n')}`);
    expect(renderAppSpec(text, 'appspec.yaml', ARN)).toContain(`TaskDefinition: '${ARN}'`);
  });

  it('writes the placeholder of a dry run as it is', () => {
    expect(renderAppSpec(YAML_APPSPEC, 'appspec.yaml', '<TASK_DEFINITION>')).toBe(YAML_APPSPEC);
  });

  it('sets TaskDefinition inside a flow map', () => {
    const text =
      'Resources:\n  - TargetService: {Type: AWS::ECS::Service, Properties: {TaskDefinition: , X: 1}}\n';
    expect(renderAppSpec(text, 'appspec.yaml', ARN)).toBe(
      text.replace('TaskDefinition: ,', `TaskDefinition:  ${ARN},`),
    );
  });

  it.each([
    [
      'no TaskDefinition',
      minimal('LoadBalancerInfo: {ContainerName: web, ContainerPort: 8080}'),
      /Properties has no TaskDefinition: add "TaskDefinition: <TASK_DEFINITION>"/,
    ],
    [
      'a TaskDefinition that is a map',
      minimal('TaskDefinition:\n  Family: web'),
      /Properties\.TaskDefinition must be a single value/,
    ],
    [
      'two targets',
      `Resources:\n  - A: {Properties: {}}\n  - B: {Properties: {}}\n`,
      /Resources lists 2 resources \(A, B\)/,
    ],
  ])('rejects %s', (_name, text, message) => {
    expect(thrownBy(() => renderAppSpec(text, 'appspec.yaml', ARN)).message).toMatch(message);
  });
});
