/**
 * The layout docs/ARCHITECTURE.md describes, kept true: no import cycle, dependencies pointing one way
 * (handlers → core → shared; the CLI on top; nothing in functions/ reaches into cli/ or test/), the stage
 * folders of the core forming no cycle among themselves, and no source file over 300 lines.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SOURCE_ROOTS = ['functions', 'cli', 'scripts', 'bin'];
const MAX_LINES = 300;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

const sources = SOURCE_ROOTS.flatMap((dir) => walk(dir));
const typescript = sources.filter((path) => path.endsWith('.ts'));
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** The relative imports of a file, as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const target = normalize(join(dirname(file), match[1] ?? ''));
    const candidates = [`${target}.ts`, join(target, 'index.ts'), target];
    const found = candidates.find((candidate) => typescript.includes(candidate));
    if (found) out.push(found);
  }
  return out;
}

const graph = new Map(typescript.map((file) => [file, importsOf(file)]));

/** Every cycle reachable in `edges`, each as the list of its nodes (Tarjan's strongly connected components). */
function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, indices.get(next) ?? 0));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (edges.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of edges.keys()) if (!indices.has(node)) visit(node);
  return found;
}

describe('the layout', () => {
  it('has no import cycle between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps functions/ free of the CLI and the tests', () => {
    const wrong = [...graph]
      .filter(([file]) => file.startsWith('functions/'))
      .flatMap(([file, targets]) =>
        targets.filter((target) => !target.startsWith('functions/')).map((target) => `${file} → ${target}`),
      );
    expect(wrong).toEqual([]);
  });

  it('lets handlers call the core, never another handler', () => {
    const wrong = [...graph]
      .filter(([file]) => /^functions\/[^/]+\/handler\.ts$/.test(file))
      .flatMap(([file, targets]) =>
        targets
          .filter((target) => !target.startsWith('functions/lib/'))
          .map((target) => `${file} → ${target}`),
      );
    expect(wrong).toEqual([]);
  });

  it('keeps the shared folder of the core at the bottom, and the stage folders free of cycles', () => {
    const folderOf = (file: string): string | undefined => /^functions\/lib\/([^/]+)\//.exec(file)?.[1];
    const folders = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      if (!from) continue;
      const to = targets.map(folderOf).filter((folder): folder is string => !!folder && folder !== from);
      folders.set(from, [...new Set([...(folders.get(from) ?? []), ...to])]);
    }
    expect(folders.get('shared') ?? []).toEqual([]);
    expect(cycles(folders)).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines (tests aside)`, () => {
    const long = sources
      .filter((path) => /\.(ts|js|py)$/.test(path))
      .map((path) => ({ path, lines: readFileSync(join(ROOT, path), 'utf8').split('\n').length - 1 }))
      .filter(({ lines }) => lines > MAX_LINES)
      .map(({ path, lines }) => `${relative(ROOT, join(ROOT, path))}: ${lines} lines`);
    expect(long).toEqual([]);
  });
});

describe('docs/ARCHITECTURE.md', () => {
  const page = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  const named = [...page.matchAll(/`((?:functions|cli|test|events|statemachine|bin)\/[^`*]+)`/g)]
    .map((m) => m[1] ?? '')
    .filter((path) => !/[<…]/.test(path));

  it('names only paths that exist', () => {
    const missing = named.filter((path) => {
      try {
        statSync(join(ROOT, path));
        return false;
      } catch {
        return true;
      }
    });
    expect(missing).toEqual([]);
  });

  it('maps every folder of the core and the CLI, and every function of the template', () => {
    const folders = [
      ...readdirSync(join(ROOT, 'functions/lib')).map((name) => `functions/lib/${name}/`),
      ...readdirSync(join(ROOT, 'cli'))
        .filter((name) => statSync(join(ROOT, 'cli', name)).isDirectory())
        .map((name) => `cli/${name}/`),
    ];
    expect(folders.filter((folder) => !page.includes(folder))).toEqual([]);
    const template = readFileSync(join(ROOT, 'template.yaml'), 'utf8');
    const functions = [
      ...template.matchAll(/^ {2}(\w+Function):\n(?: {4}.*\n)*? {4}Type: AWS::Serverless::Function/gm),
    ].map((m) => m[1] ?? '');
    expect(functions.length).toBeGreaterThan(10);
    expect(functions.filter((id) => !page.includes(`\`${id}\``))).toEqual([]);
  });
});
