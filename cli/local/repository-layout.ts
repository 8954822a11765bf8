/**
 * Where a repository keeps its buildspec, task definition template and AppSpec, for a local run: what the flags say
 * (the same settings as the stack parameters BuildspecPath, TaskDefinitionTemplatePath/Artifact,
 * AppSpecTemplatePath/Artifact and ImagePlaceholders), else found in the commit the way a person setting up the
 * pipeline would find them: the default name at the root, else the one file of that name elsewhere, else the build
 * output (a file the build writes). Each choice that is not the default is said in a note, with the flag that
 * changes it; two candidates are an error that lists them.
 */
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { checkRelativePath, parseImageBindings, SETTINGS } from '../../functions/lib/shared/settings';

/** The layout flags of `switchyard local`. */
export interface LayoutFlags {
  buildspec?: string;
  /** `PATH` in the commit, or `build:PATH` in the build output. */
  taskdef?: string;
  appspec?: string;
  /** `PLACEHOLDER=PATH`: the imageDetail.json of the build output that fills `<PLACEHOLDER>`. */
  images?: string[];
}

/** A file of the layout: where it is, and its text when it is in the commit. */
export interface LayoutFile {
  path: string;
  origin: 'SOURCE' | 'BUILD';
  text?: string;
}

/** The layout as stack parameters, the files found, and what was chosen and why. */
export interface RepositoryLayout {
  parameters: Record<string, string>;
  buildspec: LayoutFile;
  taskdef: LayoutFile;
  appspec: LayoutFile;
  notes: string[];
}

const APPSPEC_NAMES = ['appspec.yaml', 'appspec.yml', 'appspec.json'];

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function flagPath(flag: string, value: string, allowBuild: boolean): LayoutFile {
  const build = allowBuild && value.startsWith('build:');
  const path = build ? value.slice('build:'.length) : value;
  const why = checkRelativePath(path);
  if (why) throw new InvalidInputError(`${flag} ${value}: ${why}`);
  return { path, origin: build ? 'BUILD' : 'SOURCE' };
}

/** The one file of the commit with one of `names`: at the root first, else anywhere; several is an error. */
function findInCommit(files: string[], names: string[], flag: string, what: string): string | undefined {
  const atRoot = names.find((name) => files.includes(name));
  if (atRoot) return atRoot;
  const elsewhere = files.filter((path) => names.includes(baseName(path)));
  if (elsewhere.length > 1) {
    throw new InvalidInputError(
      `the commit has several ${what} files (${elsewhere.slice(0, 6).join(', ')}): choose one with ${flag} PATH`,
    );
  }
  return elsewhere[0];
}

/** The image placeholders of a task definition template's container images (`<NAME>`). */
function placeholdersOf(taskdefText: string): string[] {
  try {
    const parsed = JSON.parse(taskdefText.replace(/^\uFEFF/, '')) as {
      containerDefinitions?: { image?: unknown }[];
    };
    const images = (parsed.containerDefinitions ?? []).map((container) => container.image);
    const found = images.flatMap((image) =>
      typeof image === 'string' ? [...image.matchAll(/<([A-Za-z0-9_]{1,64})>/g)].map((m) => m[1] ?? '') : [],
    );
    return [...new Set(found)];
  } catch {
    // An unreadable template is Render's to report, with the file, the line and the column.
    return [];
  }
}

/** Works out the layout of the commit whose files are `files`; `show` reads one of them. */
export function repositoryLayout(
  files: string[],
  show: (path: string) => string | undefined,
  flags: LayoutFlags,
): RepositoryLayout {
  const notes: string[] = [];
  const withText = (file: LayoutFile): LayoutFile =>
    file.origin === 'SOURCE' ? { ...file, text: show(file.path) } : file;

  const buildspecPath = flags.buildspec
    ? flagPath('--buildspec', flags.buildspec, false).path
    : files.includes(SETTINGS.buildspecPath.fallback)
      ? SETTINGS.buildspecPath.fallback
      : findBuildspec(files, notes);
  const buildspec = withText({ path: buildspecPath, origin: 'SOURCE' });

  const taskdef = withText(
    flags.taskdef
      ? flagPath('--taskdef', flags.taskdef, true)
      : located(files, ['taskdef.json'], '--taskdef', 'taskdef.json', notes),
  );
  const appspec = withText(
    flags.appspec
      ? flagPath('--appspec', flags.appspec, true)
      : located(files, APPSPEC_NAMES, '--appspec', 'AppSpec', notes),
  );

  let images = flags.images?.join(',');
  if (images !== undefined) parseImageBindings(images);
  else if (taskdef.text !== undefined) {
    const placeholders = placeholdersOf(taskdef.text);
    if (placeholders.length === 1 && placeholders[0] !== 'IMAGE1_NAME') {
      images = `${placeholders[0]}=imageDetail.json`;
      notes.push(
        `${taskdef.path} names its image <${placeholders[0]}>: it takes imageDetail.json's image (--image to bind another file)`,
      );
    }
  }
  const parameters: Record<string, string> = {
    [SETTINGS.buildspecPath.parameter]: buildspec.path,
    [SETTINGS.taskDefinitionPath.parameter]: taskdef.path,
    [SETTINGS.taskDefinitionOrigin.parameter]: taskdef.origin,
    [SETTINGS.appSpecPath.parameter]: appspec.path,
    [SETTINGS.appSpecOrigin.parameter]: appspec.origin,
    ...(images !== undefined ? { [SETTINGS.images.parameter]: images } : {}),
  };
  return { parameters, buildspec, taskdef, appspec, notes };
}

function findBuildspec(files: string[], notes: string[]): string {
  const candidates = files.filter((path) => /^buildspec[^/]*\.ya?ml$/i.test(baseName(path)));
  if (candidates.length > 1) {
    throw new InvalidInputError(
      `the commit has no buildspec.yml at its root but several buildspecs (${candidates.slice(0, 6).join(', ')}): choose one with --buildspec PATH`,
    );
  }
  const [found] = candidates;
  if (!found) return SETTINGS.buildspecPath.fallback;
  notes.push(`buildspec: ${found} (no buildspec.yml at the root; --buildspec to choose another)`);
  return found;
}

function located(files: string[], names: string[], flag: string, what: string, notes: string[]): LayoutFile {
  const found = findInCommit(files, names, flag, what);
  if (found && names.includes(found)) return { path: found, origin: 'SOURCE' };
  if (found) {
    notes.push(`${what}: ${found} (not at the root; ${flag} to choose another)`);
    return { path: found, origin: 'SOURCE' };
  }
  const [name] = names;
  notes.push(
    `${what}: not in the commit, so read from the build output as ${name} (${flag} build:PATH to change)`,
  );
  return { path: name ?? '', origin: 'BUILD' };
}
