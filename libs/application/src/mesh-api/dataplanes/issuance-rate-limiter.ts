import type { IssuanceLimit } from '@meshtls/domain';
import { MeshError, type Clock } from '@meshtls/util';

/** Whether a dataplane may be issued a certificate now, or how long until it may. */
export type IssuanceDecision =
  | { readonly granted: true }
  | { readonly granted: false; readonly retryAfterMs: number };

export class IssuanceLimitError extends MeshError {
  readonly code = 'dataplane.invalid-issuance-limit';
}

/** Every this many decisions, buckets that have refilled completely are forgotten. */
const SWEEP_EVERY = 1024;

/**
 * A token bucket per dataplane: `burst` certificates at once, refilled at a rate per minute. Decides
 * only, never waits: a caller that is refused is told when a certificate would be granted. In memory,
 * per replica; a dataplane that has not been issued anything for a while has no bucket (a full one).
 */
export class IssuanceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private decisions = 0;

  constructor(
    readonly limit: IssuanceLimit,
    private readonly clock: Clock,
  ) {
    const problems = [
      !(Number.isFinite(limit.perMinute) && limit.perMinute > 0) &&
        `perMinute must be a positive number, got ${limit.perMinute}`,
      !(Number.isInteger(limit.burst) && limit.burst >= 1) &&
        `burst must be a positive integer, got ${limit.burst}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) throw new IssuanceLimitError(`invalid issuance limit: ${problems.join('; ')}`);
  }

  /**
   * Takes one certificate from `key`'s bucket if it holds one now. `perMinute`: this dataplane's refill
   * rate when it differs from the configured one (see `issuanceRatePerMinute`), never below it.
   */
  take(key: string, perMinute: number = this.limit.perMinute): IssuanceDecision {
    const now = this.clock.now().getTime();
    const perMs = Math.max(perMinute, this.limit.perMinute) / 60_000;
    const tokens = this.tokensAt(key, now, perMs);
    if (++this.decisions % SWEEP_EVERY === 0) this.sweep(now);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { granted: true };
    }
    this.buckets.set(key, { tokens, at: now });
    return { granted: false, retryAfterMs: Math.max(1, Math.ceil((1 - tokens) / perMs)) };
  }

  /** Dataplanes with a bucket that is not full (for tests and the sweep). */
  get tracked(): number {
    return this.buckets.size;
  }

  private tokensAt(key: string, now: number, perMs: number): number {
    const bucket = this.buckets.get(key);
    if (!bucket) return this.limit.burst;
    return Math.min(this.limit.burst, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
  }

  /** Forgets buckets full again at the configured (slowest) rate: a missing bucket is a full one. */
  private sweep(now: number): void {
    const perMs = this.limit.perMinute / 60_000;
    for (const key of [...this.buckets.keys()]) {
      if (this.tokensAt(key, now, perMs) >= this.limit.burst) this.buckets.delete(key);
    }
  }
}
