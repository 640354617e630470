import { TimeoutError } from '@meshtls/util';
import { isTransientKvError, mayHaveBeenApplied } from './nats-kv-errors';

/** Backoff between attempts of a write: 100 ms doubling up to 1 s, each with ±25 % jitter. */
const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 1_000;

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
  for (let n = 0; ; n++) {
    try {
      return await op(attempt);
    } catch (err) {
      if (!isTransientKvError(err)) throw err;
      const wait = Math.min(FIRST_BACKOFF_MS * 2 ** n, MAX_BACKOFF_MS) * (0.75 + Math.random() / 2);
      if (Date.now() + wait > deadline) {
        const outcome = ambiguous ? '; it may still have been applied' : '';
        throw new TimeoutError(
          `resource store unavailable: ${what} not done within ${writeRetryMs} ms${outcome} (${(err as Error).message})`,
          { cause: err },
        );
      }
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
