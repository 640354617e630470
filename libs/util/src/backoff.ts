/**
 * How the wait between attempts grows: from `baseMs`, doubling at each attempt, up to `capMs`; then
 * jittered so that many clients retrying at once spread out.
 * - `none`: exactly that.
 * - `full`: anywhere between 0 and that (reconnects of a whole fleet).
 * - `equal`: between half of it and all of it (never much shorter than intended).
 * - `{ spread }`: within ± that fraction of it (`{ spread: 0.25 }` is ±25 %).
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly capMs: number;
  readonly jitter?: 'none' | 'full' | 'equal' | { readonly spread: number };
}

/** The wait before retry `attempt` (0 for the first retry) under `policy`, in whole milliseconds. */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  const jitter = policy.jitter ?? 'none';
  if (jitter === 'none') return ceiling;
  if (jitter === 'full') return Math.floor(random() * ceiling);
  if (jitter === 'equal') return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
  return Math.floor(ceiling * (1 - jitter.spread + 2 * jitter.spread * random()));
}

export interface RetryOptions {
  readonly policy: BackoffPolicy;
  /** Epoch milliseconds: no attempt is started after a wait that would end past it. */
  readonly deadline: number;
  /** Whether a failure is worth another attempt; any other is thrown at once. */
  readonly retryable: (error: unknown) => boolean;
  /**
   * The wait after a failure that names its own (a server's "retry after"), or that counts its attempts
   * apart from the others; `undefined` takes `policy`'s.
   */
  readonly delayOf?: (error: unknown, attempt: number) => number | undefined;
  /** What is thrown when the deadline leaves no room for another attempt (default: the last failure). */
  readonly giveUp?: (error: unknown) => unknown;
  /** Told before each wait (a metric, a log line). */
  readonly onRetry?: (error: unknown, waitMs: number) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Runs `op` (given the attempt number, from 0) until it succeeds, a failure is not retryable, or the
 * deadline leaves no room for another wait. The one retry loop: waits follow `policy`.
 */
export async function retryWithBackoff<T>(
  op: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (error) {
      if (!options.retryable(error)) throw error;
      const wait = options.delayOf?.(error, attempt) ?? backoffDelay(attempt, options.policy, options.random);
      if (now() + wait > options.deadline) throw options.giveUp ? options.giveUp(error) : error;
      options.onRetry?.(error, wait);
      await sleep(wait);
    }
  }
}
