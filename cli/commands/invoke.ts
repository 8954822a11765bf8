import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { invokeBundle, lambdaEnvironment } from '../local/invoke';
import {
  functionEnvironment,
  parseEnvVars,
  parseParameterOverrides,
  readJson,
  unusedSections,
} from '../local/invoke-env';
import { invokableFunctions } from '../local/invoke-functions';
import { localResolveContext } from '../local/pipeline-definition';
import { invokeTemplatePath, samBuild, templateName } from '../local/sam-build';
import { loadTemplate, type SamTemplate, type TemplateFunction } from '../local/template';
import { parseFlags } from './flag-suggest';
import { fillSampleDeployment } from './invoke-sample-deployment';
import type { Command } from './types';

const OPTIONS = {
  template: { type: 'string', short: 't' },
  event: { type: 'string', short: 'e' },
  'no-event': { type: 'boolean' },
  'env-vars': { type: 'string', short: 'n' },
  'parameter-overrides': { type: 'string', multiple: true },
} as const;

/** What `sam local invoke` resolves the pseudo parameters to when no stack exists. */
const LOCAL_STACK = { name: 'local', accountId: '123456789012' } as const;

function functionName(template: SamTemplate, fn: TemplateFunction): string {
  const name = template.Resources[fn.logicalId]?.Properties?.FunctionName;
  return typeof name === 'string' ? name : fn.logicalId;
}

/** `switchyard invoke`: `sam local invoke` without Docker. */
export const invoke: Command = {
  summary: 'run one function of template.yaml with an event, as `sam local invoke` does (no Docker)',
  usage: `switchyard invoke <LogicalId> [-t TEMPLATE] [-e FILE | --no-event] [-n FILE] [--parameter-overrides Name=Value ...]

Bundles the function as \`sam build\` does (esbuild, its BuildProperties) into a temporary directory and calls its
handler in a fresh Node.js process whose environment is the function's, as \`sam local invoke\` does:

  -t, --template FILE         the SAM template; CodeUri are relative to its folder. A built one
                              (.aws-sam/build/template.yaml, from switchyard build or sam build) runs the bundle
                              its CodeUri holds, as it is. Default, as sam's: .aws-sam/build/template.yaml when
                              switchyard build wrote it after template.yaml last changed (said on stderr), else
                              template.yaml
  -e, --event FILE            the event (JSON); "-" reads it from stdin
  --no-event                  invoke with the empty event {} (also what happens with neither option, as sam)
  -n, --env-vars FILE         sam's format: {"Parameters": {"NAME": "value"}} sets NAME for every function,
                              {"<LogicalId>": {"NAME": "value"}} for one, and wins; only variables the template
                              declares for the function are set (the others are ignored, as sam ignores them).
                              events/env.json is one for the stack \`switchyard local --keep\` leaves running
  --parameter-overrides ...   template parameter values, Name=Value or ParameterKey=Name,ParameterValue=Value;
                              the others take their Default; one without a default that the environment
                              needs is an error naming it

Ref of a resource of the template gives its logical id, the pseudo parameters are sam's (account 123456789012,
stack "local", the region of AWS_REGION): set the real names in --env-vars. AWS calls go where AWS_ENDPOINT_URL
points (e.g. an emulator started with \`switchyard local --keep\`: export what it prints), with the credentials
of this shell.

The events/ samples all name the made-up deployment sample-exec. When --env-vars names the stack's TABLE_NAME,
a sample that names it runs with the stack's latest deployment instead (its id, commit and execution, and the
source, build, render and green its record holds; Prepare's push names its commit), said on stderr; with no
deployment in the table yet it is refused before anything runs: run one first (switchyard local --keep).

Output, as sam local invoke: the function's log on stderr, then its result as JSON on stdout; an error the
function throws is printed on stdout as {"errorType", "errorMessage", "trace"} and the exit status is 0 all the
same (sam's behaviour, aws/aws-sam-cli#1081): read stdout to tell. Exit status 1, with the reason on stderr,
when nothing could be invoked (unknown function, unreadable event, missing parameter).

Example (in a second shell, with the exports \`switchyard local --keep\` printed):
  npx switchyard invoke StartBuildFunction --event events/start-build.json --env-vars events/env.json`,
  run: async (args) => {
    const { values, positionals } = parseFlags('invoke', { args, options: OPTIONS, allowPositionals: true });
    if (values.event !== undefined && values['no-event']) {
      throw new InvalidInputError(
        '--event and --no-event both given: --no-event invokes with {}, so drop one of them',
      );
    }
    const { path, note } = invokeTemplatePath(values.template);
    if (note) process.stderr.write(`${note}\n`);
    const file = templateName(path);
    const template = loadTemplate(path);
    const functions = invokableFunctions(template, dirname(path), file);
    const known = functions.map((f) => f.logicalId);
    if (positionals.length !== 1) {
      throw new InvalidInputError(
        `expected one function logical id, got ${positionals.length}. Possible options in your template: ${known.join(', ')}`,
      );
    }
    const id = positionals[0] ?? '';
    const found = functions.find((candidate) => candidate.logicalId === id);
    if (!found) {
      throw new InvalidInputError(
        `Function ${id} not found. Possible options in your template: ${known.join(', ')}`,
      );
    }
    const { fn, bundle } = found.load();
    const given = values.event === undefined ? {} : readJson('--event', values.event);
    const envVarsFile = values['env-vars'];
    const envVars = envVarsFile ? parseEnvVars(readJson('--env-vars', envVarsFile), envVarsFile) : {};
    const overrides = parseParameterOverrides(values['parameter-overrides'] ?? []);
    const unknown = Object.keys(overrides).filter((name) => !(name in (template.Parameters ?? {})));
    if (unknown.length > 0) {
      throw new InvalidInputError(
        `--parameter-overrides: ${file} has no parameter ${unknown.join(', ')} (parameters: ${Object.keys(template.Parameters ?? {}).join(', ')})`,
      );
    }
    const resources: Record<string, string> = {};
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Serverless::Function') resources[logicalId] = logicalId;
    }
    const ctx = localResolveContext(template, {
      name: LOCAL_STACK.name,
      accountId: LOCAL_STACK.accountId,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      parameters: overrides,
      resources,
    });
    const { variables, ignored } = functionEnvironment({ template, fn, ctx, envVars });
    for (const name of ignored) {
      process.stderr.write(
        `--env-vars: ${id}.${name} is not an environment variable of ${id} in ${file}, so it is not set (sam ignores it too)\n`,
      );
    }
    for (const section of unusedSections(envVars, known)) {
      process.stderr.write(
        `--env-vars: "${section}" is neither "Parameters" nor a function of ${file}, so nothing in it is set (sam ignores it too)\n`,
      );
    }
    // The samples' placeholder deployment stands for the stack's latest one (invoke-sample-deployment.ts).
    const filled = await fillSampleDeployment(given, {
      // Only a table --env-vars names: the template's own value is a Ref, which locally is no table's name.
      tableName: envVars[id]?.TABLE_NAME ?? envVars.Parameters?.TABLE_NAME,
      repository: envVars[id]?.REPOSITORY_NAME ?? envVars.Parameters?.REPOSITORY_NAME,
      eventFile: values.event,
    });
    if (filled.note) process.stderr.write(`${filled.note}\n`);
    const event = filled.event;
    return invokeBuilt({ template: path, fn, bundle, name: functionName(template, fn), event, variables });
  },
};

