import { parseAlarmNames, parseTerminationWait } from '../../../functions/lib/deploy/shift-config';
import { ConfigurationError } from '../../../functions/lib/shared/errors';

describe('configuration', () => {
  it('reads the termination wait in whole minutes from 0 to 2880', () => {
    expect(parseTerminationWait('0')).toBe(0);
    expect(parseTerminationWait('2880')).toBe(2880);
    for (const bad of ['', ' ', '-1', '2881', '1.5', 'five']) {
      expect(() => parseTerminationWait(bad)).toThrow(ConfigurationError);
    }
  });

  it('reads alarm names, empty meaning none', () => {
    expect(parseAlarmNames('')).toEqual([]);
    expect(parseAlarmNames('web-5xx, web-p99,,')).toEqual(['web-5xx', 'web-p99']);
  });
});
