/**
 * `sam build` for the esbuild functions of template.yaml, without the SAM CLI: each function is bundled from its
 * Metadata.BuildProperties into `<outDir>/<LogicalId>/<handler file>.js`, the layout `sam build` produces.
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { loadTemplate, PROJECT_ROOT, type TemplateFunction, templateFunctions } from './template';

/** One bundled function. */
export interface BuiltFunction {
  logicalId: string;
  /** Absolute path of the bundle (the file Lambda loads). */
  bundle: string;
  bytes: number;
  handlerExport: string;
  function: TemplateFunction;
}

// The BuildProperties SAM hands to esbuild and how (aws-lambda-builders, nodejs_npm_esbuild/esbuild.py): booleans
// become a bare flag only when true, single values `--flag=value`, lists one `--flag:item` per item. Documented at
// https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-build-typescript.html
const SUPPORTED = new Set([
  'EntryPoints',
  'Format',
  'Target',
  'Minify',
  'Sourcemap',
  'MainFields',
  'External',
  'Banner',
]);
const UNSUPPORTED = new Set(['Loader', 'OutExtension', 'SourcesContent']);

/** A template's path as a person gave or would type it: relative to the working folder when inside it. */
export function templateName(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** Where a BuildProperties problem is: the template actually read (`file`), the function, the property. */
function where(fn: TemplateFunction, property: string, file: string): string {
  return `${file}: ${fn.logicalId} Metadata.BuildProperties.${property}`;
}

/** SAM passes `--minify`/`--sourcemap` only for a YAML boolean true; absent, it minifies and writes no map. */
function flag(fn: TemplateFunction, property: string, absent: boolean, file: string): boolean {
  const value = fn.buildProperties[property];
  if (value === undefined) return absent;
  if (typeof value !== 'boolean') {
    throw new Error(
      `${where(fn, property, file)} is ${JSON.stringify(value)}: write true or false unquoted (SAM ignores anything but a boolean true)`,
    );
  }
  return value;
}

/**
 * A single-value property: SAM writes `--main-fields=<value>` (or `--target=`), and esbuild's command line splits the
 * value on commas without trimming. A YAML list would reach esbuild as Python's rendering of a list.
 */
function commaList(fn: TemplateFunction, property: string, file: string): string[] | undefined {
  const value = fn.buildProperties[property];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '' || /\s/.test(value)) {
    throw new Error(
      `${where(fn, property, file)} is ${JSON.stringify(value)}: SAM passes it to esbuild as one string, so write the items comma-separated without spaces (e.g. module,main)`,
    );
  }
  return value.split(',');
}

/** A multi-value property: SAM refuses anything but a list and writes `--external:<item>` per item. */
function itemList(fn: TemplateFunction, property: string, file: string): string[] | undefined {
  const value = fn.buildProperties[property];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === '')) {
    throw new Error(
      `${where(fn, property, file)} must be a YAML list of module names (SAM refuses a single string)`,
    );
  }
  return value as string[];
}

/**
 * The esbuild options SAM derives from a function's BuildProperties (the same flags `sam build` passes); `file`
 * names the template they were read from in errors.
 */
export function esbuildOptions(fn: TemplateFunction, outDir: string, file = 'template.yaml'): BuildOptions {
  const p = fn.buildProperties;
  for (const property of Object.keys(p)) {
    if (UNSUPPORTED.has(property)) {
      // OutExtension would rename the bundle and with it the Handler; no function of ours needs these.
      throw new Error(`${where(fn, property, file)} is not supported by switchyard build: remove it`);
    }
    if (!SUPPORTED.has(property)) {
      throw new Error(
        `${where(fn, property, file)} is not a property SAM passes to esbuild (${[...SUPPORTED].join(', ')}): fix its spelling or remove it`,
      );
    }
  }
  const format = String(p.Format ?? 'cjs');
  if (format !== 'cjs' && format !== 'esm') {
    throw new Error(`${where(fn, 'Format', file)} must be cjs or esm, not ${format}`);
  }
  const mainFields = commaList(fn, 'MainFields', file);
  const external = itemList(fn, 'External', file);
  const banner = p.Banner === undefined ? undefined : String(p.Banner);
  return {
    entryPoints: [fn.entryPoint],
    bundle: true,
    platform: 'node',
    outdir: outDir,
    format,
    target: commaList(fn, 'Target', file) ?? ['es2020'],
    minify: flag(fn, 'Minify', true, file),
    sourcemap: flag(fn, 'Sourcemap', false, file),
    ...(external ? { external } : {}),
    ...(mainFields ? { mainFields } : {}),
    ...(banner ? { banner: { js: banner.replace(/^js=/, '') } } : {}),
    logLevel: 'silent',
  };
}

