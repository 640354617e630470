import { RETRY_AFTER_MAX_MS } from '@meshtls/contracts';
import { MeshError } from '@meshtls/util';
import type { Timers } from '../shared/timers';

/** First certificates (a dataplane with none) go before renewals (a dataplane whose certificate still works). */
export const IssuePriority = { First: 'first', Renewal: 'renewal' } as const;
export type IssuePriority = (typeof IssuePriority)[keyof typeof IssuePriority];

export interface AdmissionOptions {
  /** Signings in flight at once. */
  readonly maxConcurrent: number;
  /** Sustained admissions per second (token bucket). */
  readonly ratePerSecond: number;
  /** Bucket size: admissions allowed at once after a quiet period. */
  readonly burst: number;
  /** Waiting tasks, both lanes together; beyond it requests are shed. */
  readonly maxQueue: number;
  /** A request that would wait longer than this is shed at once, with a retry-after. */
  readonly maxWaitMs: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = Object.freeze({
  maxConcurrent: 64,
  ratePerSecond: 5000,
  burst: 500,
  maxQueue: 10_000,
  maxWaitMs: 5000,
});

const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export type AdmissionResult<T> =
  | { readonly admitted: true; readonly value: T }
  | { readonly admitted: false; readonly retryAfterMs: number; readonly reason: string };

export class AdmissionOptionsError extends MeshError {
  readonly code = 'admission.invalid-options';
}

interface Waiter {
  readonly priority: IssuePriority;
  readonly start: () => void;
  readonly shed: (retryAfterMs: number, reason: string) => void;
}

/**
 * Bounded concurrency, a token-bucket rate and two FIFO lanes (first certificates, then renewals), with
 * a bounded queue: what cannot be served in time is shed with an honest retry-after, never queued
 * without limit. A mass re-issue thus converges at the configured pace instead of overloading signers.
 */
export class AdmissionController {
  private tokens: number;
  private lastRefill: number;
  private inFlight = 0;
  private readonly lanes: Record<IssuePriority, Waiter[]> = { first: [], renewal: [] };
  private wakeUp: unknown = undefined;
  private counters = { admitted: 0, shed: 0 };
  /** Moving average of how long a task takes: what a full set of slots costs a waiter. */
  private averageTaskMs = 0;
  private closed = false;

  constructor(
    private readonly options: AdmissionOptions = DEFAULT_ADMISSION,
    private readonly timers: Timers = realTimers,
  ) {
    validateOptions(options);
    this.tokens = options.burst;
    this.lastRefill = timers.now();
  }

  run<T>(priority: IssuePriority, task: () => Promise<T>): Promise<AdmissionResult<T>> {
    return new Promise<AdmissionResult<T>>((resolve, reject) => {
      const waiter: Waiter = {
        priority,
        start: () => {
          this.counters.admitted++;
          const startedAt = this.timers.now();
          // A task that throws synchronously still releases its slot.
          Promise.resolve()
            .then(task)
            .then(
              (value) => resolve({ admitted: true, value }),
              (error: unknown) => reject(error),
            )
            .finally(() => {
              this.averageTaskMs = this.averageTaskMs * 0.9 + (this.timers.now() - startedAt) * 0.1;
              this.inFlight--;
              this.pump();
            });
        },
        shed: (retryAfterMs, reason) => {
          this.counters.shed++;
          resolve({ admitted: false, retryAfterMs, reason });
        },
      };
      if (this.closed) return waiter.shed(this.options.maxWaitMs, 'closing');
      this.enqueue(waiter);
      this.pump();
    });
  }

  stats(): { inFlight: number; queued: { first: number; renewal: number }; admitted: number; shed: number } {
    return {
      inFlight: this.inFlight,
      queued: { first: this.lanes.first.length, renewal: this.lanes.renewal.length },
      ...this.counters,
    };
  }

  /** Sheds every waiting request and every later one (reason `closing`) and stops the wake-up timer. */
  close(): void {
    this.closed = true;
    if (this.wakeUp !== undefined) this.timers.clearTimeout(this.wakeUp);
    this.wakeUp = undefined;
    for (const lane of [this.lanes.first, this.lanes.renewal]) {
      for (const waiter of lane.splice(0)) waiter.shed(this.options.maxWaitMs, 'closing');
    }
  }

