import { CODECOMMIT } from '../../../functions/lib/shared/aws-json';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { parseTrigger, resolveBranchHead } from '../../../functions/lib/source/prepare';
import { loadEvent } from '../../support/events';
import { type FakeJsonService, fakeJsonService, serviceError } from '../../support/fake-json-service';

const pipeline = { repository: 'switchyard-sample-app', branch: 'main' };
const push = loadEvent<{ detail: Record<string, unknown> }>('push');
const withDetail = (changes: Record<string, unknown>) => ({
  ...push,
  detail: { ...push.detail, ...changes },
});
const SHA = 'a'.repeat(40);

describe('parseTrigger', () => {
  it('turns the push event into a push of its commit on the pipeline branch', () => {
    expect(parseTrigger(push, pipeline)).toEqual({
      repository: 'switchyard-sample-app',
      branch: 'main',
      commitId: push.detail.commitId,
      trigger: 'push',
      force: false,
    });
  });

  it('accepts the creation of the branch as a push', () => {
    expect(parseTrigger(loadEvent('push-branch-created'), pipeline)).toMatchObject({ trigger: 'push' });
  });

  it.each([
    ['a manual input with nothing', {}, { branch: 'main', trigger: 'manual', force: false }],
    ['a manual input with a commit', { commitId: SHA }, { branch: 'main', commitId: SHA, trigger: 'manual' }],
    ['a manual input with another branch', { branch: 'hotfix' }, { branch: 'hotfix', trigger: 'manual' }],
    ['a forced manual input', { commitId: SHA, force: true }, { commitId: SHA, force: true }],
  ])('understands %s', (_name, input, expected) => {
    const request = parseTrigger(input, pipeline);
    expect(request).toMatchObject(expected);
    if (!('commitId' in input)) expect(request.commitId).toBeUndefined();
  });

  it.each([
    ['a tag push', loadEvent('push-tag'), /referenceType is "tag": only branch pushes/],
    ['a branch deletion', loadEvent('branch-deleted'), /detail.event is "referenceDeleted"/],
    ['a push to another branch', loadEvent('push-other-branch'), /referenceName is "feature\/x".*BranchName/],
    [
      'another repository',
      withDetail({ repositoryName: 'other' }),
      /repositoryName is "other".*RepositoryName/,
    ],
    ['a short commit id', withDetail({ commitId: 'abc123' }), /detail.commitId is "abc123"/],
    ['an event from another source', { ...push, source: 'aws.s3' }, /source "aws.s3"/],
    ['an event without detail', { ...push, detail: undefined }, /no "detail" object/],
    ['a string', 'deploy please', /execution input is "deploy please"/],
    ['an array', [SHA], /execution input is \[/],
    ['null', null, /execution input is null/],
    ['an unknown field', { commit: SHA }, /unknown field\(s\) commit/],
    ['a short manual commit id', { commitId: 'abc' }, /"commitId" is "abc": give the full 40-character/],
    ['an upper-case commit id', { commitId: 'A'.repeat(40) }, /"commitId"/],
    ['an empty branch', { branch: ' ' }, /"branch" is " "/],
    ['a non-boolean force', { force: 'yes' }, /"force" is "yes": use true or false/],
  ])('rejects %s with a message that says what was expected', (_name, input, message) => {
    expect(() => parseTrigger(input, pipeline)).toThrow(InvalidInputError);
    expect(() => parseTrigger(input, pipeline)).toThrow(message);
  });
});

describe('resolveBranchHead', () => {
  // GetBranch is a JSON call (shared/aws-json.ts): answered by a fake CodeCommit.
  let codecommit: FakeJsonService;
  beforeEach(() => {
    codecommit = fakeJsonService(CODECOMMIT);
  });

  it('returns the commit at the head of the branch', async () => {
    codecommit.handlers.GetBranch = () => ({ branch: { branchName: 'main', commitId: SHA } });
    await expect(resolveBranchHead(codecommit.client, 'switchyard-sample-app', 'main')).resolves.toBe(SHA);
    expect(codecommit.inputs('GetBranch')).toEqual([
      { repositoryName: 'switchyard-sample-app', branchName: 'main' },
    ]);
  });

  it('names the branch and the input field when the branch does not exist', async () => {
    codecommit.handlers.GetBranch = () => {
      throw serviceError('BranchDoesNotExistException', 400, 'Branch does not exist');
    };
    const failure = resolveBranchHead(codecommit.client, 'switchyard-sample-app', 'nope');
    await expect(failure).rejects.toThrow(InvalidInputError);
    await expect(failure).rejects.toThrow(
      /branch "nope" does not exist in repository "switchyard-sample-app": check the "branch" field/,
    );
  });

  it('passes any other CodeCommit error on, by its name', async () => {
    codecommit.handlers.GetBranch = () => {
      throw serviceError('RepositoryDoesNotExistException', 400);
    };
    await expect(resolveBranchHead(codecommit.client, 'gone', 'main')).rejects.toMatchObject({
      name: 'RepositoryDoesNotExistException',
    });
  });
});
