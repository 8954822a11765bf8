/** A mistyped flag of a subcommand gets the closest known flag, or none when nothing is close. */
import { editDistance, parseFlags, suggestFlag } from '../../../../cli/commands/flag-suggest';

const INVOKE = {
  template: { type: 'string', short: 't' },
  event: { type: 'string', short: 'e' },
  'no-event': { type: 'boolean' },
  'env-vars': { type: 'string', short: 'n' },
  'parameter-overrides': { type: 'string', multiple: true },
} as const;

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and a swap of neighbours', () => {
    expect(editDistance('env-vars', 'env-vars')).toBe(0);
    expect(editDistance('env-var', 'env-vars')).toBe(1);
    expect(editDistance('evnet', 'event')).toBe(1);
    expect(editDistance('templte', 'template')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('suggestFlag', () => {
  it.each([
    ['--env-var', '--env-vars'],
    ['--envvars', '--env-vars'],
    ['--evnet', '--event'],
    ['--no-events', '--no-event'],
    ['--parameter-override', '--parameter-overrides'],
    ['--param', '--parameter-overrides'],
    ['--Template', '--template'],
    ['--env-var=x.json', '--env-vars'],
  ])('%s → %s', (given, expected) => {
    expect(suggestFlag(given, INVOKE)).toBe(expected);
  });

  it('suggests nothing when no flag is close', () => {
    expect(suggestFlag('--watch', INVOKE)).toBeUndefined();
    expect(suggestFlag('--', INVOKE)).toBeUndefined();
  });
});

describe('parseFlags', () => {
  it('parses known flags as parseArgs does', () => {
    const { values, positionals } = parseFlags('invoke', {
      args: ['F', '-n', 'env.json', '--no-event'],
      options: INVOKE,
      allowPositionals: true,
    });
    expect(values).toEqual({ 'env-vars': 'env.json', 'no-event': true });
    expect(positionals).toEqual(['F']);
  });

  it('names the unknown flag, the closest known one and the help', () => {
    expect(() => parseFlags('invoke', { args: ['--env-var', 'x'], options: INVOKE })).toThrow(
      'unknown option --env-var: did you mean --env-vars? (switchyard invoke --help lists the options)',
    );
    expect(() => parseFlags('invoke', { args: ['--watch'], options: INVOKE })).toThrow(
      'unknown option --watch (switchyard invoke --help lists the options)',
    );
  });

  it('keeps node’s message for other mistakes, with the help named', () => {
    expect(() => parseFlags('invoke', { args: ['--event'], options: INVOKE })).toThrow(
      /--event.*argument missing.*\(switchyard invoke --help lists the options\)/,
    );
  });
});
