/** How `eventually` waits: its bound, its pace, and which failures it waits out. */
export interface EventuallyOptions {
  /** Default 10 s: it only decides how soon a broken behaviour fails. */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 10 ms). */
  readonly intervalMs?: number;
  /** Which failures are worth another attempt (default: every one); any other is thrown at once. */
  readonly retryable?: (error: unknown) => boolean;
}

/**
 * Retries `check` until it stops throwing (or its promise stops rejecting) and returns its result, for
 * effects that arrive asynchronously. The default bound is generous: a loaded machine must not make a
 * working behaviour fail.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: number | EventuallyOptions = {},
): Promise<T> {
  const {
    timeoutMs = 10_000,
    intervalMs = 10,
    retryable = () => true,
  } = typeof options === 'number' ? { timeoutMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline || !retryable(error)) throw error;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** Polls `check` until it stops throwing and does not return false, for changes that arrive asynchronously. */
export async function waitFor(check: () => unknown, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    if ((await check()) === false) throw new Error('condition still false');
  }, timeoutMs);
}
