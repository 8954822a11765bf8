import { parseArgs } from 'node:util';
import { samBuild } from '../local/sam-build';
import type { Command } from './types';

/** `switchyard build`: `sam build` for the esbuild functions of template.yaml. */
export const build: Command = {
  summary: 'bundle every function of template.yaml as `sam build` would (esbuild, the BuildProperties)',
  usage: `switchyard build [--out DIR] [--only LogicalId]...

Bundles each AWS::Serverless::Function of template.yaml from its Metadata.BuildProperties into
DIR/<LogicalId>/handler.js (default DIR: .aws-sam/build), and prints one line per function with its size.
The BuildProperties reach esbuild as sam build passes them: Format, Target and MainFields as one string each
(comma-separated, e.g. MainFields: module,main), External as a list, Minify (default true) and Sourcemap
(default false) as YAML booleans. Sizes and cold-start times of every bundle: npm run bench:bundles.`,
  run: async (args) => {
    const { values } = parseArgs({
      args,
      options: { out: { type: 'string' }, only: { type: 'string', multiple: true } },
      strict: true,
    });
    const started = Date.now();
    const built = await samBuild({ outDir: values.out, only: values.only });
    for (const fn of built) {
      process.stdout.write(
        `${fn.logicalId.padEnd(28)} ${(fn.bytes / 1024).toFixed(1).padStart(8)} KiB  ${fn.bundle}\n`,
      );
    }
    process.stdout.write(`built ${built.length} function(s) in ${Date.now() - started} ms\n`);
    return 0;
  },
};
