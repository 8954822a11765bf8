/**
 * Writes zips with an independent implementation (Python's zipfile), names kept exactly as given, so that
 * tests can build the archives our writer refuses to write (hostile paths, links out of the directory).
 */
import { execFileSync } from 'node:child_process';

/** One entry: its name, contents (a link's target for a link), Unix mode with type bits, deflated or not. */
export interface PythonZipEntry {
  name: string;
  /** The contents, or that many zero bytes (made by Python: large ones cost nothing to pass). */
  data: string | Buffer | { zeros: number };
  mode?: number;
  deflate?: boolean;
}

const SCRIPT = `
import base64, io, json, sys, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    for e in json.loads(sys.stdin.read()):
        info = zipfile.ZipInfo(e["name"], date_time=(2026, 1, 2, 3, 4, 6))
        info.create_system = 3
        info.external_attr = e["mode"] << 16
        info.compress_type = zipfile.ZIP_DEFLATED if e["deflate"] else zipfile.ZIP_STORED
        data = bytes(e["zeros"]) if "zeros" in e else base64.b64decode(e["data"])
        z.writestr(info, data)
sys.stdout.buffer.write(buf.getvalue())
`;

/** A zip of `entries`, in order (mode defaults to a regular file, 0o100644; stored unless `deflate`). */
export function pythonZip(entries: PythonZipEntry[]): Buffer {
  const input = entries.map(({ data, ...entry }) => ({
    name: entry.name,
    ...encoded(data),
    mode: entry.mode ?? 0o100644,
    deflate: entry.deflate ?? false,
  }));
  return execFileSync('python3', ['-c', SCRIPT], { input: JSON.stringify(input), maxBuffer: 1 << 30 });
}

function encoded(data: PythonZipEntry['data']): { data: string } | { zeros: number } {
  if (typeof data === 'string') return { data: Buffer.from(data).toString('base64') };
  if (Buffer.isBuffer(data)) return { data: data.toString('base64') };
  return data;
}

/** Rewrites the uncompressed size that the local and central headers of the first entry state. */
export function claimSize(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  out.writeUInt32LE(size, 22);
  // The end record (22 bytes, no comment) gives where the central directory starts.
  const central = out.readUInt32LE(out.length - 22 + 16);
  out.writeUInt32LE(size, central + 24);
  return out;
}

/** A zip written by Python's zipfile: stored and deflated entries, Unix modes, a directory and a link. */
export function sampleZip(): Buffer {
  return pythonZip([
    { name: 'app/', data: '', mode: 0o40755 },
    { name: 'app/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o100755, deflate: true },
    { name: 'app/data.txt', data: 'data '.repeat(1000), mode: 0o100644, deflate: true },
    { name: 'app/raw.bin', data: Buffer.from(Array.from({ length: 256 }, (_, i) => i)), mode: 0o100600 },
    { name: 'app/latest', data: 'run.sh', mode: 0o120777 },
    { name: 'café.txt', data: '', mode: 0o100644 },
  ]);
}
