/**
 * A wheel of a stand-in `moto` 5.2.1, written offline (this machine cannot reach PyPI): the files given, plus the
 * METADATA, WHEEL and RECORD pip needs to install it.
 */
import { execFileSync } from 'node:child_process';

/** Writes the wheel to `wheelPath` with `python`, holding `files` (path in the wheel → text). */
export function writeMotoWheel(python: string, wheelPath: string, files: Record<string, string>): void {
  execFileSync(python, ['-c', WHEEL_SCRIPT, wheelPath, JSON.stringify(files)]);
}

const WHEEL_SCRIPT = `
import base64, hashlib, json, sys, zipfile
files = json.loads(sys.argv[2])
files["moto-5.2.1.dist-info/METADATA"] = "Metadata-Version: 2.1\\nName: moto\\nVersion: 5.2.1\\n"
files["moto-5.2.1.dist-info/WHEEL"] = "Wheel-Version: 1.0\\nGenerator: switchyard-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
def digest(text):
    raw = hashlib.sha256(text.encode()).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
record = "".join("%s,%s,%d\\n" % (name, digest(body), len(body.encode())) for name, body in files.items())
files["moto-5.2.1.dist-info/RECORD"] = record + "moto-5.2.1.dist-info/RECORD,,\\n"
with zipfile.ZipFile(sys.argv[1], "w") as wheel:
    for name, body in files.items():
        wheel.writestr(name, body)
`;
