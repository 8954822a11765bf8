/**
 * The repository a local run deploys: the user's git clone, or the sample app copied into a fresh repository of
 * one commit; the commit's taskdef.json and AppSpec read as CodeDeploy would read them; and the CodeCommit push
 * event that starts the pipeline for it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { isMap } from 'yaml';
import { type ParsedAppSpec, parseAppSpec } from '../../functions/lib/render/appspec';
import { findKey, findTarget, loadAppSpec } from '../../functions/lib/render/appspec-document';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseJson } from '../../functions/lib/shared/json';
import { type LayoutFlags, type RepositoryLayout, repositoryLayout } from './repository-layout';
import { PROJECT_ROOT } from './template';

const SAMPLE_APP = join(PROJECT_ROOT, 'examples', 'sample-app');

/** The commit a local run deploys, and where it comes from. */
export interface Repository {
  path: string;
  name: string;
  branch: string;
  commitId: string;
  appspec: ParsedAppSpec;
  /** Where the buildspec, the task definition template and the AppSpec are, as stack parameters. */
  layout: RepositoryLayout;
  /** The sample app's copy, removed when the run ends. */
  temporary: boolean;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/**
 * The sample commit's author, committer and date, fixed: a commit's id is the hash of its tree, parents, author,
 * committer (each with a date) and message, so the same files give the same commit on every run and machine. A
 * second run against a kept emulator (`--endpoint`) then pushes the commit the first deployed, which its table
 * and its CodeCommit know, instead of a new root commit Prepare cannot relate to the live one.
 */
export const SAMPLE_COMMIT = {
  name: 'Switchyard',
  email: 'local@switchyard.invalid',
  date: '2026-01-01T00:00:00Z',
  message: 'Sample app',
} as const;

/** git with none of the user's configuration or GIT_* settings (a hook, a signing key, autocrlf), the sample's identity. */
function sampleGitEnvironment(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
  return {
    ...env,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: SAMPLE_COMMIT.name,
    GIT_AUTHOR_EMAIL: SAMPLE_COMMIT.email,
    GIT_AUTHOR_DATE: SAMPLE_COMMIT.date,
    GIT_COMMITTER_NAME: SAMPLE_COMMIT.name,
    GIT_COMMITTER_EMAIL: SAMPLE_COMMIT.email,
    GIT_COMMITTER_DATE: SAMPLE_COMMIT.date,
  };
}

/** The sample app is a folder of this project: it is copied into a fresh git repository with one commit. */
export function sampleRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sample-'));
  cpSync(SAMPLE_APP, dir, { recursive: true });
  const env = sampleGitEnvironment();
  const sampleGit = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  sampleGit('init', '-q', '-b', 'main');
  // The executable bits as the files have them, whatever core.fileMode the file system would set.
  sampleGit('config', 'core.fileMode', 'true');
  sampleGit('add', '-A');
  sampleGit('commit', '-q', '--no-gpg-sign', '--no-verify', '-m', SAMPLE_COMMIT.message);
  return dir;
}

/** Opens `repo` (default: a fresh copy of the sample app) at `commit` (default: HEAD) and reads its layout. */
export function openRepository(options: { repo?: string; commit?: string } & LayoutFlags): Repository {
  const temporary = options.repo === undefined;
  const path = options.repo === undefined ? sampleRepository() : resolve(options.repo);
  if (!existsSync(join(path, '.git')) && !temporary) {
    throw new InvalidInputError(
      `--repo ${path} is not a git repository (no .git): give the root of a git clone`,
    );
  }
  const commitId = git(path, 'rev-parse', options.commit ?? 'HEAD');
  const branch = git(path, 'rev-parse', '--abbrev-ref', 'HEAD').replace(/^HEAD$/, 'main');
  const show = (file: string) => {
    try {
      return execFileSync('git', ['-C', path, 'show', `${commitId}:${file}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      return undefined;
    }
  };
  const files = git(path, 'ls-tree', '-r', '--name-only', '-z', commitId).split('\0').filter(Boolean);
  const layout = repositoryLayout(files, show, options);
  const appspec = targetOf(layout, commitId);
  const name = temporary ? 'switchyard-sample-app' : basename(path).replace(/[^\w.-]/g, '-');
  return { path, name, branch, commitId, appspec, layout, temporary };
}

/**
 * The AppSpec's container and port, which the emulated target is built for before the build runs. The AppSpec is
 * checked against the committed task definition template where there is one; one the build writes is checked by
 * Render when the pipeline runs.
 */
function targetOf(layout: RepositoryLayout, commitId: string): ParsedAppSpec {
  const { appspec, taskdef } = layout;
  if (appspec.text === undefined) {
    throw new InvalidInputError(
      `commit ${commitId.slice(0, 7)} has no AppSpec (${appspec.path} is ${appspec.origin === 'BUILD' ? 'expected from the build output' : 'missing'}); ` +
        'switchyard local needs its ContainerName and ContainerPort before the build: commit the AppSpec, or give its path with --appspec PATH',
    );
  }
  if (taskdef.text !== undefined) {
    const taskDefinition = parseJson(taskdef.text, taskdef.path) as Parameters<typeof parseAppSpec>[2];
    return parseAppSpec(appspec.text, appspec.path, taskDefinition);
  }
  // No committed template to check against: a stand-in with the container and port the AppSpec names, read with
  // the AppSpec's own reader (keys in any case, YAML or JSON); Render checks the real template after the build.
  const source = loadAppSpec(appspec.text, appspec.path);
  const { properties, where } = findTarget(source);
  const lb = findKey(source, properties, 'LoadBalancerInfo', where);
  const field = (key: string) =>
    isMap(lb?.node) ? findKey(source, lb.node, key, lb.where)?.data : undefined;
  return parseAppSpec(appspec.text, appspec.path, {
    family: 'written-by-the-build',
    containerDefinitions: [
      {
        name: String(field('ContainerName')),
        portMappings: [{ containerPort: Number(field('ContainerPort')) }],
      },
    ],
  });
}

/** The EventBridge event CodeCommit sends for a push of the repository's commit to its branch. */
export function pushEvent(repo: Repository, region: string, account: string) {
  return {
    version: '0',
    id: `local-${Date.now()}`,
    'detail-type': 'CodeCommit Repository State Change',
    source: 'aws.codecommit',
    account,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:codecommit:${region}:${account}:${repo.name}`],
    detail: {
      callerUserArn: `arn:aws:iam::${account}:user/local`,
      commitId: repo.commitId,
      event: 'referenceUpdated',
      referenceFullName: `refs/heads/${repo.branch}`,
      referenceName: repo.branch,
      referenceType: 'branch',
      repositoryName: repo.name,
    },
  };
}
