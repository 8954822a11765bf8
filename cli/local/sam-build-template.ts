/**
 * The template `sam build` leaves next to its bundles (`.aws-sam/build/template.yaml`), which `sam deploy` and
 * `sam package` then read instead of the source template: each built function's CodeUri names its build folder
 * (`<LogicalId>`, relative to the built template), its Metadata no longer asks for a build, and every other local
 * path of the template is rewritten relative to the build folder so that it still names the same file. Comments
 * and the short-form intrinsic tags are kept as written.
 * https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/using-sam-cli-build.html
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import YAML from 'yaml';
import type { BuiltFunction } from './sam-build';

/**
 * The properties that name a local file or folder, which `sam package` uploads, per resource type
 * (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/package.html lists them).
 */
const LOCAL_PATHS: Record<string, string[]> = {
  'AWS::Serverless::Function': ['CodeUri'],
  'AWS::Serverless::Api': ['DefinitionUri'],
  'AWS::Serverless::HttpApi': ['DefinitionUri'],
  'AWS::Serverless::StateMachine': ['DefinitionUri'],
  'AWS::Serverless::LayerVersion': ['ContentUri'],
  'AWS::Serverless::GraphQLApi': ['SchemaUri'],
  'AWS::Serverless::Application': ['Location'],
  'AWS::Lambda::Function': ['Code'],
  'AWS::Lambda::LayerVersion': ['Content'],
  'AWS::StepFunctions::StateMachine': ['DefinitionS3Location'],
  'AWS::CloudFormation::Stack': ['TemplateURL'],
};

/** A value that is a path on this machine (not an S3 or web address, not an intrinsic or an object). */
function isLocalPath(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && !/^(s3|https?):\/\//i.test(value);
}

/** What the written template says about each function: built (its folder) or left as it was. */
export interface BuiltTemplate {
  path: string;
  /** Functions whose CodeUri now names a build folder that holds their handler file. */
  built: string[];
  /** Functions with no bundle in the build folder (a build with --only): left to be built, with a warning. */
  unbuilt: string[];
}

/**
 * Writes `<outRoot>/template.yaml` from the template at `source`. A function counts as built when its folder
 * holds its handler file, whether this build or an earlier one made it (a build with --only keeps the others).
 */
export function writeBuiltTemplate(options: {
  source: string;
  outRoot: string;
  functions: Pick<BuiltFunction, 'logicalId' | 'function'>[];
}): BuiltTemplate {
  const { source, outRoot } = options;
  const sourceDir = dirname(source);
  const doc = YAML.parseDocument(readFileSync(source, 'utf8'));
  const resources = doc.toJS({ maxAliasCount: -1 })?.Resources as
    | Record<string, { Type?: string; Properties?: Record<string, unknown> }>
    | undefined;
  const built: string[] = [];
  const unbuilt: string[] = [];
  const handlerFile = new Map(options.functions.map((fn) => [fn.logicalId, fn.function.handlerFile]));
  for (const [logicalId, resource] of Object.entries(resources ?? {})) {
    const file = handlerFile.get(logicalId);
    if (resource.Type === 'AWS::Serverless::Function' && file !== undefined) {
      if (existsSync(join(outRoot, logicalId, `${file}.js`))) {
        doc.setIn(['Resources', logicalId, 'Properties', 'CodeUri'], logicalId);
        // The bundle is built: nothing is left for a later `sam build` or `sam deploy` to build.
        doc.deleteIn(['Resources', logicalId, 'Metadata', 'BuildMethod']);
        doc.deleteIn(['Resources', logicalId, 'Metadata', 'BuildProperties']);
        doc.setIn(['Resources', logicalId, 'Metadata', 'SamResourceId'], logicalId);
        built.push(logicalId);
        continue;
      }
      unbuilt.push(logicalId);
    }
    for (const property of LOCAL_PATHS[resource.Type ?? ''] ?? []) {
      const value = resource.Properties?.[property];
      if (!isLocalPath(value)) continue;
      const moved = relative(outRoot, resolve(sourceDir, value)) || '.';
      doc.setIn(['Resources', logicalId, 'Properties', property], moved);
    }
  }
  const path = join(outRoot, 'template.yaml');
  writeFileSync(path, doc.toString({ lineWidth: 0 }));
  return { path, built, unbuilt };
}
