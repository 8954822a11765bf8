import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBuildEnv } from '../../../../cli/local/build-env';
import { repositoryLayout } from '../../../../cli/local/repository-layout';

const TASKDEF = (image: string) =>
  JSON.stringify({ family: 'web', containerDefinitions: [{ name: 'web', image }] });

function layout(files: Record<string, string>, flags = {}) {
  return repositoryLayout(Object.keys(files), (path) => files[path], flags);
}

describe('repositoryLayout', () => {
  it("keeps CodePipeline's defaults when the files are at the root, with nothing to say", () => {
    const out = layout({ 'buildspec.yml': '', 'taskdef.json': TASKDEF('<IMAGE1_NAME>'), 'appspec.yaml': '' });
    expect(out.parameters).toEqual({
      BuildspecPath: 'buildspec.yml',
      TaskDefinitionTemplatePath: 'taskdef.json',
      TaskDefinitionTemplateArtifact: 'SOURCE',
      AppSpecTemplatePath: 'appspec.yaml',
      AppSpecTemplateArtifact: 'SOURCE',
    });
    expect(out.notes).toEqual([]);
  });

  it('finds the one file of each name in a folder, and says so', () => {
    const out = layout({
      'codedeploy/buildspec.yml': '',
      'codedeploy/taskdef.json': TASKDEF('nginx:1'),
      'codedeploy/appspec.yml': '',
      'imageDetail.json': '{}',
    });
    expect(out.parameters).toMatchObject({
      BuildspecPath: 'codedeploy/buildspec.yml',
      TaskDefinitionTemplatePath: 'codedeploy/taskdef.json',
      TaskDefinitionTemplateArtifact: 'SOURCE',
      AppSpecTemplatePath: 'codedeploy/appspec.yml',
    });
    expect(out.notes).toHaveLength(3);
    expect(out.notes[0]).toMatch(/buildspec: codedeploy\/buildspec\.yml .*--buildspec/);
  });

  it("reads a template the build writes from the build output, and binds the template's one placeholder", () => {
    const generated = layout({ 'buildspec.yml': '', 'taskdef-template.json': '{}', 'appspec.yml': '' });
    expect(generated.parameters).toMatchObject({
      TaskDefinitionTemplatePath: 'taskdef.json',
      TaskDefinitionTemplateArtifact: 'BUILD',
      AppSpecTemplatePath: 'appspec.yml',
      AppSpecTemplateArtifact: 'SOURCE',
    });
    expect(generated.notes).toEqual([
      expect.stringMatching(/taskdef\.json: not in the commit, so read from the build output/),
    ]);

    const named = layout({
      'buildspec.yml': '',
      'taskdef.json': TASKDEF('<IMAGE_NAME>'),
      'appspec.yaml': '',
    });
    expect(named.parameters.ImagePlaceholders).toBe('IMAGE_NAME=imageDetail.json');
  });

  it('takes the flags over what it would find, and refuses two candidates or a bad path', () => {
    const files = {
      'a/taskdef.json': TASKDEF('x'),
      'b/taskdef.json': TASKDEF('y'),
      'buildspec.yml': '',
      'appspec.yaml': '',
    };
    expect(() => layout(files)).toThrow(
      /several taskdef\.json files \(a\/taskdef\.json, b\/taskdef\.json\): choose one with --taskdef PATH/,
    );
    expect(
      layout(files, { taskdef: 'build:out/taskdef.json', images: ['WEB=out/web.json'] }).parameters,
    ).toMatchObject({
      TaskDefinitionTemplatePath: 'out/taskdef.json',
      TaskDefinitionTemplateArtifact: 'BUILD',
      ImagePlaceholders: 'WEB=out/web.json',
    });
    expect(() => layout(files, { taskdef: '../taskdef.json' })).toThrow(
      /--taskdef \.\.\/taskdef\.json: give a plain relative path/,
    );
    expect(() => layout(files, { taskdef: 'a/taskdef.json', images: ['WEB'] })).toThrow(
      /ImagePlaceholders .*not NAME=FILE/,
    );
  });
});

describe('readBuildEnv', () => {
  const file = (text: string) => {
    const path = join(tmpdir(), `build-env-${process.pid}-${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, text);
    return path;
  };

  it("reads NAME=VALUE lines as plain variables, and the stack parameter's JSON as it is", () => {
    expect(JSON.parse(readBuildEnv(file('# tags\nIMAGE_TAG=latest\n\nA=b=c\n')))).toEqual([
      { name: 'IMAGE_TAG', value: 'latest' },
      { name: 'A', value: 'b=c' },
    ]);
    const json = '[{"name":"TOKEN","value":"/app/token","type":"PARAMETER_STORE"}]';
    expect(readBuildEnv(file(json))).toBe(json);
  });

  it('refuses a bad variable, naming the file', () => {
    const path = file('CODEBUILD_X=1\n');
    expect(() => readBuildEnv(path)).toThrow(new RegExp(`--build-env ${path}: .*CODEBUILD_ prefix`));
  });
});
