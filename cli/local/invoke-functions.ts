/**
 * The functions `switchyard invoke` can run from a template: a source template's (bundled first, as `sam build`
 * does) or a built one's, `.aws-sam/build/template.yaml` as `switchyard build` or `sam build` writes it, whose
 * functions ask for no build and whose CodeUri folder already holds the bundle, which `sam local invoke` runs
 * as it is (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/using-sam-cli-local-invoke.html).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { type CfnValue, type SamTemplate, type TemplateFunction, templateFunctions } from './template';

/** A function to invoke; `bundle` is set when the template's CodeUri already holds it (a built template). */
export interface InvokableFunction {
  fn: TemplateFunction;
  bundle?: string;
}

function variablesOf(props: Record<string, CfnValue> | undefined): Record<string, CfnValue> {
  const env = props?.Environment as { Variables?: Record<string, CfnValue> } | undefined;
  return env?.Variables ?? {};
}

/** A function of a built template: no BuildMethod, its handler file in its CodeUri folder. */
function builtFunction(
  template: SamTemplate,
  logicalId: string,
  root: string,
  file: string,
): InvokableFunction {
  const globals = template.Globals?.Function ?? {};
  const props = template.Resources[logicalId]?.Properties ?? {};
  const handler = String(props.Handler ?? globals.Handler ?? '');
  const dot = handler.lastIndexOf('.');
  if (dot <= 0)
    throw new InvalidInputError(`${file}: ${logicalId} Handler "${handler}" must be <file>.<export>`);
  const codeUri = props.CodeUri ?? globals.CodeUri;
  if (typeof codeUri !== 'string') {
    throw new InvalidInputError(
      `${file}: ${logicalId} has no Metadata.BuildMethod and no local CodeUri: invoke it from its source template`,
    );
  }
  const handlerFile = handler.slice(0, dot);
  const bundle = join(resolve(root, codeUri), `${handlerFile}.js`);
  if (!existsSync(bundle)) {
    throw new InvalidInputError(
      `${file}: ${logicalId} has no Metadata.BuildMethod, so its CodeUri must hold the built handler, but ${bundle} does not exist: run switchyard build, or give the source template with -t`,
    );
  }
  return {
    bundle,
    fn: {
      logicalId,
      entryPoint: bundle,
      handlerFile,
      handlerExport: handler.slice(dot + 1),
      buildProperties: {},
      environment: { ...variablesOf(globals), ...variablesOf(props) },
      timeoutSeconds: Number(props.Timeout ?? globals.Timeout ?? 3),
      memorySize: Number(props.MemorySize ?? globals.MemorySize ?? 128),
    },
  };
}

/**
 * Every AWS::Serverless::Function of the template, in template order: `load` gives the one to invoke, built
 * already (no BuildMethod: its CodeUri holds the bundle) or to be bundled from its BuildProperties.
 */
export function invokableFunctions(
  template: SamTemplate,
  root: string,
  file: string,
): { logicalId: string; load: () => InvokableFunction }[] {
  const entries = Object.entries(template.Resources);
  const isFunction = ([, resource]: (typeof entries)[number]) =>
    resource.Type === 'AWS::Serverless::Function';
  const toBuild = entries.filter(
    (entry) => isFunction(entry) && entry[1].Metadata?.BuildMethod !== undefined,
  );
  // template.ts reads the functions that are built from source; only those are given to it.
  const sources = new Map(
    templateFunctions({ ...template, Resources: Object.fromEntries(toBuild) }, root, file).map((fn) => [
      fn.logicalId,
      fn,
    ]),
  );
  return entries.filter(isFunction).map(([logicalId]) => {
    const fn = sources.get(logicalId);
    return { logicalId, load: () => (fn ? { fn } : builtFunction(template, logicalId, root, file)) };
  });
}
