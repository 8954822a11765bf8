import {
  describePlan,
  MAX_PAUSE_SECONDS,
  PRESETS,
  planTraffic,
  type TrafficStep,
} from '../../../functions/lib/deploy/plan';
import { InvalidInputError } from '../../../functions/lib/shared/errors';

const at = (greenPercent: number, pauseSeconds = 0): TrafficStep => ({ greenPercent, pauseSeconds });
const linear = (increment: number, pauseSeconds: number): TrafficStep[] => {
  const steps: TrafficStep[] = [];
  for (let green = increment; green < 100; green += increment) steps.push(at(green, pauseSeconds));
  return [...steps, at(100)];
};

describe('planTraffic', () => {
  describe("expands CodeDeploy's ECS presets, with or without the CodeDeployDefault.ECS prefix", () => {
    const presets: [string, TrafficStep[]][] = [
      ['AllAtOnce', [at(100)]],
      ['Canary10Percent5Minutes', [at(10, 300), at(100)]],
      ['Canary10Percent15Minutes', [at(10, 900), at(100)]],
      ['Linear10PercentEvery1Minutes', linear(10, 60)],
      ['Linear10PercentEvery3Minutes', linear(10, 180)],
    ];

    it('covers every documented preset', () => {
      expect(presets.map(([name]) => name)).toEqual([...PRESETS]);
    });

    it.each(presets)('%s', (name, steps) => {
      expect(planTraffic(name)).toEqual(steps);
      expect(planTraffic(`CodeDeployDefault.ECS${name}`)).toEqual(steps);
    });

    it('ends a linear preset at 100 % without a pause after the last increment', () => {
      const steps = planTraffic('Linear10PercentEvery3Minutes');
      expect(steps).toHaveLength(10);
      expect(steps.at(-2)).toEqual(at(90, 180));
      expect(steps.at(-1)).toEqual(at(100));
    });
  });

  describe('expands any Canary<P>Percent<M>Minutes and Linear<P>PercentEvery<M>Minutes', () => {
    it.each<[string, TrafficStep[]]>([
      ['Canary20Percent30Minutes', [at(20, 1800), at(100)]],
      ['Canary1Percent0Minutes', [at(1), at(100)]],
      ['Canary99Percent1Minutes', [at(99, 60), at(100)]],
      ['CodeDeployDefault.ECSCanary5Percent10Minutes', [at(5, 600), at(100)]],
      ['Linear25PercentEvery2Minutes', [at(25, 120), at(50, 120), at(75, 120), at(100)]],
      ['Linear30PercentEvery1Minutes', [at(30, 60), at(60, 60), at(90, 60), at(100)]],
      ['Linear50PercentEvery10Minutes', [at(50, 600), at(100)]],
      ['Linear100PercentEvery5Minutes', [at(100)]],
      ['Linear10PercentEvery1Minute', linear(10, 60)],
      ['  canary10percent5minutes  ', [at(10, 300), at(100)]],
      ['allatonce', [at(100)]],
    ])('%s', (name, steps) => {
      expect(planTraffic(name)).toEqual(steps);
    });
  });

  describe('accepts an explicit JSON list of steps', () => {
    it.each<[string, TrafficStep[]]>([
      ['[{"greenPercent":100}]', [at(100)]],
      ['[{"greenPercent":100,"pauseSeconds":0}]', [at(100)]],
      ['[{"greenPercent":5,"pauseSeconds":120},{"greenPercent":100}]', [at(5, 120), at(100)]],
      [
        '[{"greenPercent":10,"pause":"manual"},{"greenPercent":50,"pauseSeconds":0},{"greenPercent":100}]',
        [{ greenPercent: 10, pause: 'manual' }, at(50), at(100)],
      ],
      [
        ' [ {"greenPercent": 1, "pauseSeconds": 30}, {"greenPercent": 33, "pause": "manual"}, {"greenPercent": 100} ] ',
        [at(1, 30), { greenPercent: 33, pause: 'manual' }, at(100)],
      ],
    ])('%s', (json, steps) => {
      expect(planTraffic(json)).toEqual(steps);
    });
  });

  describe('rejects, naming TrafficStrategy and the fix', () => {
    it.each<[string, string, RegExp]>([
      ['an empty value', '  ', /TrafficStrategy is empty; expected AllAtOnce/],
      ['an unknown name', 'BlueGreen', /"BlueGreen" is not a strategy Switchyard knows; expected AllAtOnce/],
      [
        'a Lambda-only preset',
        'CodeDeployDefault.LambdaCanary10Percent5Minutes',
        /not a strategy Switchyard knows/,
      ],
      ['a name with a fraction', 'Canary2.5Percent5Minutes', /not a strategy Switchyard knows/],
      ['a canary of 0 %', 'Canary0Percent5Minutes', /a canary of 0 % sends no traffic to green; use 1 to 99/],
      ['a canary of 100 %', 'Canary100Percent5Minutes', /leaves nothing for the second increment.*AllAtOnce/],
      ['a canary over 100 %', 'Canary150Percent5Minutes', /a canary of 150 %/],
      ['a linear step of 0 %', 'Linear0PercentEvery1Minutes', /an increment of 0 % never reaches 100 %/],
      ['a linear step over 100 %', 'Linear101PercentEvery1Minutes', /an increment of 101 % is over 100 %/],
      [
        'a wait longer than an execution',
        'Canary10Percent600000Minutes',
        /longer than an execution can last/,
      ],
      ['bad JSON', '[{"greenPercent":10,}]', /is not valid JSON \(.+\); expected AllAtOnce/],
      ['a JSON object', '{"greenPercent":100}', /must be a non-empty JSON list of steps/],
      ['an empty list', '[]', /must be a non-empty JSON list of steps/],
      ['a step that is not an object', '[10, {"greenPercent":100}]', /step 1 is 10; expected an object/],
      [
        'a step with an unknown key',
        '[{"greenPercent":10,"pauseSecs":5},{"greenPercent":100}]',
        /step 1 has unknown keys pauseSecs/,
      ],
      [
        'a missing greenPercent',
        '[{"pauseSeconds":5},{"greenPercent":100}]',
        /step 1: greenPercent is undefined/,
      ],
      [
        'a fractional greenPercent',
        '[{"greenPercent":2.5,"pauseSeconds":5},{"greenPercent":100}]',
        /greenPercent is 2.5; expected a whole number/,
      ],
      [
        'a string greenPercent',
        '[{"greenPercent":"10","pauseSeconds":5},{"greenPercent":100}]',
        /greenPercent is "10"/,
      ],
      [
        'a step of 0 %',
        '[{"greenPercent":0,"pauseSeconds":5},{"greenPercent":100}]',
        /step 1: greenPercent 0 sends no traffic to green/,
      ],
      [
        'a negative step',
        '[{"greenPercent":-5,"pauseSeconds":5},{"greenPercent":100}]',
        /greenPercent -5 sends no traffic/,
      ],
      ['a step over 100 %', '[{"greenPercent":120}]', /step 1: greenPercent 120 is over 100/],
      [
        'steps that do not increase',
        '[{"greenPercent":50,"pauseSeconds":5},{"greenPercent":50,"pauseSeconds":5},{"greenPercent":100}]',
        /step 2 sends 50 % to green after step 1 sent 50 %; each step must send more/,
      ],
      [
        'steps that go down',
        '[{"greenPercent":50,"pauseSeconds":5},{"greenPercent":20,"pauseSeconds":5},{"greenPercent":100}]',
        /step 2 sends 20 %/,
      ],
      [
        'steps that do not end at 100',
        '[{"greenPercent":10,"pauseSeconds":5},{"greenPercent":50}]',
        /ends at 50 %; the last step must send 100 %/,
      ],
      [
        '100 % before the end',
        '[{"greenPercent":100,"pauseSeconds":5},{"greenPercent":100}]',
        /step 1 reaches 100 % but more steps follow/,
      ],
      [
        'a negative pause',
        '[{"greenPercent":10,"pauseSeconds":-1},{"greenPercent":100}]',
        /step 1: pauseSeconds -1 is negative; use 0 or more/,
      ],
      [
        'a fractional pause',
        '[{"greenPercent":10,"pauseSeconds":1.5},{"greenPercent":100}]',
        /pauseSeconds is 1.5; expected a whole number/,
      ],
      [
        'a pause too long',
        `[{"greenPercent":10,"pauseSeconds":${MAX_PAUSE_SECONDS + 1}},{"greenPercent":100}]`,
        /longer than an execution/,
      ],
      [
        'a step without a pause',
        '[{"greenPercent":10},{"greenPercent":100}]',
        /step 1 \(10 %\) needs "pauseSeconds" \(0 or more\) or "pause": "manual"/,
      ],
      [
        'an unknown pause',
        '[{"greenPercent":10,"pause":"forever"},{"greenPercent":100}]',
        /pause is "forever"; the only pause value is "manual"/,
      ],
      [
        'both pauses',
        '[{"greenPercent":10,"pause":"manual","pauseSeconds":5},{"greenPercent":100}]',
        /has both pauseSeconds and "pause": "manual"/,
      ],
      [
        'a pause on the last step',
        '[{"greenPercent":10,"pauseSeconds":5},{"greenPercent":100,"pauseSeconds":60}]',
        /step 2 \(100 %\) has a pause; the last step takes none/,
      ],
      [
        'a manual pause on the last step',
        '[{"greenPercent":100,"pause":"manual"}]',
        /the last step takes none/,
      ],
    ])('%s', (_case, strategy, message) => {
      const attempt = () => planTraffic(strategy);
      expect(attempt).toThrow(InvalidInputError);
      expect(attempt).toThrow(/^TrafficStrategy /);
      expect(attempt).toThrow(message);
    });
  });
});

describe('describePlan', () => {
  it.each<[string, string]>([
    ['AllAtOnce', 'all at once: 100 % to green'],
    ['Canary10Percent5Minutes', '10 %, wait 5 min → 100 %'],
    ['Canary10Percent90Minutes', '10 %, wait 1 h 30 min → 100 %'],
    ['Canary10Percent120Minutes', '10 %, wait 2 h → 100 %'],
    ['Linear10PercentEvery3Minutes', 'linear: +10 % every 3 min, 10 steps to 100 %'],
    ['Linear30PercentEvery1Minutes', 'linear: +30 % every 1 min, 4 steps to 100 %'],
    ['Linear50PercentEvery1Minutes', '50 %, wait 1 min → 100 %'],
    [
      '[{"greenPercent":5,"pauseSeconds":90},{"greenPercent":25,"pause":"manual"},{"greenPercent":50,"pauseSeconds":0},{"greenPercent":100}]',
      '5 %, wait 90 s → 25 %, wait for promote → 50 % → 100 %',
    ],
  ])('%s', (strategy, description) => {
    expect(describePlan(planTraffic(strategy))).toBe(description);
  });
});
