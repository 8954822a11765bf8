/**
 * The repository a local run deploys: the user's git clone, or the sample app copied into a fresh repository of
 * one commit; the commit's taskdef.json and AppSpec read as CodeDeploy would read them; and the CodeCommit push
 * event that starts the pipeline for it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { type ParsedAppSpec, parseAppSpec } from '../../functions/lib/render/appspec';
import { InvalidInputError } from '../../functions/lib/shared/errors';
import { parseJson } from '../../functions/lib/shared/json';
import { PROJECT_ROOT } from './template';

const SAMPLE_APP = join(PROJECT_ROOT, 'examples', 'sample-app');

/** The commit a local run deploys, and where it comes from. */
export interface Repository {
  path: string;
  name: string;
  branch: string;
  commitId: string;
  appspec: ParsedAppSpec;
  /** The sample app's copy, removed when the run ends. */
  temporary: boolean;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** The sample app is a folder of this project: it is copied into a fresh git repository with one commit. */
function sampleRepository(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-sample-'));
  cpSync(SAMPLE_APP, dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(
    dir,
    '-c',
    'user.name=Switchyard',
    '-c',
    'user.email=local@switchyard.invalid',
    'commit',
    '-q',
    '-m',
    'Sample app',
  );
  return dir;
}

/** Opens `repo` (default: a fresh copy of the sample app) at `commit` (default: HEAD) and reads its AppSpec. */
export function openRepository(options: { repo?: string; commit?: string }): Repository {
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
  const taskdef = show('taskdef.json');
  const appspecFile = ['appspec.yaml', 'appspec.yml', 'appspec.json'].find(
    (file) => show(file) !== undefined,
  );
  if (!taskdef || !appspecFile) {
    throw new InvalidInputError(
      `commit ${commitId.slice(0, 7)} of ${path} needs taskdef.json and appspec.yaml (or .yml/.json) at its root, as CodeDeploy did`,
    );
  }
  const taskDefinition = parseJson(taskdef, 'taskdef.json') as Parameters<typeof parseAppSpec>[2];
  const appspec = parseAppSpec(show(appspecFile) ?? '', appspecFile, taskDefinition);
  const name = temporary ? 'switchyard-sample-app' : basename(path).replace(/[^\w.-]/g, '-');
  return { path, name, branch, commitId, appspec, temporary };
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
