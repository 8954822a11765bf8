/** DOWNLOAD_SOURCE's inputs: the source copied into CODEBUILD_SRC_DIR, and the buildspec's text. */
import { cp, readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { describeError } from '../../functions/lib/shared/errors';
import { extractZip } from '../../functions/lib/zip/extract';
import type { BuildSource, PhaseContext } from './types';

/** Copies (or unzips) the build's source into `dir`. */
export async function copySource(source: BuildSource, dir: string): Promise<void> {
  if ('directory' in source) {
    await cp(source.directory, dir, { recursive: true, verbatimSymlinks: true });
    return;
  }
  const zip = 'zip' in source ? source.zip : await readFile(source.zipFile);
  await extractZip(zip, dir);
}

/** The buildspec: StartBuild's override (inline YAML, or a path in the source), else buildspec.yml. */
export async function loadBuildspec(
  srcDir: string,
  override: string | undefined,
  log: (text: string) => void,
): Promise<{ text: string; file: string } | PhaseContext> {
  if (override !== undefined && (override.includes('\n') || override.trim().startsWith('{'))) {
    return { text: override, file: 'buildspec override' };
  }
  const file = override ?? 'buildspec.yml';
  const path = resolve(srcDir, file);
  if (relative(srcDir, path).startsWith('..')) {
    return {
      statusCode: 'YAML_FILE_ERROR',
      message: `buildspec path ${file} is outside CODEBUILD_SRC_DIR`,
    };
  }
  log(`YAML location is ${path}`);
  try {
    return { text: await readFile(path, 'utf8'), file };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      statusCode: 'YAML_FILE_ERROR',
      message: missing
        ? `${file} was not found in the source (CODEBUILD_SRC_DIR=${srcDir}): add it at the root of ` +
          'the repository, or give the build a buildspec override'
        : `cannot read ${file}: ${describeError(error)}`,
    };
  }
}
