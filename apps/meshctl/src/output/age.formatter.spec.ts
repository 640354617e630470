import { formatAge, formatAgo, formatDate, formatDuration } from './age.formatter';

describe('formatDuration', () => {
  // kumactl's app/kumactl/pkg/output/table/cells_test.go
  it.each([
    [-2_000, 'never'],
    [0, '0s'],
    [1_000, '1s'],
    [60_000 - 1, '59s'],
    [60_000, '1m'],
    [3_600_000 - 1, '59m'],
    [3 * 3_600_000 - 1, '2h'],
    [86_400_000, '1d'],
    [365 * 86_400_000, '1y'],
    [10 * 365 * 86_400_000, '10y'],
  ])('%i ms is %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  it('shows clock skew under a second as 0s', () => {
    expect(formatDuration(-500)).toBe('0s');
    expect(formatDuration(-1_999)).toBe('0s');
  });
});

describe('formatAge and formatAgo', () => {
  const now = new Date('2026-03-10T12:00:00Z');
  const ago = (ms: number): string => new Date(now.getTime() - ms).toISOString();

  it.each([
    [0, '0s'],
    [3 * 60_000 + 59_000, '3m'],
    [23 * 3_600_000 + 59 * 60_000, '23h'],
    [5 * 86_400_000 + 3_600_000, '5d'],
    [400 * 86_400_000, '1y'],
  ])('%i ms ago is %s', (ms, expected) => {
    expect(formatAge(ago(ms), now)).toBe(expected);
    expect(formatAgo(ago(ms), now)).toBe(expected);
  });

  it.each([undefined, '', 'yesterday', 42])('shows %p as - for an age and never for an ago', (value) => {
    expect(formatAge(value, now)).toBe('-');
    expect(formatAgo(value, now)).toBe('never');
  });
});

describe('formatDate', () => {
  it('prints kumactl’s date in the local time zone, - when missing', () => {
    const at = '2020-05-08T08:28:22Z';
    const d = new Date(at);
    const expected = [d.getFullYear(), d.getMonth() + 1, d.getDate()].map((n) => String(n).padStart(2, '0'));
    expect(formatDate(at)).toBe(
      `${expected.join('-')} ${[d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')}`,
    );
    expect(formatDate(undefined)).toBe('-');
    expect(formatDate('soon')).toBe('-');
  });
});
