/** The sample app's commit is the same on every run and whatever the user's git settings: its id is stable. */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { SAMPLE_COMMIT, sampleRepository } from '../../../../cli/local/repository';

const head = (dir: string, format: string) =>
  execFileSync('git', ['-C', dir, 'log', '-1', `--format=${format}`], { encoding: 'utf8' }).trim();

describe('the sample repository of switchyard local', () => {
  const made: string[] = [];
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('commits the same commit on every run, with the fixed identity and dates', () => {
    const one = sampleRepository();
    made.push(one);
    // A user's own identity and date in the environment change nothing.
    process.env.GIT_AUTHOR_NAME = 'Someone Else';
    process.env.GIT_COMMITTER_DATE = '2030-05-05T05:05:05Z';
    const two = sampleRepository();
    made.push(two);

    expect(head(two, '%H')).toBe(head(one, '%H'));
    expect(head(one, '%an <%ae> %aI|%cn <%ce> %cI|%s')).toBe(
      `${SAMPLE_COMMIT.name} <${SAMPLE_COMMIT.email}> 2026-01-01T00:00:00+00:00|${SAMPLE_COMMIT.name} <${SAMPLE_COMMIT.email}> 2026-01-01T00:00:00+00:00|${SAMPLE_COMMIT.message}`,
    );
  });
});
