import { BranchDoesNotExistException, CodeCommitClient, GetBranchCommand } from '@aws-sdk/client-codecommit';
import { mockClient } from 'aws-sdk-client-mock';
import { InvalidInputError } from '../../../functions/lib/shared/errors';
import { parseTrigger, resolveBranchHead } from '../../../functions/lib/source/prepare';
import { loadEvent } from '../../support/events';

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
  const codecommit = mockClient(CodeCommitClient);
  beforeEach(() => codecommit.reset());

  it('returns the commit at the head of the branch', async () => {
    codecommit
      .on(GetBranchCommand, { repositoryName: 'switchyard-sample-app', branchName: 'main' })
      .resolves({ branch: { branchName: 'main', commitId: SHA } });
    await expect(resolveBranchHead(new CodeCommitClient({}), 'switchyard-sample-app', 'main')).resolves.toBe(
      SHA,
    );
  });

  it('names the branch and the input field when the branch does not exist', async () => {
    codecommit
      .on(GetBranchCommand)
      .rejects(new BranchDoesNotExistException({ message: 'Branch does not exist', $metadata: {} }));
    await expect(
      resolveBranchHead(new CodeCommitClient({}), 'switchyard-sample-app', 'nope'),
    ).rejects.toThrow(
      /branch "nope" does not exist in repository "switchyard-sample-app": check the "branch" field/,
    );
  });
});
