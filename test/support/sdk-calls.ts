/**
 * The AWS SDK calls a Lambda handler can make, read from the source without running it: from
 * functions/<step>/handler.ts, follow what each top-level declaration uses (functions, constants, classes and
 * their methods) through the relative imports, and collect the SDK classes that send a request — the
 * `XxxCommand` classes of the @aws-sdk packages, their `paginateXxx`/`waitUntilXxx` helpers and lib-storage's
 * `Upload`.
 *
 * The unit is a top-level declaration, not a file: StartBuild imports the deployments table for one UpdateItem
 * and must not be charged with the table's PutItem and Query. A class's methods count once the class is used
 * and some reached code names the method (`.update(`): instances are passed around, so the receiver's type is
 * not followed. This errs on the side of finding a call that is not made (the IAM test then asks for a grant)
 * rather than missing one; what it cannot follow (a namespace or dynamic import) it refuses with an error.
 * Type-only imports are skipped: esbuild erases them. The few calls sent without an SDK client (signed-request.ts)
 * are charged as the SDK command they stand for (sdk-calls-signed.ts; a JSON-protocol call names its action at the call
 * site, `awsJson(ecs, 'ecs:RegisterTaskDefinition', …)`). The files are Biome-formatted, so a top-level declaration
 * starts in column 0 and a class member at two spaces.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, resolve } from 'node:path';
import {
  AWS_JSON_FILE,
  checkBuilderImport,
  checkJsonCalls,
  jsonCalls,
  LIGHT_CALLS,
} from './sdk-calls-signed';

const ROOT = resolve(__dirname, '../..');

/** One SDK class a handler's code uses to send a request. */
export interface SdkCall {
  /** The package without its scope: `client-ecs`, `lib-dynamodb`, `lib-storage`. */
  sdkPackage: string;
  /** The class or helper: `CreateTaskSetCommand`, `Upload`, `paginateListTasks`. */
  name: string;
  /** The repository path of the file that uses it. */
  file: string;
}

/** Whether an export of an SDK package sends a request. */
export const isSdkCall = (name: string): boolean =>
  /Command$/.test(name) || /^(paginate|waitUntil)[A-Z]/.test(name) || name === 'Upload';

interface Binding {
  /** Repository path of the imported file, or the SDK package. */
  from: string;
  name: string;
  sdk: boolean;
}

interface Unit {
  key: string;
  text: string;
  /** For a class member: the class's unit key. */
  owner?: string;
  /** For a class member: the member's name. */
  member?: string;
}

interface Module {
  file: string;
  units: Map<string, Unit>;
  imports: Map<string, Binding>;
  /** `export { a as b } from './x'`: exported name → binding. */
  reexports: Map<string, Binding>;
}

const DECLARATION =
  /^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?(function\*?|class|const|let|var|type|interface|enum)\s+([A-Za-z_$][\w$]*)/;
const MEMBER =
  /^ {2}(?:(?:public|private|protected|static|readonly|override|async|get|set)\s+)*\*?(#?[A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\(/;
const IMPORT =
  /^(import|export)\s+(type\s+)?(?:([\w$]+)\s*,?\s*)?(\{[^}]*\}|\*\s+as\s+[\w$]+)?\s*from\s+['"]([^'"]+)['"]/gm;
const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function resolveFile(from: string, specifier: string): string | undefined {
  const target = normalize(join(dirname(from), specifier));
  return [`${target}.ts`, join(target, 'index.ts')].find((path) => existsSync(join(ROOT, path)));
}

function parseImports(file: string, text: string, module: Module): void {
  // A dynamic import or require would escape the analysis: refuse it rather than miss its calls.
  if (/\b(?:import|require)\s*\(\s*['"]/.test(stripComments(text))) {
    throw new Error(`${file}: a dynamic import or require is not followed by the SDK call analysis`);
  }
  checkJsonCalls(file, stripComments(text));
  for (const match of text.matchAll(IMPORT)) {
    const [, keyword, typeOnly, defaultName, braces, specifier = ''] = match;
    if (typeOnly) continue;
    const sdk = specifier.startsWith('@aws-sdk/');
    const from = sdk ? specifier.replace('@aws-sdk/', '') : resolveFile(file, specifier);
    if (!from) continue;
    const target = keyword === 'export' ? module.reexports : module.imports;
    if (defaultName) target.set(defaultName, { from, name: 'default', sdk });
    if (braces?.startsWith('*')) {
      throw new Error(`${file}: namespace import from ${specifier} is not followed by the SDK call analysis`);
    }
    for (const part of (braces ?? '').replace(/[{}]/g, '').split(',')) {
      const spec = part.trim();
      if (!spec || spec.startsWith('type ')) continue;
      const [imported = '', local = imported] = spec.split(/\s+as\s+/);
      target.set(local, { from, name: imported, sdk });
      checkBuilderImport(file, from, imported);
    }
  }
}

/** Splits a file into its top-level declarations, and each class into its members. */
function parseUnits(file: string, text: string): Map<string, Unit> {
  const units = new Map<string, Unit>();
  let current: Unit | undefined;
  let anonymous = 0;
  for (const line of stripComments(text).split('\n')) {
    const startsTopLevel = /^[^\s})\]]/.test(line);
    if (startsTopLevel && !/^(import|export\s*\{|export\s+\*)/.test(line)) {
      const declaration = DECLARATION.exec(line);
      const key = declaration?.[2] ?? `<statement ${anonymous++}>`;
      current = { key, text: '' };
      units.set(key, current);
    } else if (startsTopLevel) {
      current = undefined;
    }
    if (current) current.text += `${line}\n`;
  }
  for (const unit of [...units.values()]) {
    if (!/^(?:export\s+)?(?:default\s+)?class\s/.test(unit.text)) continue;
    let member: Unit | undefined;
    let header = '';
    for (const line of unit.text.split('\n')) {
      const start = MEMBER.exec(line);
      if (start && start[1] !== 'constructor') {
        member = { key: `${unit.key}.${start[1]}`, text: '', owner: unit.key, member: start[1] };
        units.set(member.key, member);
      }
      if (member) member.text += `${line}\n`;
      else header += `${line}\n`;
      // A method ends at its closing brace, two spaces in (a multi-line signature's `): T {` does not end it).
      if (member && /^ {2}\};?$/.test(line)) member = undefined;
    }
    unit.text = header;
  }
  if (units.size === 0 && text.trim()) throw new Error(`${file}: no top-level declaration found`);
  return units;
}

