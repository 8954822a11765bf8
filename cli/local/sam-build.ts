/**
 * `sam build` for the esbuild functions of template.yaml, without the SAM CLI: each function is bundled from its
 * Metadata.BuildProperties into `<outDir>/<LogicalId>/<handler file>.js`, the layout `sam build` produces.
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import {
  type CfnValue,
  loadTemplate,
  PROJECT_ROOT,
  type TemplateFunction,
  templateFunctions,
} from './template';

/** One bundled function. */
export interface BuiltFunction {
  logicalId: string;
  /** Absolute path of the bundle (the file Lambda loads). */
  bundle: string;
  bytes: number;
  handlerExport: string;
  function: TemplateFunction;
}

function stringList(value: CfnValue | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return [String(value)];
  return value.map(String);
}

/** The esbuild options SAM derives from a function's BuildProperties. */
export function esbuildOptions(fn: TemplateFunction, outDir: string): BuildOptions {
  const p = fn.buildProperties;
  const format = String(p.Format ?? 'cjs');
  if (format !== 'cjs' && format !== 'esm') {
    throw new Error(
      `template.yaml: ${fn.logicalId} BuildProperties.Format must be cjs or esm, not ${format}`,
    );
  }
  if (p.OutExtension !== undefined) {
    // The bundle's file name would change, and with it the Handler; no function of ours needs it.
    throw new Error(
      `template.yaml: ${fn.logicalId} BuildProperties.OutExtension is not supported by switchyard build`,
    );
  }
  const banner = p.Banner === undefined ? undefined : String(p.Banner);
  return {
    entryPoints: [fn.entryPoint],
    bundle: true,
    platform: 'node',
    outdir: outDir,
    format,
    target: String(p.Target ?? 'es2020'),
    minify: p.Minify === true || p.Minify === 'true',
    sourcemap: p.Sourcemap === true || p.Sourcemap === 'true',
    external: stringList(p.External),
    mainFields: stringList(p.MainFields),
    ...(banner ? { banner: { js: banner.replace(/^js=/, '') } } : {}),
    logLevel: 'silent',
  };
}

/** Bundles every function (or the named ones) as `sam build` would. */
export async function samBuild(options: { outDir?: string; only?: string[] } = {}): Promise<BuiltFunction[]> {
  const outRoot = resolve(PROJECT_ROOT, options.outDir ?? '.aws-sam/build');
  const functions = templateFunctions(loadTemplate()).filter(
    (fn) => !options.only || options.only.includes(fn.logicalId),
  );
  if (options.only) {
    const missing = options.only.filter((id) => !functions.some((fn) => fn.logicalId === id));
    if (missing.length > 0) {
      const known = templateFunctions(loadTemplate()).map((fn) => fn.logicalId);
      throw new Error(`template.yaml has no function ${missing.join(', ')} (functions: ${known.join(', ')})`);
    }
  }
  return Promise.all(
    functions.map(async (fn) => {
      const dir = join(outRoot, fn.logicalId);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await build(esbuildOptions(fn, dir));
      const bundle = join(dir, `${fn.handlerFile}.js`);
      return {
        logicalId: fn.logicalId,
        bundle,
        bytes: statSync(bundle).size,
        handlerExport: fn.handlerExport,
        function: fn,
      };
    }),
  );
}
