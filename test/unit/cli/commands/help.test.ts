/**
 * The command line as a newcomer meets it: `switchyard --help` lists every command, each command's `--help` ends
 * with an example, and a mistyped flag or command gets the nearest right one.
 */
import { COMMANDS, main } from '../../../../cli/main';

/** What main wrote to stdout and stderr while running `argv`, and its exit code. */
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

const names = Object.keys(COMMANDS);

describe('switchyard --help', () => {
  it('lists every command with its summary', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const name of names) expect(out).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it.each(names)('%s --help shows its usage and an example', async (name) => {
    const { code, out } = await run([name, '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^switchyard ${name}\\b`, 'm'));
    expect(out).toMatch(/^Examples?\b.*:$/m);
    // The example runs this command.
    expect(out.slice(out.search(/^Examples?\b/m))).toMatch(new RegExp(`switchyard ${name}\\b`));
  });

  it.each(names)('%s suggests the flag meant when one is mistyped', async (name) => {
    const usage = COMMANDS[name]?.usage ?? '';
    const flag = /--([a-z][a-z-]{3,})/.exec(usage)?.[1];
    expect(flag).toBeDefined();
    const typo = `--${flag?.slice(0, -1)}x`;
    const { code, err } = await run([name, typo, 'x']);
    expect(code).not.toBe(0);
    expect(err).toContain(`unknown option ${typo}: did you mean --${flag}?`);
  });

  it('suggests the command meant when one is mistyped', async () => {
    const { code, err } = await run(['stauts']);
    expect(code).toBe(2);
    expect(err).toContain('unknown command "stauts": did you mean "status"?');
  });
});
