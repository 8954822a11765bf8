import { registerableTaskDefinition } from '../../../functions/lib/render/register-input';
import { renderTaskDefinition } from '../../../functions/lib/render/task-definition';

describe('registerableTaskDefinition', () => {
  it('keeps every field RegisterTaskDefinition knows, at every depth', () => {
    const taskdef = {
      family: 'web',
      cpu: '256',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: 'web',
          image: 'r/web:1',
          portMappings: [{ containerPort: 80, protocol: 'tcp' }],
          environmentFiles: [{ value: 'arn:aws:s3:::b/e.env', type: 's3' }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } },
          dockerLabels: { 'any.label': 'kept' },
          secrets: [{ name: 'DB', valueFrom: 'arn:aws:ssm:us-east-1:111122223333:parameter/db' }],
          restartPolicy: { enabled: true },
        },
      ],
      volumes: [{ name: 'data', efsVolumeConfiguration: { fileSystemId: 'fs-1' } }],
      tags: [{ key: 'team', value: 'a' }],
    };
    expect(registerableTaskDefinition(taskdef)).toEqual({ input: taskdef, dropped: [] });
  });

  it('drops what RegisterTaskDefinition does not know and says where it belongs', () => {
    const { input, dropped } = registerableTaskDefinition({
      family: 'web',
      environmentFiles: [{ value: 'arn:aws:s3:::b/e.env', type: 's3' }],
      Family: 'web',
      containerDefinitions: [
        {
          name: 'web',
          image: 'r/web:1',
          portMapping: [{ containerPort: 80 }],
          logConfiguration: { logDriver: 'awslogs', option: { a: 'b' } },
        },
      ],
    });
    expect(input).toEqual({
      family: 'web',
      containerDefinitions: [{ name: 'web', image: 'r/web:1', logConfiguration: { logDriver: 'awslogs' } }],
    });
    expect(dropped).toEqual([
      { path: 'environmentFiles', suggestion: 'containerDefinitions[].environmentFiles' },
      { path: 'Family', suggestion: 'family' },
      { path: 'containerDefinitions[0].portMapping', suggestion: 'containerDefinitions[].portMappings' },
      {
        path: 'containerDefinitions[0].logConfiguration.option',
        suggestion: 'containerDefinitions[].logConfiguration.options',
      },
    ]);
  });

  it('makes the render leave the field out and warn with the file, the path and the field meant', () => {
    const warnings: string[] = [];
    const rendered = renderTaskDefinition({
      taskdefFile: 'taskdef.json',
      taskdefText: JSON.stringify({
        family: 'web',
        environmentFiles: [{ value: 'arn:aws:s3:::b/e.env', type: 's3' }],
        containerDefinitions: [{ name: 'web', image: 'r/web:1', memory: 512 }],
      }),
      imageDetails: [],
      onWarning: (message) => warnings.push(message),
    });
    expect(rendered).not.toHaveProperty('environmentFiles');
    expect(warnings).toEqual([
      'taskdef.json: environmentFiles is not a field of RegisterTaskDefinition, so ECS would not register it; it is ' +
        'left out, as CodePipeline leaves it out (did you mean containerDefinitions[].environmentFiles?)',
    ]);
  });
});