/** Bundles the one function into a temporary folder and invokes it, printing as sam local invoke prints. */
async function invokeBuilt(options: {
  template: string;
  fn: TemplateFunction;
  /** The bundle a built template's CodeUri holds; without it the function is bundled first. */
  bundle?: string;
  name: string;
  event: unknown;
  variables: Record<string, string>;
}): Promise<number> {
  const { fn, name } = options;
  const outDir = mkdtempSync(join(tmpdir(), 'switchyard-invoke-'));
  try {
    const built = options.bundle
      ? { bundle: options.bundle, handlerExport: fn.handlerExport }
      : (await samBuild({ only: [fn.logicalId], outDir, template: options.template }))[0];
    if (!built) throw new Error(`bundling ${fn.logicalId} produced nothing`);
    process.stderr.write(
      `Invoking ${fn.handlerFile}.${fn.handlerExport} (${fn.logicalId}, ${built.bundle})\n`,
    );
    process.stderr.write(`START ${name} Version: $LATEST\n`);
    const out = await invokeBundle({
      bundle: built.bundle,
      handlerExport: built.handlerExport,
      functionName: name,
      event: options.event,
      timeoutSeconds: fn.timeoutSeconds,
      env: lambdaEnvironment({
        functionName: name,
        memorySize: fn.memorySize,
        variables: options.variables,
        overrides: { AWS_SAM_LOCAL: 'true' },
      }),
    });
    if (out.log) process.stderr.write(out.log.endsWith('\n') ? out.log : `${out.log}\n`);
    process.stderr.write(`END ${name}\n`);
    process.stderr.write(
      `REPORT ${name}\tDuration: ${out.durationMs} ms\tMemory Size: ${fn.memorySize} MB\tTimeout: ${fn.timeoutSeconds} s\n`,
    );
    process.stdout.write(`${JSON.stringify(out.ok ? out.result : out.error)}\n`);
    return 0;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
