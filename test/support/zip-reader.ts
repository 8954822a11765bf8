/**
 * Reads a zip with an independent implementation (Python's zipfile), so tests never check our writer with itself.
 */
import { execFileSync } from 'node:child_process';

/** One entry as Python's zipfile sees it. */
export interface ZipEntry {
  path: string;
  /** Unix mode from the external attributes, e.g. 0o100755. */
  mode: number;
  data: Buffer;
  compressed: boolean;
}

const SCRIPT = `
import base64, io, json, sys, zipfile
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
bad = z.testzip()
if bad is not None:
    raise SystemExit("bad CRC in " + bad)
print(json.dumps([
    {"path": i.filename, "mode": i.external_attr >> 16, "compressed": i.compress_type != zipfile.ZIP_STORED,
     "data": base64.b64encode(z.read(i)).decode()}
    for i in z.infolist()
]))
`;

/** Lists every entry of a zip, checking each CRC. */
export function readZip(zip: Buffer): ZipEntry[] {
  const out = execFileSync('python3', ['-c', SCRIPT], { input: zip, maxBuffer: 1 << 30 });
  const entries = JSON.parse(out.toString('utf8')) as (Omit<ZipEntry, 'data'> & { data: string })[];
  return entries.map((entry) => ({ ...entry, data: Buffer.from(entry.data, 'base64') }));
}
