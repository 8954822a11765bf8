/**
 * The screen of `switchyard local` on a stand-in stream: plain lines when not a terminal, a live region redrawn in
 * place on one, colour only when NO_COLOR is unset, and the progress's live lines for a build, green and a pause.
 */
import { progress } from '../../../../cli/local/progress';
import type { RunEvent } from '../../../../cli/local/run-events';
import type { LiveDetails } from '../../../../cli/local/screen-details';
import { healthSummary } from '../../../../cli/local/screen-details';
import { openScreen } from '../../../../cli/local/screen-live';
import { fitWidth, visible } from '../../../../cli/local/screen-style';

const ESC = String.fromCharCode(27);

function stream(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { writes, isTTY, columns, write: (text: string) => writes.push(text) };
}

function fakeDetails(): LiveDetails & { wanted: unknown[] } {
  const wanted: unknown[] = [];
  return {
    buildLog: ['Entering phase BUILD', 'npm ci', 'added 12 packages'],
    health: '1/2 healthy, 1 initial',
    wanted,
    followBuild: () => undefined,
    followGreen: () => undefined,
    want: (what) => wanted.push(what),
    stop: () => undefined,
  };
}

const entered = (state: string, at: number): RunEvent => ({
  type: 'state-entered',
  state,
  stateType: 'Task',
  at,
});

describe('the screen', () => {
  it('prints plain lines, without one escape code, when the stream is not a terminal', () => {
    const out = stream(false);
    const screen = openScreen(out, { live: true, env: {} });
    screen.show(() => ['never drawn']);
    screen.print('a line');
    screen.close();

    expect(screen.live).toBe(false);
    expect(out.writes).toEqual(['a line\n']);
  });

  it('draws a live region on a terminal, prints lines above it in one write each, and erases it at the end', () => {
    const out = stream(true);
    const screen = openScreen(out, { live: true, env: {} });
    screen.show(() => ['running', 'detail']);
    screen.print('done');
    screen.close();

    expect(out.writes).toEqual([
      'running\ndetail\n',
      `\r${ESC}[2A${ESC}[Jdone\nrunning\ndetail\n`,
      `\r${ESC}[2A${ESC}[J`,
    ]);
  });

  it('shows nothing live when the render throws, and fits each live line to the width', () => {
    const out = stream(true, 30);
    const screen = openScreen(out, { live: true, env: {} });
    screen.show(() => {
      throw new Error('a fault in the details');
    });
    screen.show(() => ['x'.repeat(100)]);
    screen.close();

    expect(out.writes[0]).toBe(`${'x'.repeat(28)}…\n`);
    expect(fitWidth(`${ESC}[32m${'y'.repeat(50)}${ESC}[39m`, 10)).toBe(
      `${ESC}[32m${'y'.repeat(9)}…${ESC}[0m`,
    );
  });

  it('colours only a terminal without NO_COLOR', () => {
    expect(openScreen(stream(true), { live: true, env: {} }).paint.green('✔')).toBe(`${ESC}[32m✔${ESC}[39m`);
    expect(openScreen(stream(true), { live: true, env: { NO_COLOR: '1' } }).paint.green('✔')).toBe('✔');
    expect(openScreen(stream(true), { live: false, env: {} }).paint.green('✔')).toBe('✔');
  });

  it('counts targets by state', () => {
    expect(healthSummary(['healthy', 'healthy'])).toBe('2/2 healthy');
    expect(healthSummary(['healthy', 'initial', 'unhealthy'])).toBe('1/3 healthy, 1 initial, 1 unhealthy');
  });
});

describe('the progress on a live screen', () => {
  const controls = {
    tableName: 'switchyard-deployments',
    repository: 'app',
    endpoint: 'http://127.0.0.1:5000',
    manualPauseTimeoutMinutes: 60,
  };

  afterEach(() => jest.useRealTimers());

  it("shows the build's log, green's health and a manual pause with how to end it", () => {
    jest.useFakeTimers({ now: 1000 });
    const out = stream(true, 200);
    const screen = openScreen(out, { live: true, env: { NO_COLOR: '1' } });
    const details = fakeDetails();
    const stages = progress(screen, { controls, details });
    const region = () =>
      visible(out.writes.at(-1) ?? '')
        .replace('\r', '')
        .split('\n');

    stages.onEvent(entered('StartBuild', 1000));
    jest.advanceTimersByTime(500);
    expect(region()).toEqual([
      expect.stringMatching(/^. Build +0\.5 s$/),
      '  │ Entering phase BUILD',
      '  │ npm ci',
      '  │ added 12 packages',
      '',
    ]);
    stages.onEvent(entered('CreateGreen', 2000));
    expect(out.writes.join('')).toMatch(/✔ Build +1\.0 s\n/);
    expect(region()[0]).toMatch(/Green +\d+\.\d s +targets 1\/2 healthy, 1 initial$/);

    stages.onEvent(entered('ShiftTraffic', 3000));
    stages.onEvent({
      type: 'state-exited',
      state: 'ShiftTraffic',
      stateType: 'Task',
      at: 3100,
      output: { traffic: { greenPercent: 10, pause: { manual: true, since: 'x', waitedSeconds: 600 } } },
    });
    stages.onEvent(entered('WaitInPause', 3200));
    stages.onEvent(entered('PauseWaited', 3300));
    jest.setSystemTime(3500);
    jest.advanceTimersByTime(250);
    expect(region().slice(1)).toEqual([
      '  ⏸ paused at 10 % green until promoted; rolls back in 50 min',
      '  promote: switchyard promote   abort: Ctrl-C, or switchyard abort   each with',
      '    --table switchyard-deployments --repository app',
      '    env: AWS_ENDPOINT_URL=http://127.0.0.1:5000 and its keys (--keep prints)',
      '',
    ]);
    expect(details.wanted).toEqual(['build', 'green', undefined]);
    stages.finish();
    screen.close();
  });

  it('prints plain lines as each stage starts and ends, and how to end a manual pause once', () => {
    const lines: string[] = [];
    const stages = progress((line) => lines.push(line), { controls });
    stages.onEvent(entered('ShiftTraffic', 0));
    stages.onEvent({
      type: 'state-exited',
      state: 'ShiftTraffic',
      stateType: 'Task',
      at: 100,
      output: { traffic: { greenPercent: 10, pause: { manual: true, since: 'x' } } },
    });
    stages.onEvent(entered('WaitInPause', 200));
    stages.onEvent(entered('CheckPause', 300));
    stages.onEvent(entered('WaitInPause', 400));
    stages.onEvent(entered('AfterAllowTrafficHooks', 1500));

    expect(lines).toEqual([
      '▸ Shift',
      '  blue █████████░  90 % | green █░░░░░░░░░  10 %',
      '  ⏸ paused at 10 % green until promoted; rolls back in 1 h',
      '  promote: switchyard promote   abort: Ctrl-C, or switchyard abort   each with',
      '    --table switchyard-deployments --repository app',
      '    env: AWS_ENDPOINT_URL=http://127.0.0.1:5000 and its keys (--keep prints)',
      '✔ Shift            1.5 s',
      '▸ Bake',
    ]);
  });
});