/** Where `sam build` reads and writes: the template, the folder its relative paths start from, the build folder. */
export interface SamBuildOptions {
  /** The build folder (default `.aws-sam/build`), relative to the repository root. */
  outDir?: string;
  /** Only these logical ids. */
  only?: string[];
  /** The template (default template.yaml of the repository); its CodeUri are relative to its folder, as SAM's. */
  template?: string;
}

/** The template a build reads: the path given, else the repository's template.yaml. */
export function templatePath(template?: string): string {
  const path = template === undefined ? resolve(PROJECT_ROOT, 'template.yaml') : resolve(template);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new Error(
      `--template ${template ?? path}: no such file; give the path of a SAM template (default: template.yaml of the repository)`,
    );
  }
  return path;
}

/** Where `switchyard build` (and `sam build`) leave the built template, from the repository root. */
export const BUILT_TEMPLATE = '.aws-sam/build/template.yaml';

/** The template `switchyard invoke` reads, and a line saying why when it is not the one a person named. */
export interface InvokeTemplate {
  path: string;
  /** Said on stderr: the built template is used, or one older than template.yaml is passed over. */
  note?: string;
}

/**
 * The template `switchyard invoke` reads: `-t` when given; else, as `sam local invoke` after `sam build`, the built
 * template when it exists (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/using-sam-cli-build.html:
 * sam local reads `.aws-sam`), but only when it is newer than template.yaml, whose later edits it would not hold.
 */
export function invokeTemplatePath(template?: string, root = PROJECT_ROOT): InvokeTemplate {
  if (template !== undefined) return { path: templatePath(template) };
  const source = templatePath(root === PROJECT_ROOT ? undefined : resolve(root, 'template.yaml'));
  const built = resolve(root, BUILT_TEMPLATE);
  if (!existsSync(built)) return { path: source };
  const name = templateName(built);
  if (statSync(built).mtimeMs > statSync(source).mtimeMs) {
    return {
      path: built,
      note: `using the built template ${name} (newer than template.yaml; -t template.yaml invokes from source)`,
    };
  }
  return {
    path: source,
    note: `${name} is older than template.yaml, so invoking from template.yaml: run switchyard build again to use the built one`,
  };
}

/** Bundles every function (or the named ones) as `sam build` would. */
export async function samBuild(options: SamBuildOptions = {}): Promise<BuiltFunction[]> {
  const outRoot = resolve(PROJECT_ROOT, options.outDir ?? '.aws-sam/build');
  const path = templatePath(options.template);
  const file = templateName(path);
  const all = templateFunctions(loadTemplate(path), dirname(path), file);
  const functions = all.filter((fn) => !options.only || options.only.includes(fn.logicalId));
  if (options.only) {
    const missing = options.only.filter((id) => !functions.some((fn) => fn.logicalId === id));
    if (missing.length > 0) {
      const known = all.map((fn) => fn.logicalId);
      throw new Error(`${file} has no function ${missing.join(', ')} (functions: ${known.join(', ')})`);
    }
  }
  return Promise.all(
    functions.map(async (fn) => {
      const dir = join(outRoot, fn.logicalId);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      await build(esbuildOptions(fn, dir, file));
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
