import { dirname, resolve } from 'node:path';
import { samBuild, templatePath } from '../local/sam-build';
import { writeBuiltTemplate } from '../local/sam-build-template';
import { loadTemplate, PROJECT_ROOT, templateFunctions } from '../local/template';
import { parseFlags } from './flag-suggest';
import type { Command } from './types';

const OPTIONS = {
  template: { type: 'string', short: 't' },
  'build-dir': { type: 'string', short: 'b' },
  out: { type: 'string' },
  only: { type: 'string', multiple: true },
} as const;

/** `switchyard build`: `sam build` for the esbuild functions of template.yaml. */
export const build: Command = {
  summary: 'bundle every function of template.yaml as `sam build` would (esbuild, the BuildProperties)',
  usage: `switchyard build [-t TEMPLATE] [-b DIR] [--only LogicalId]...

Bundles each AWS::Serverless::Function of the template from its Metadata.BuildProperties into
DIR/<LogicalId>/handler.js (default DIR: .aws-sam/build), and writes DIR/template.yaml as \`sam build\` does:
each built function's CodeUri names its folder, its Metadata asks for no further build, and the template's other
local paths (the state machine's DefinitionUri) still name the same files. \`sam deploy\` (samconfig.toml) then
deploys that template. One line per function with its size.

  -t, --template FILE     the SAM template (default: template.yaml); CodeUri are relative to its folder
  -b, --build-dir DIR     where the bundles and the built template go (default: .aws-sam/build); --out DIR too
  --only LogicalId        build only this function (repeatable); the built template points the others at
                          their folders from an earlier build, or leaves them unbuilt with a warning

The BuildProperties reach esbuild as sam build passes them: Format, Target and MainFields as one string each
(comma-separated, e.g. MainFields: module,main), External as a list, Minify (default true) and Sourcemap
(default false) as YAML booleans. Sizes and cold-start times of every bundle: npm run bench:bundles.

Example:
  npx switchyard build && sam deploy        # samconfig.toml names the stack; sam deploy --guided the first time`,
  run: async (args) => {
    const { values } = parseFlags('build', { args, options: OPTIONS });
    if (values.out !== undefined && values['build-dir'] !== undefined && values.out !== values['build-dir']) {
      throw new Error('--out and --build-dir name the same folder: give one of them');
    }
    const outDir = values['build-dir'] ?? values.out;
    const source = templatePath(values.template);
    const started = Date.now();
    const built = await samBuild({ outDir, only: values.only, template: source });
    for (const fn of built) {
      process.stdout.write(
        `${fn.logicalId.padEnd(28)} ${(fn.bytes / 1024).toFixed(1).padStart(8)} KiB  ${fn.bundle}\n`,
      );
    }
    const outRoot = resolve(PROJECT_ROOT, outDir ?? '.aws-sam/build');
    // Every function of the template: with --only, the others may have bundles from an earlier build.
    const functions = templateFunctions(loadTemplate(source), dirname(source)).map((fn) => ({
      logicalId: fn.logicalId,
      function: fn,
    }));
    const written = writeBuiltTemplate({ source, outRoot, functions });
    process.stdout.write(`built ${built.length} function(s) in ${Date.now() - started} ms\n`);
    process.stdout.write(`built template: ${written.path}\n`);
    if (written.unbuilt.length > 0) {
      process.stderr.write(
        `warning: ${written.unbuilt.join(', ')} have no bundle in ${outRoot}: the built template leaves them to be built; run switchyard build without --only before sam deploy\n`,
      );
    }
    return 0;
  },
};