const modules = new Map<string, Module>();

function moduleOf(file: string): Module {
  const known = modules.get(file);
  if (known) return known;
  const text = readFileSync(join(ROOT, file), 'utf8');
  const module: Module = { file, units: parseUnits(file, text), imports: new Map(), reexports: new Map() };
  parseImports(file, text, module);
  modules.set(file, module);
  return module;
}

/** The unit an exported name of a file stands for, through re-exports. */
function exported(file: string, name: string, seen = new Set<string>()): [Module, Unit] | undefined {
  if (seen.has(`${file}#${name}`)) return undefined;
  seen.add(`${file}#${name}`);
  const module = moduleOf(file);
  const unit = module.units.get(name);
  if (unit) return [module, unit];
  const reexport = module.reexports.get(name);
  if (reexport && !reexport.sdk) return exported(reexport.from, reexport.name, seen);
  return undefined;
}

/**
 * The SDK calls reachable from a handler (a repository path such as `functions/create-green/handler.ts`),
 * each once per file that makes it.
 */
export function sdkCallsOf(handler: string): SdkCall[] {
  const entry = moduleOf(handler);
  const reached = new Map<string, [Module, Unit]>();
  const queue: [Module, Unit][] = [];
  const loaded = new Set<string>();
  const reach = (module: Module, unit: Unit) => {
    const id = `${module.file}#${unit.key}`;
    if (reached.has(id)) return;
    reached.set(id, [module, unit]);
    queue.push([module, unit]);
    // A module's top-level statements run when it is loaded (and a line of a multi-line string in column 0
    // reads as one: following it too errs on the side of finding more).
    if (loaded.has(module.file)) return;
    loaded.add(module.file);
    for (const other of module.units.values()) if (other.key.startsWith('<')) reach(module, other);
  };
  for (const unit of entry.units.values()) reach(entry, unit);

  const calls = new Map<string, SdkCall>();
  const usedClasses = new Set<string>();
  const memberNames = new Set<string>();
  let changed = true;
  while (changed) {
    while (queue.length > 0) {
      const next = queue.shift();
      if (!next) break;
      const [module, unit] = next;
      if (!unit.owner) {
        for (const line of unit.text.split('\n')) {
          if (/^(?:export\s+)?(?:default\s+)?class\s/.test(line))
            usedClasses.add(`${module.file}#${unit.key}`);
        }
      }
      for (const match of unit.text.matchAll(/\.\s*(#?[A-Za-z_$][\w$]*)/g)) memberNames.add(match[1] ?? '');
      if (module.imports.get('awsJson')?.from === AWS_JSON_FILE) {
        for (const call of jsonCalls(module.file, unit.text))
          calls.set(`${call.sdkPackage}:${call.name}:${call.file}`, call);
      }
      for (const [name] of unit.text.matchAll(IDENTIFIER)) {
        const local = module.units.get(name);
        if (local && local !== unit) reach(module, local);
        const binding = module.imports.get(name);
        if (!binding) continue;
        if (binding.sdk) {
          if (isSdkCall(binding.name)) {
            const call = { sdkPackage: binding.from, name: binding.name, file: module.file };
            calls.set(`${call.sdkPackage}:${call.name}:${call.file}`, call);
          }
          continue;
        }
        const light = LIGHT_CALLS[binding.from]?.[binding.name];
        if (light) {
          const call = { ...light, file: module.file };
          calls.set(`${call.sdkPackage}:${call.name}:${call.file}`, call);
        }
        const target = exported(binding.from, binding.name);
        if (target) reach(...target);
      }
    }
    // Members of a used class whose name some reached code mentions.
    changed = false;
    for (const id of usedClasses) {
      const [file = '', className = ''] = id.split('#');
      for (const unit of moduleOf(file).units.values()) {
        if (unit.owner === className && unit.member && memberNames.has(unit.member)) {
          const before = reached.size;
          reach(moduleOf(file), unit);
          if (reached.size > before) changed = true;
        }
      }
    }
  }
  return [...calls.values()].sort((a, b) =>
    `${a.sdkPackage}${a.name}${a.file}`.localeCompare(`${b.sdkPackage}${b.name}${b.file}`),
  );
}

/** Every SDK call any file under functions/ imports, whichever handler reaches it (for a completeness check). */
export function sdkCallsImported(files: string[]): SdkCall[] {
  return files.flatMap((file) =>
    [...moduleOf(file).imports.values()]
      .flatMap((binding) => {
        if (binding.sdk)
          return isSdkCall(binding.name) ? [{ sdkPackage: binding.from, name: binding.name, file }] : [];
        const light = LIGHT_CALLS[binding.from]?.[binding.name];
        return light ? [{ ...light, file }] : [];
      })
      .concat(
        moduleOf(file).imports.get('awsJson')?.from === AWS_JSON_FILE
          ? jsonCalls(file, stripComments(readFileSync(join(ROOT, file), 'utf8')))
          : [],
      ),
  );
}
