import { FakeClock } from '@meshtls/util';
import { IssuanceLimitError, IssuanceRateLimiter } from './issuance-rate-limiter';

describe('IssuanceRateLimiter', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock('2026-06-01T00:00:00Z');
  });

  const takeAll = (limiter: IssuanceRateLimiter, key: string, n: number) =>
    Array.from({ length: n }, () => limiter.take(key).granted);

  it('grants a burst at once, then one certificate per 60 s / rate, and says when the next comes', () => {
    const limiter = new IssuanceRateLimiter({ perMinute: 6, burst: 3 }, clock);
    expect(takeAll(limiter, 'm/dp-1', 4)).toEqual([true, true, true, false]);
    expect(limiter.take('m/dp-1')).toEqual({ granted: false, retryAfterMs: 10_000 });
    clock.advance(9_999);
    expect(limiter.take('m/dp-1')).toEqual({ granted: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.take('m/dp-1')).toEqual({ granted: true });
    expect(limiter.take('m/dp-1')).toEqual({ granted: false, retryAfterMs: 10_000 });
  });

  it('keeps a bucket per dataplane: one using its burst does not limit another', () => {
    const limiter = new IssuanceRateLimiter({ perMinute: 6, burst: 2 }, clock);
    expect(takeAll(limiter, 'm/dp-1', 3)).toEqual([true, true, false]);
    expect(takeAll(limiter, 'm/dp-2', 2)).toEqual([true, true]);
    expect(takeAll(limiter, 'other/dp-1', 1)).toEqual([true]);
  });

  it('holds no more than the burst however long a dataplane was quiet', () => {
    const limiter = new IssuanceRateLimiter({ perMinute: 6, burst: 2 }, clock);
    limiter.take('m/dp-1');
    clock.advance(3_600_000);
    expect(takeAll(limiter, 'm/dp-1', 3)).toEqual([true, true, false]);
  });

  it('refills faster for a dataplane given a higher rate, never slower than the configured one', () => {
    const limiter = new IssuanceRateLimiter({ perMinute: 6, burst: 1 }, clock);
    expect(limiter.take('m/short', 60).granted).toBe(true);
    expect(limiter.take('m/short', 60)).toEqual({ granted: false, retryAfterMs: 1_000 });
    expect(limiter.take('m/slow', 1).granted).toBe(true);
    expect(limiter.take('m/slow', 1)).toEqual({ granted: false, retryAfterMs: 10_000 });
  });

  it('forgets the buckets of dataplanes quiet long enough to be full again', () => {
    const limiter = new IssuanceRateLimiter({ perMinute: 6, burst: 1 }, clock);
    for (let i = 0; i < 1000; i++) limiter.take(`m/dp-${i}`);
    expect(limiter.tracked).toBe(1000);
    clock.advance(10_000);
    for (let i = 0; i < 24; i++) limiter.take('m/busy');
    expect(limiter.tracked).toBe(1);
  });

  it('refuses a limit that cannot work', () => {
    expect(() => new IssuanceRateLimiter({ perMinute: 0, burst: 1 }, clock)).toThrow(IssuanceLimitError);
    expect(() => new IssuanceRateLimiter({ perMinute: 6, burst: 0.5 }, clock)).toThrow(/burst/);
  });
});
