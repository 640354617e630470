import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * 86_400_000],
    ['10y', 10 * 365 * 86_400_000],
    ['2w', 14 * 86_400_000],
    ['1h', 3_600_000],
    ['5m', 300_000],
    ['90s', 90_000],
    ['250ms', 250],
    ['0s', 0],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 'd', '1.5h', '-1d', '1 d', '1D', '1mo', '1h30m', ' 1h', '99999999999999y'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [30 * 86_400_000, '30d'],
    [365 * 86_400_000, '1y'],
    [14 * 86_400_000, '2w'],
    [90_000, '90s'],
    [1_500, '1500ms'],
    [0, '0s'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses negative and fractional values', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});
