import { TimeoutError, retryWithBackoff, type BackoffPolicy } from '@meshtls/util';
import { isTransientKvError, mayHaveBeenApplied } from './nats-kv-errors';

/** Backoff between attempts of a write: 100 ms doubling up to 1 s, each with ±25 % jitter. */
const WRITE_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 1_000, jitter: { spread: 0.25 } };

/** One write being retried by `retryKvWrite`. */
export interface WriteAttempt {
  /**
   * An earlier attempt sent its write and got no answer: that write may have been applied. Only the write
   * call itself counts (through `send`), not the reads around it.
   */
  readonly ambiguous: boolean;
  /** Makes the write call, noting when it goes out and its answer never comes back. */
  send<R>(write: () => Promise<R>): Promise<R>;
}

/**
 * Runs `op` again while it fails with a transient error (see `nats-kv-errors.ts`), with a short jittered
 * backoff, until `writeRetryMs` has passed. Past the deadline: a TimeoutError naming the operation, which
 * the REST layer answers with 503. Wall-clock time, not the injected clock: this waits for a real server.
 */
export async function retryKvWrite<T>(
  what: string,
  writeRetryMs: number,
  op: (attempt: WriteAttempt) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + writeRetryMs;
  let ambiguous = false;
  const attempt: WriteAttempt = {
    get ambiguous() {
      return ambiguous;
    },
    async send<R>(write: () => Promise<R>): Promise<R> {
      try {
        return await write();
      } catch (err) {
        if (mayHaveBeenApplied(err)) ambiguous = true;
        throw err;
      }
    },
  };
  return retryWithBackoff(() => op(attempt), {
    policy: WRITE_BACKOFF,
    deadline,
    retryable: isTransientKvError,
    giveUp: (err) => {
      const outcome = ambiguous ? '; it may still have been applied' : '';
      return new TimeoutError(
        `resource store unavailable: ${what} not done within ${writeRetryMs} ms${outcome} (${(err as Error).message})`,
        { cause: err },
      );
    },
  });
}
