import { backoffDelay, replacedBackoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, scaled by jitter', () => {
    expect(backoffDelay(0, 250, 15_000, () => 0.999)).toBe(249);
    expect(backoffDelay(3, 250, 15_000, () => 0.5)).toBe(1000);
    expect(backoffDelay(30, 250, 15_000, () => 0.999)).toBe(14_985);
  });

  it('spreads reconnects: never negative, never above the cap', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const delay = backoffDelay(attempt);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(15_000);
    }
  });
});

describe('replacedBackoffDelay', () => {
  it('doubles with every replacement, never below half of it, up to the cap', () => {
    expect(replacedBackoffDelay(0, 1000, 300_000, () => 0)).toBe(500);
    expect(replacedBackoffDelay(0, 1000, 300_000, () => 0.999)).toBe(999);
    expect(replacedBackoffDelay(3, 1000, 300_000, () => 0)).toBe(4000);
    expect(replacedBackoffDelay(30, 1000, 300_000, () => 0)).toBe(150_000);
    expect(replacedBackoffDelay(30, 1000, 300_000, () => 0.999)).toBe(299_850);
  });
});
