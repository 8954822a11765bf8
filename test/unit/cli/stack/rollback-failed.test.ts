import {
  deploymentToResume,
  describeRollbackFailed,
  resumeRollbackInput,
} from '../../../../cli/stack/rollback-failed';
import { isResumeRollback, parseResumeRollback } from '../../../../functions/lib/record/resume-rollback';
import { InvalidInputError } from '../../../../functions/lib/shared/errors';

describe('switchyard rollback --resume and the ROLLBACK_FAILED lines', () => {
  const failed = (id: string) => ({
    deploymentId: id,
    status: 'ROLLBACK_FAILED',
    commitId: 'abcdef1234567890',
    rollbackError: { name: 'AccessDenied', message: 'ModifyListener denied' },
  });

  it('resumes the deployment named, without reading the table', async () => {
    const find = jest.fn();
    expect(await deploymentToResume('push-20261126T120000Z-1a2b3c', find)).toBe(
      'push-20261126T120000Z-1a2b3c',
    );
    expect(find).not.toHaveBeenCalled();
  });

  it('resumes the newest ROLLBACK_FAILED deployment when none is named, and says so when there is none', async () => {
    expect(await deploymentToResume(undefined, async () => [failed('new'), failed('old')])).toBe('new');
    await expect(deploymentToResume(undefined, async () => [])).rejects.toThrow(
      /no deployment with status ROLLBACK_FAILED.*--resume ID/,
    );
  });

  it('refuses an id that is not an execution name', async () => {
    await expect(deploymentToResume('a b', async () => [])).rejects.toThrow(InvalidInputError);
  });

  it('builds the input Prepare reads back as a resume request', () => {
    const input = resumeRollbackInput('dep-1');
    expect(isResumeRollback(input)).toBe(true);
    expect(parseResumeRollback(input)).toBe('dep-1');
    expect(isResumeRollback({ commitId: 'x' })).toBe(false);
  });

  it('tells the operator what failed and the command that resumes it', () => {
    expect(describeRollbackFailed([failed('dep-1')])).toMatch(
      /^ROLLBACK_FAILED {2}dep-1, commit abcdef12 \(AccessDenied: ModifyListener denied\): .*switchyard rollback --resume dep-1/,
    );
    expect(describeRollbackFailed([])).toBe('');
  });
});
