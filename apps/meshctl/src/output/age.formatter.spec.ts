import { formatAge } from './age.formatter';

describe('formatAge', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString();

  it.each([
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [3 * 60_000 + 59_000, '3m'],
    [2 * 3_600_000, '2h'],
    [23 * 3_600_000 + 59 * 60_000, '23h'],
    [5 * 86_400_000 + 3_600_000, '5d'],
    [400 * 86_400_000, '400d'],
  ])('%i ms ago is %s', (ms, expected) => {
    expect(formatAge(ago(ms), now)).toBe(expected);
  });

  it('shows a future time (clock skew) as 0s', () => {
    expect(formatAge('2026-03-10T12:05:00Z', now)).toBe('0s');
  });

  it.each([undefined, '', 'yesterday', 42])('shows %p as -', (value) => {
    expect(formatAge(value, now)).toBe('-');
  });
});
