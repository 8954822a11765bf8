/**
 * A unified diff of two texts, line by line (as `diff -u` prints it: `---`/`+++` headers, `@@` hunks with three
 * lines of context), optionally coloured red and green; and JSON printed with its keys in a stable order, so two
 * documents differ only where their values do.
 */

const CONTEXT = 3;

/** The value with every object's keys sorted (arrays keep their order: in a task definition it means something). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** Pretty-printed JSON with sorted keys, ending with a newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

/** The edit script from `a` to `b`: a longest common subsequence, after the common head and tail are set aside. */
function edits(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail += 1;
  const n = a.length - head - tail;
  const m = b.length - head - tail;
  // lcs[i * (m + 1) + j]: the LCS length of a[head+i..] and b[head+j..] (the middle parts only).
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i * (m + 1) + j] =
        a[head + i] === b[head + j]
          ? (lcs[(i + 1) * (m + 1) + j + 1] ?? 0) + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j] ?? 0, lcs[i * (m + 1) + j + 1] ?? 0);
    }
  }
  const ops: Op[] = [];
  for (let k = 0; k < head; k += 1) ops.push({ kind: ' ', line: a[k] ?? '', a: k, b: k });
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[head + i] === b[head + j]) {
      ops.push({ kind: ' ', line: a[head + i] ?? '', a: head + i, b: head + j });
      i += 1;
      j += 1;
    } else if (i < n && (j === m || (lcs[(i + 1) * (m + 1) + j] ?? 0) >= (lcs[i * (m + 1) + j + 1] ?? 0))) {
      // Removals before additions at the same place, as diff(1) prints them.
      ops.push({ kind: '-', line: a[head + i] ?? '', a: head + i, b: head + j });
      i += 1;
    } else {
      ops.push({ kind: '+', line: b[head + j] ?? '', a: head + i, b: head + j });
      j += 1;
    }
  }
  for (let k = 0; k < tail; k += 1)
    ops.push({
      kind: ' ',
      line: a[a.length - tail + k] ?? '',
      a: a.length - tail + k,
      b: b.length - tail + k,
    });
  return ops;
}

const RED = '\u001b[31m';
const GREEN = '\u001b[32m';
const CYAN = '\u001b[36m';
const BOLD = '\u001b[1m';
const RESET = '\u001b[0m';

function range(start: number, count: number): string {
  // diff -u numbers lines from 1; an empty range names the line before it.
  return count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`;
}

/** The unified diff of `before` and `after` ('' when they are equal); `colour` adds ANSI red/green/cyan. */
export function unifiedDiff(
  before: string,
  after: string,
  labels: { before: string; after: string },
  colour: boolean,
): string {
  if (before === after) return '';
  const split = (text: string) => (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  const ops = edits(before === '' ? [] : split(before), after === '' ? [] : split(after));
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  const out = [paint(BOLD, `--- ${labels.before}`), paint(BOLD, `+++ ${labels.after}`)];
  const changed = ops.map((op, index) => (op.kind === ' ' ? -1 : index)).filter((index) => index >= 0);
  let k = 0;
  while (k < changed.length) {
    const first = changed[k] ?? 0;
    let last = first;
    while (k + 1 < changed.length && (changed[k + 1] ?? 0) - last <= 2 * CONTEXT + 1) {
      k += 1;
      last = changed[k] ?? last;
    }
    k += 1;
    const hunk = ops.slice(Math.max(0, first - CONTEXT), Math.min(ops.length, last + CONTEXT + 1));
    const start = hunk[0] ?? { a: 0, b: 0 };
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(paint(CYAN, `@@ -${range(start.a, aCount)} +${range(start.b, bCount)} @@`));
    for (const op of hunk) {
      const text = `${op.kind}${op.line}`;
      out.push(op.kind === '-' ? paint(RED, text) : op.kind === '+' ? paint(GREEN, text) : text);
    }
  }
  return `${out.join('\n')}\n`;
}