  private enqueue(waiter: Waiter): void {
    // Renewals wait behind everything; a first certificate only behind other first certificates.
    const ahead = waiter.priority === IssuePriority.First ? this.lanes.first.length : this.queued();
    // The wait is the longer of the wait for a token and the wait for a free slot.
    const wait = Math.max(this.estimatedWaitMs(ahead), this.slotWaitMs(ahead));
    if (wait > this.options.maxWaitMs)
      return waiter.shed(this.retryAfterMs(ahead), 'overloaded: the wait would exceed its limit');
    if (this.queued() < this.options.maxQueue) {
      this.lanes[waiter.priority].push(waiter);
      return;
    }
    const evicted = waiter.priority === IssuePriority.First ? this.lanes.renewal.pop() : undefined;
    if (!evicted) return waiter.shed(this.retryAfterMs(ahead), 'overloaded: queue full');
    evicted.shed(this.retryAfterMs(this.queued()), 'overloaded: a first certificate took its place');
    this.lanes.first.push(waiter);
  }

  /** Starts as many waiters as slots and tokens allow, first lane first; schedules the next refill. */
  private pump(): void {
    this.refill();
    while (this.inFlight < this.options.maxConcurrent && this.tokens >= 1) {
      const next = this.lanes.first.shift() ?? this.lanes.renewal.shift();
      if (!next) break;
      this.tokens -= 1;
      this.inFlight++;
      next.start();
    }
    this.scheduleWakeUp();
  }

  private scheduleWakeUp(): void {
    const waiting = this.queued() > 0 && this.inFlight < this.options.maxConcurrent && this.tokens < 1;
    if (!waiting || this.wakeUp !== undefined) return;
    this.wakeUp = this.timers.setTimeout(
      () => {
        this.wakeUp = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(this.msToNextToken())),
    );
  }

  private refill(): void {
    const now = this.timers.now();
    this.tokens = Math.min(
      this.options.burst,
      this.tokens + ((now - this.lastRefill) * this.options.ratePerSecond) / 1000,
    );
    this.lastRefill = now;
  }

  private msToNextToken(): number {
    return this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.options.ratePerSecond;
  }

  /**
   * When to come back: the longer of the wait for a token and the wait for a slot (the queue ahead run
   * `maxConcurrent` at a time at the average task duration), and never less than one token's interval
   * nor more than the contract lets an answer ask for.
   */
  private retryAfterMs(ahead: number): number {
    const oneToken = 1000 / this.options.ratePerSecond;
    const wait = Math.ceil(Math.max(this.estimatedWaitMs(ahead), this.slotWaitMs(ahead), oneToken, 1));
    return Math.min(wait, RETRY_AFTER_MAX_MS);
  }

  /** How long `ahead` waiting requests keep every slot busy, at the average task duration. */
  private slotWaitMs(ahead: number): number {
    const busy = this.inFlight + ahead + 1 - this.options.maxConcurrent;
    return busy <= 0 ? 0 : Math.ceil(busy / this.options.maxConcurrent) * this.averageTaskMs;
  }

  /** How long a request with `ahead` requests before it would wait for its token. */
  private estimatedWaitMs(ahead: number): number {
    this.refill();
    const needed = ahead + 1 - this.tokens;
    return needed <= 0 ? 0 : (needed * 1000) / this.options.ratePerSecond;
  }

  private queued(): number {
    return this.lanes.first.length + this.lanes.renewal.length;
  }
}

const WHOLE_OPTIONS: ReadonlySet<string> = new Set(['maxConcurrent', 'maxQueue', 'burst']);

function validateOptions(options: AdmissionOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new AdmissionOptionsError(
        `admission option ${name} must be a positive number, got ${String(value)}`,
      );
    }
    if (WHOLE_OPTIONS.has(name) && !Number.isInteger(value)) {
      throw new AdmissionOptionsError(`admission option ${name} must be a whole number, got ${value}`);
    }
  }
}
