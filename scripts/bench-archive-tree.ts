/**
 * The synthetic repository the archive benchmark (bench-archive.ts) archives: the same tree on every run
 * (seeded), shaped like an application's: source-like text that deflates about 4:1, some incompressible
 * binaries, executables, symbolic links and nested folders.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Seeded xorshift32, so every run generates the same tree. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
}

const WORDS = (
  'const let function return import export from if else for while await async class extends new this ' +
  'interface type string number boolean undefined null true false throw catch try switch case default ' +
  'config handler request response error result value items index length push map filter reduce ' +
  'deployment service cluster task listener target weight traffic commit build artifact bucket key'
).split(' ');

/** About 4 MB of source-like text (deflates about 4:1, like real code) that files are cut from. */
function corpus(random: () => number): string {
  const lines: string[] = [];
  for (let size = 0; size < 4_000_000; ) {
    const indent = '  '.repeat(Math.floor(random() * 4));
    const words = Array.from(
      { length: 3 + Math.floor(random() * 9) },
      () => WORDS[Math.floor(random() * WORDS.length)],
    );
    const line = `${indent}${words.join(random() < 0.3 ? '.' : ' ')}${random() < 0.5 ? ';' : ' {'} // ${Math.floor(random() * 1e6)}`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n');
}

function binary(random: () => number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  for (let i = 0; i < words.length; i += 1) words[i] = random() * 0x100000000;
  return Buffer.from(words.buffer, 0, size);
}

/** Writes the tree to `root`: `files` files of about `totalBytes` in all; returns its exact total bytes. */
export function generateTree(root: string, files: number, totalBytes: number): number {
  const random = prng(42);
  const text = corpus(random);
  const kinds = Array.from({ length: files - 3 }, (_, i) =>
    i % 50 === 7 ? 'binary' : i % 400 === 3 ? 'executable' : 'text',
  );
  const weights = kinds.map((kind) => (kind === 'binary' ? 1.5 : 1) * Math.exp(random() * 5));
  const scale = (totalBytes - 2_000) / weights.reduce((a, b) => a + b, 0);
  let bytes = 0;
  const write = (path: string, data: Buffer | string, mode = 0o644) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data, { mode });
    bytes += Buffer.byteLength(data);
  };
  write('buildspec.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - ./bin/build.sh\n');
  write('taskdef.json', '{"family":"web","containerDefinitions":[{"name":"web","image":"<IMAGE1_NAME>"}]}\n');
  write('appspec.yaml', 'version: 0.0\nResources: []\n');
  for (const [i, kind] of kinds.entries()) {
    const size = Math.min(5 * 1024 * 1024, Math.max(16, Math.round((weights[i] ?? 1) * scale)));
    const folder = `src/pkg${i % 23}/mod${i % 7}${i % 3 === 0 ? `/deep${i % 5}/er${i % 2}` : ''}`;
    if (kind === 'binary') {
      write(`assets/img${i % 9}/blob${i}.bin`, binary(random, size));
      continue;
    }
    const start = Math.floor(random() * Math.max(1, text.length - size));
    const body =
      text.length > size
        ? text.slice(start, start + size)
        : text.repeat(Math.ceil(size / text.length)).slice(0, size);
    if (kind === 'executable') write(`bin/tool${i}.sh`, `#!/bin/sh\n${body}`, 0o755);
    else write(`${folder}/file${i}.ts`, body);
  }
  for (let i = 0; i < 10; i += 1) {
    mkdirSync(join(root, 'links'), { recursive: true });
    symlinkSync(`../src/pkg${i}/mod${i % 7}`, join(root, 'links', `pkg${i}`));
  }
  return bytes;
}
